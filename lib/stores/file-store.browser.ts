/**
 * The browser build's replacement for `file-store.ts` (swapped in by scripts/bundle.mjs): a
 * browser has no file system, so `FileStore` exists only to say so at construction.
 */
import { InvalidArgumentError } from '../errors.js';
import type { FileStoreOptions, FileStoreStats } from './file-store.js';

export type { FileStoreOptions, FileStoreStats };

export class FileStore {
  constructor(_dir?: string, _options?: FileStoreOptions) {
    throw new InvalidArgumentError('FileStore needs a file system: it is not available in browsers (use Store, or a custom IStore)');
  }
}
