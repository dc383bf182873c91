/**
 * scripts/browser-stream.js, the browser bundles' stand-in for `node:stream`, against Node's own
 * `Readable.from`: the events a store reader (lib/stores/read-store.ts) sees, in order, for an
 * array (the in-memory Store), an async iterable (IndexedDBStore's packets read from the
 * database) and one that throws part way.
 */
import { Readable as NodeReadable } from 'node:stream';
import { Readable as BrowserReadable } from '../../scripts/browser-stream.js';
import { within } from '../helpers/wait.js';

type Source = () => Iterable<unknown> | AsyncIterable<unknown>;

/** The 'data', 'end', 'error' and 'close' events of a stream made by `from(source())`, once it is over. */
function events(from: (source: Iterable<unknown> | AsyncIterable<unknown>) => NodeJS.EventEmitter, source: Source): Promise<string[]> {
  const seen: string[] = [];
  const stream = from(source());
  return within(
    new Promise((done) => {
      stream.on('data', (item) => seen.push(`data ${String(item)}`));
      stream.on('end', () => seen.push('end'));
      stream.on('error', (error: Error) => seen.push(`error ${error.message}`));
      stream.on('close', () => done([...seen, 'close']));
    }),
    'the stream to close',
  );
}

const sources: Array<[string, Source]> = [
  ['an array', () => [1, 2]],
  [
    'an async iterable',
    () =>
      (async function* () {
        yield 1;
        yield 2;
      })(),
  ],
  [
    'an async iterable that throws after one item',
    () =>
      (async function* () {
        yield 1;
        throw new Error('read failed');
      })(),
  ],
];

describe('the browser stand-in for node:stream', () => {
  it.each(sources)('emits what Node emits for Readable.from(%s)', async (_name, source) => {
    const node = await events((s) => NodeReadable.from(s), source);
    expect(await events((s) => BrowserReadable.from(s), source)).toEqual(node);
  });
});
