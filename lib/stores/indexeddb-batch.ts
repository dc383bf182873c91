/**
 * The puts and dels an `IndexedDBStore` was given in one turn, written in one readwrite
 * transaction. Each keeps its own callback and its own error, and the callbacks run only once the
 * transaction has committed (`complete`): a callback without an error means the change is on disk.
 */
import { OBJECT_STORE, SEQ_INDEX, restored, storable, storeError, type Row } from './indexeddb-database.js';
import type { StoreCallback, StorePacket } from './store.js';

export type Change = { op: 'put'; id: number; packet: StorePacket; cb?: StoreCallback } | { op: 'del'; id: number; cb?: StoreCallback };

/** A change's outcome, known before the commit: its own error, or (for a del) the packet it removed. */
interface Outcome {
  error?: Error;
  removed?: StorePacket;
}

/**
 * Writes `changes` in order in one transaction on `db`, then calls each one's callback. Resolves
 * (never rejects) once every callback has run.
 *
 * Two steps, both inside the transaction (so two tabs writing the same database cannot interleave
 * between them): read the highest `seq` and the rows of the ids the changes touch, then write.
 * A put over a stored id keeps that row's `seq`; a new id gets the next one.
 *
 * `durability: 'strict'`: `complete` then waits for the data to reach the disk (Chromium's default
 * has been 'relaxed' since version 121, which reports `complete` once the browser process holds
 * the data: that survives a tab crash, not an OS crash or a power cut). `cbStorePut` promises as
 * much as FileStore's fsync does. Browsers without the option ignore it.
 */
export function writeChanges(db: IDBDatabase, database: string, changes: readonly Change[]): Promise<void> {
  return new Promise((done) => {
    const outcomes: Outcome[] = changes.map(() => ({}));
    const settle = (transactionError?: Error) => {
      changes.forEach((change, i) => {
        const { error, removed } = outcomes[i]!;
        const failure = error ?? transactionError;
        callBack(change, failure, removed && restored(removed));
      });
      done();
    };
    const operation = changes.some((change) => change.op === 'put') ? 'put' : 'del';
    let transaction: IDBTransaction;
    try {
      transaction = db.transaction(OBJECT_STORE, 'readwrite', { durability: 'strict' });
    } catch (error) {
      // The connection is closing (another tab upgraded the database, the site's data was cleared).
      return settle(storeError(database, operation, error));
    }
    transaction.oncomplete = () => settle();
    // A change that failed keeps its own error; the others failed with the transaction.
    transaction.onabort = () => settle(storeError(database, operation, transaction.error));
    const objects = transaction.objectStore(OBJECT_STORE);
    readRows(objects, changes, (lastSeq, rows) => {
      changes.forEach((change, i) => {
        const outcome = outcomes[i]!;
        if (change.op === 'put') lastSeq = put(objects, database, change, rows, lastSeq, outcome);
        else del(objects, database, change, rows, outcome);
      });
    });
  });
}

/** The highest `seq` stored and the rows of the ids `changes` touch, as they are now. */
function readRows(objects: IDBObjectStore, changes: readonly Change[], ready: (lastSeq: number, rows: Map<number, Row | undefined>) => void): void {
  const rows = new Map<number, Row | undefined>();
  let lastSeq = 0;
  let waiting = 1;
  const answered = () => --waiting === 0 && ready(lastSeq, rows);
  const last = objects.index(SEQ_INDEX).openKeyCursor(null, 'prev');
  last.onsuccess = () => {
    lastSeq = (last.result?.key as number | undefined) ?? 0;
    answered();
  };
  for (const { id } of changes) {
    if (rows.has(id)) continue;
    rows.set(id, undefined);
    waiting++;
    const request = objects.get(id);
    request.onsuccess = () => {
      rows.set(id, request.result as Row | undefined);
      answered();
    };
  }
}

/** Writes one put; returns the highest `seq` after it. */
function put(objects: IDBObjectStore, database: string, change: Change & { op: 'put' }, rows: Map<number, Row | undefined>, lastSeq: number, outcome: Outcome): number {
  const seq = rows.get(change.id)?.seq ?? lastSeq + 1;
  const row: Row = { id: change.id, seq, packet: storable(change.packet) };
  try {
    // Throws at once when the packet cannot be cloned (DataCloneError): this put alone fails.
    failAlone(objects.put(row), database, 'put', outcome);
  } catch (error) {
    outcome.error = storeError(database, 'put', error);
    return lastSeq;
  }
  rows.set(change.id, row);
  return Math.max(lastSeq, seq);
}

function del(objects: IDBObjectStore, database: string, change: Change & { op: 'del' }, rows: Map<number, Row | undefined>, outcome: Outcome): void {
  const row = rows.get(change.id);
  // MQTT.js's Store answers a del of an unknown id so.
  if (!row) {
    outcome.error = new Error('missing packet');
    return;
  }
  failAlone(objects.delete(change.id), database, 'del', outcome);
  rows.set(change.id, undefined);
  outcome.removed = row.packet;
}

/**
 * A request that fails fails its own change; the transaction goes on with the others (an
 * unhandled request error would abort it, and every change of the turn with it).
 */
function failAlone(request: IDBRequest, database: string, operation: 'put' | 'del', outcome: Outcome): void {
  request.onerror = (event) => {
    // Every request of an aborted transaction fails so: the transaction's error says why.
    if (request.error?.name === 'AbortError') return;
    event.preventDefault();
    outcome.error = storeError(database, operation, request.error);
  };
}

/**
 * Calls a change's callback with its outcome. One that throws must not keep the other callbacks
 * (or close()) waiting: what it threw is reported as uncaught, as it would be from a plain callback.
 */
export function callBack(change: Change, error: Error | undefined, packet?: StorePacket): void {
  try {
    if (error) change.cb?.(error);
    else change.cb?.(null, packet);
  } catch (thrown) {
    queueMicrotask(() => {
      throw thrown;
    });
  }
}
