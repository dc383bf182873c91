import { connect } from 'node:net';
import { streamTransport } from './stream.js';
import type { TransportFactory } from './transport.js';

export interface TcpOptions {
  host: string;
  port: number;
  /** Disable Nagle so a small ack or PUBREL is not held back for 40 ms. @default true */
  noDelay?: boolean;
}

/** TCP transport for `mqtt://` and `tcp://` URLs. */
export function tcpTransport(options: TcpOptions): TransportFactory {
  return (handlers) => {
    const socket = connect({ host: options.host, port: options.port });
    socket.setNoDelay(options.noDelay ?? true);
    return streamTransport(socket, handlers, 'connect');
  };
}
