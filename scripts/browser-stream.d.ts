// Types of browser-stream.js (the browser bundles' `node:stream`), for the spec that holds it to Node's.
import { EventEmitter } from 'node:events';

export declare class Readable extends EventEmitter {
  static from(iterable: Iterable<unknown> | AsyncIterable<unknown>): Readable;
  resume(): this;
  pipe<T extends { write(item: unknown): unknown; end?(): unknown }>(destination: T): T;
  [Symbol.asyncIterator](): AsyncIterator<unknown>;
}
