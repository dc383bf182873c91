/**
 * Leader election among the tabs of an origin: one participant at a time leads (runs the hub).
 * Behind an interface so that Node tests inject an in-memory one (Node has BroadcastChannel but
 * no `navigator.locks`).
 */

/**
 * Who leads among the tabs sharing a connection: the `election` option of `acrossTabs()`. The
 * default is `webLocksElection(navigator.locks)`; tests pass an in-memory one.
 */
export interface Election {
  /**
   * Competes for the leadership of `key`: `onLead` runs once this participant leads. Returns a
   * function that withdraws (before leading) or resigns (while leading); a leader also loses the
   * leadership when its page goes away.
   */
  campaign(key: string, onLead: () => void): () => void;
}

/** The part of the Web Locks API rxmqtt uses (`navigator.locks`). */
export interface LockManagerLike {
  /** The Web Locks `request()`: runs `callback` once the exclusive lock `name` is granted, holding it until the returned Promise settles. */
  request(name: string, options: { signal?: AbortSignal }, callback: () => Promise<void>): Promise<unknown>;
}

/** The Web Locks API of this page or worker, if it has one. */
export function lockManager(): LockManagerLike | undefined {
  return (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
}

/**
 * Election over the Web Locks API: the participant granted the exclusive lock `key` leads until
 * it resigns or its page (or worker) goes away, crashes included: the browser then releases the
 * lock and grants it to the next waiting participant.
 */
export function webLocksElection(locks: LockManagerLike): Election {
  return {
    campaign(key, onLead) {
      const abort = new AbortController();
      let resign = (): void => undefined;
      const held = new Promise<void>((resolve) => (resign = resolve));
      locks
        .request(key, { signal: abort.signal }, () => {
          onLead();
          return held;
        })
        .catch(() => undefined); // AbortError: withdrawn before it was granted.
      return () => {
        abort.abort();
        resign();
      };
    },
  };
}

/** Takes the lock `name`, calls `granted` once it holds it, and holds it until the returned function is called. */
export function holdLock(locks: LockManagerLike, name: string, granted: () => void): () => void {
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  void locks
    .request(name, {}, () => {
      granted();
      return held;
    })
    .catch(() => undefined);
  return () => release();
}

/**
 * Calls `gone` once whoever holds the lock `name` lets it go, or its page or worker goes away (the
 * browser then releases its locks): being granted the lock means that. It is let go at once.
 * `signal` withdraws the request.
 */
export function whenReleased(locks: LockManagerLike, name: string, gone: () => void, signal?: AbortSignal): void {
  void locks.request(name, signal ? { signal } : {}, async () => gone()).catch(() => undefined);
}
