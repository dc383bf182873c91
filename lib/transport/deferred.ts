/**
 * A transport that opens once its URL is known (an async `transformWsUrl`), shared by the Node
 * and browser WebSocket transports.
 */
import { createLogger } from '../log.js';
import type { Transport, TransportHandlers } from './transport.js';

const log = createLogger('transport');

/**
 * A transport whose URL is still being computed: writes, pause and end are held until it opens;
 * a rejection closes it with an `ERR_TRANSFORM_WS_URL` error (never an unhandled rejection).
 */
export function deferredTransport(url: Promise<string>, handlers: TransportHandlers, open: (url: string, handlers: TransportHandlers) => Transport): Transport {
  const pending: Buffer[] = [];
  let inner: Transport | undefined;
  let closed = false;
  let paused = false;
  let ended = false;
  const close = (error?: Error) => {
    if (closed) return;
    closed = true;
    handlers.onClose(error);
  };
  url.then(
    (resolved) => {
      if (closed) return;
      if (typeof resolved !== 'string') throw new TypeError(`transformWsUrl must return a string URL, got ${typeof resolved}`);
      try {
        inner = open(resolved, { onOpen: () => handlers.onOpen(), onData: (chunk) => handlers.onData(chunk), onClose: close });
      } catch (error) {
        // A bad URL or a throwing createWebsocket: the transport's failure, not the transform's.
        close(error as Error);
        return;
      }
      if (paused) inner.pause();
      for (const chunk of pending.splice(0)) inner.write(chunk);
      if (ended) inner.end();
    },
  ).then(undefined, (error: unknown) => {
    log('transformWsUrl failed: %s', error instanceof Error ? error.message : String(error));
    const failure = Object.assign(new Error(`transformWsUrl failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error }), {
      code: 'ERR_TRANSFORM_WS_URL',
    });
    if (inner) inner.destroy(failure);
    close(failure);
  });
  return {
    get stream() {
      return inner?.stream;
    },
    write: (chunk) => {
      if (closed) return false;
      if (inner) return inner.write(chunk);
      pending.push(chunk);
      return true;
    },
    pause: () => {
      paused = true;
      inner?.pause();
    },
    resume: () => {
      paused = false;
      inner?.resume();
    },
    end: () => {
      ended = true;
      // Nothing opened yet, so nothing to flush: the attempt is simply over.
      if (inner) inner.end();
      else close();
    },
    destroy: (error) => {
      if (inner) inner.destroy(error);
      close(error);
    },
  };
}
