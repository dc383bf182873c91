import { isIP } from 'node:net';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { streamTransport } from './stream.js';
import type { TransportFactory } from './transport.js';
import { failedTransport } from './failed.js';

export interface TlsTransportOptions extends ConnectionOptions {
  host: string;
  port: number;
  /** @default true */
  noDelay?: boolean;
}

/**
 * TLS transport for `mqtts://`, `tls://` and `ssl://`. Every `tls.connect` option passes through;
 * the certificate and host name are verified unless the caller sets `rejectUnauthorized: false`.
 */
export function tlsTransport(options: TlsTransportOptions): TransportFactory {
  const { noDelay = true, ...tlsOptions } = options;
  // SNI: default to the host name, but never send an IP address as server name (RFC 6066 3).
  if (tlsOptions.servername === undefined && tlsOptions.host && !isIP(tlsOptions.host)) tlsOptions.servername = tlsOptions.host;
  return (handlers) => {
    let socket: TLSSocket;
    try {
      socket = connect(tlsOptions);
    } catch (error) {
      // A key, certificate or passphrase that cannot be used throws here, during connect(), often
      // before the caller could listen for 'error': report it asynchronously, as a socket error.
      return failedTransport(error as Error, handlers);
    }
    socket.setNoDelay(noDelay);
    return streamTransport(socket, handlers, 'secureConnect');
  };
}
