import type { Transport, TransportHandlers } from './transport.js';

/**
 * The transport of an attempt whose factory threw (a key `tls.connect` cannot decrypt, a bad
 * WebSocket URL, a stream builder that failed): it closes with that error a microtask later, as a
 * socket reports its own errors. Closing synchronously would lose the error of the first attempt,
 * which runs inside `connect()`, before the caller could listen for 'error'.
 *
 * @param error why the transport could not be created
 * @param handlers where the close goes (once; not at all if destroyed or ended first)
 * @returns a transport that carries nothing
 */
export function failedTransport(error: Error, handlers: TransportHandlers): Transport {
  let closed = false;
  const close = (cause?: Error) => {
    if (closed) return;
    closed = true;
    handlers.onClose(cause);
  };
  queueMicrotask(() => close(error));
  return {
    write: () => false,
    pause: () => undefined,
    resume: () => undefined,
    end: () => close(),
    destroy: (cause) => close(cause),
  };
}
