/**
 * The option and statistics types of `FileStore` (types only; `file-store.ts` re-exports them).
 */
import type { FileStoreFs } from './durable-file.js';

/** The options of a `FileStore`. */
export interface FileStoreOptions {
  /**
   * Compact on its own once the log holds more than this many dead records (puts overwritten or
   * deleted) and more dead records than live ones. `Infinity` compacts only on `compact()`.
   * @default 1000
   */
  compactAfter?: number;
  /** The `node:fs` functions the log is written with (tests inject a recording or failing one); the lock file always uses `node:fs`. @default node:fs */
  fs?: FileStoreFs;
}

/** What `FileStore.stats()` returns: the size of the log and how much of it is live. */
export interface FileStoreStats {
  /** Live packets (`size`). */
  live: number;
  /** Records in the log after its header, live or dead. */
  records: number;
  /** Size of the log in bytes. */
  bytes: number;
  /** Bytes of a torn tail cut off when the store was last opened (0 after a clean shutdown). */
  truncatedBytes: number;
}
