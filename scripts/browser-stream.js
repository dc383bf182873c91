// The browser bundles' `node:stream`: only what rxmqtt itself uses, `Readable.from(items)` (for
// `Store#createStream`), instead of the 80 KB readable-stream package. Object mode only: it emits
// each item as 'data' once a 'data' listener, `pipe()` or `resume()` starts it, then 'end'. An
// async iterable (IndexedDBStore's packets, read from the database) is drained the same way, and
// what it throws is the stream's 'error' (then 'close', without 'end'), as in Node.
import { EventEmitter } from 'events';

export class Readable extends EventEmitter {
  static from(iterable) {
    if (typeof iterable[Symbol.iterator] !== 'function' && typeof iterable[Symbol.asyncIterator] === 'function') return new Readable([], iterable);
    return new Readable([...iterable]);
  }

  constructor(items = [], source = undefined) {
    super();
    this.items = items;
    this.source = source;
    this.flowing = false;
    this.on('newListener', (event) => event === 'data' && this.resume());
  }

  resume() {
    if (this.flowing) return this;
    this.flowing = true;
    queueMicrotask(() => (this.source ? this.drain(this.source) : this.emitAll()));
    return this;
  }

  emitAll() {
    for (const item of this.items) this.emit('data', item);
    this.emit('end');
    this.emit('close');
  }

  async drain(source) {
    try {
      for await (const item of source) this.emit('data', item);
    } catch (error) {
      this.emit('error', error);
      this.emit('close');
      return;
    }
    this.emit('end');
    this.emit('close');
  }

  pipe(destination) {
    this.on('data', (item) => destination.write(item));
    this.once('end', () => destination.end?.());
    return destination;
  }

  async *[Symbol.asyncIterator]() {
    yield* this.source ?? this.items;
  }
}
