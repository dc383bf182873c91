import { isIP } from 'node:net';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { streamTransport } from './stream.js';
import type { Transport, TransportFactory, TransportHandlers } from './transport.js';

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
  if (tlsOptions.servername === undefined && !isIP(tlsOptions.host)) tlsOptions.servername = tlsOptions.host;
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

/** A transport that never opened: closes with `error` on the next microtask, unless destroyed first. */
function failedTransport(error: Error, handlers: TransportHandlers): Transport {
  let closed = false;
  const close = (cause?: Error) => {
    if (closed) return;
    closed = true;
    handlers.onClose(cause);
  };
  queueMicrotask(() => close(error));
  return { write: () => false, pause: () => undefined, resume: () => undefined, end: () => close(), destroy: (cause) => close(cause) };
}
