/**
 * Closes a client's `incomingStore` and `outgoingStore` when it ends, as MQTT.js does at the end of
 * `end()`: the incoming store first, then the outgoing one, each once, and `done` gets the first
 * error either gave. The one place that closes them, for end() and for whatever swaps stores.
 */
import type { IStore } from './store.js';

export interface ClosableStores {
  incomingStore?: IStore;
  outgoingStore?: IStore;
}

/**
 * Calls `close(cb)` on each store (`incomingStore` then `outgoingStore`, skipping absent ones and
 * the second of a store used for both), then `done(error)` with the first error reported. A store
 * whose close() throws counts as one that reported that error; the other is still closed.
 */
export function closeStores(stores: ClosableStores, done: (error?: Error) => void): void {
  const { incomingStore, outgoingStore } = stores;
  closeOne(incomingStore, (incomingError) =>
    closeOne(outgoingStore === incomingStore ? undefined : outgoingStore, (outgoingError) => done(incomingError ?? outgoingError)),
  );
}

/** Closes `store`, calling `next` once (a store that calls back twice is heard once). */
function closeOne(store: IStore | undefined, next: (error?: Error) => void): void {
  if (!store) return next();
  let called = false;
  const once = (error?: Error | null) => {
    if (called) return;
    called = true;
    next(error ?? undefined);
  };
  try {
    store.close(once);
  } catch (error) {
    once(error as Error);
  }
}
