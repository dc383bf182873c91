// The browser bundles' `node:stream`: only what rxmqtt itself uses, `Readable.from(items)` (for
// `Store#createStream`), instead of the 80 KB readable-stream package. Object mode only: it emits
// each item as 'data' once a 'data' listener, `pipe()` or `resume()` starts it, then 'end'.
import { EventEmitter } from 'events';

export class Readable extends EventEmitter {
  static from(iterable) {
    return new Readable([...iterable]);
  }

  constructor(items = []) {
    super();
    this.items = items;
    this.flowing = false;
    this.on('newListener', (event) => event === 'data' && this.resume());
  }

  resume() {
    if (this.flowing) return this;
    this.flowing = true;
    queueMicrotask(() => {
      for (const item of this.items) this.emit('data', item);
      this.emit('end');
      this.emit('close');
    });
    return this;
  }

  pipe(destination) {
    this.on('data', (item) => destination.write(item));
    this.once('end', () => destination.end?.());
    return destination;
  }

  async *[Symbol.asyncIterator]() {
    yield* this.items;
  }
}
