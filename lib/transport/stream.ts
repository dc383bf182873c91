import type { Duplex } from 'node:stream';
import { createLogger } from '../log.js';
import type { Transport, TransportHandlers } from './transport.js';

const log = createLogger('transport');

/**
 * Adapts any Node duplex stream (a net.Socket, a TLS socket, an in-memory pair, the stream an
 * MQTT.js `streamBuilder` returns) to the Transport interface.
 *
 * @param stream the duplex to carry MQTT bytes
 * @param handlers where bytes and lifecycle events go
 * @param openEvent the event that says the stream is usable; undefined means it already is
 */
export function streamTransport(stream: Duplex, handlers: TransportHandlers, openEvent?: string): Transport {
  let closed = false;
  const close = (error?: Error) => {
    if (closed) return;
    closed = true;
    stream.removeListener('data', handlers.onData);
    handlers.onClose(error);
  };
  stream.on('data', handlers.onData);
  stream.on('error', (err) => {
    log('stream error %s', (err as NodeJS.ErrnoException).code ?? err.message);
    close(err);
  });
  stream.on('close', () => close());
  stream.on('end', () => {
    // The broker half-closed: MQTT has no use for a half-open pipe.
    stream.destroy();
    close();
  });
  if (openEvent) stream.once(openEvent, () => !closed && handlers.onOpen());
  else queueMicrotask(() => !closed && handlers.onOpen());

  return {
    stream,
    write: (chunk) => !closed && stream.write(chunk),
    writev: (chunks) => {
      if (closed) return false;
      // Corked writes reach the stream's _writev as one vector when uncorked (one syscall for a socket).
      stream.cork();
      let room = true;
      for (let i = 0; i < chunks.length; i++) room = stream.write(chunks[i]);
      stream.uncork();
      return room;
    },
    pause: () => stream.pause(),
    resume: () => stream.resume(),
    end: () => {
      if (!closed) stream.end();
    },
    destroy: (error) => {
      stream.destroy();
      close(error);
    },
  };
}
