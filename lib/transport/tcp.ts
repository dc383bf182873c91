import { connect } from 'node:net';
import { streamTransport } from './stream.js';
import type { TransportFactory } from './transport.js';

export interface TcpOptions {
  host: string;
  port: number;
  /** Disable Nagle so a small ack or PUBREL is not held back for 40 ms. @default true */
  noDelay?: boolean;
  /** Bind to this local address first. @default undefined */
  localAddress?: string;
  /** Bind to this local port first (EADDRINUSE when taken). @default undefined */
  localPort?: number;
}

/** TCP transport for `mqtt://` and `tcp://` URLs. */
export function tcpTransport(options: TcpOptions): TransportFactory {
  return (handlers) => {
    const { host, port, localAddress, localPort } = options;
    const socket = connect({ host, port, ...(localAddress !== undefined && { localAddress }), ...(localPort !== undefined && { localPort }) });
    socket.setNoDelay(options.noDelay ?? true);
    return streamTransport(socket, handlers, 'connect');
  };
}
