/**
 * Reads an MQTT.js-compatible store's packets through its `createStream()` (object mode, possibly
 * asynchronous: a database-backed store streams from disk).
 */
import type { IStore, StorePacket } from './store.js';

/**
 * Calls `done` once with every packet the store streamed, in order, and the error that cut the
 * stream short, if any (the packets read before it are still given).
 */
export function readStore(store: IStore, done: (packets: StorePacket[], error?: Error) => void): void {
  const packets: StorePacket[] = [];
  let finished = false;
  const finish = (error?: Error) => {
    if (finished) return;
    finished = true;
    done(packets, error);
  };
  let stream: ReturnType<IStore['createStream']>;
  try {
    stream = store.createStream();
  } catch (error) {
    queueMicrotask(() => finish(error as Error));
    return;
  }
  stream.on('data', (packet: StorePacket) => packets.push(packet));
  stream.once('end', () => finish());
  stream.once('error', (error: Error) => finish(error));
  // A stream destroyed without 'end' or 'error' would otherwise leave the client waiting forever.
  stream.once('close', () => finish(stream.readableEnded ? undefined : new Error('The store stream closed before its end')));
}
