/**
 * An in-memory Web Locks API for Node specs (`navigator.locks.request(name, options, callback)`,
 * exclusive locks only): requests for a name are granted one at a time, in order; a lock is
 * released when its callback's promise settles, or by `crash(name)`, which stands for the holder's
 * page going away (the browser releases its locks; its callback never finishes).
 */
type Holder = () => Promise<unknown>;

export interface MemoryLocks {
  request(name: string, options: object, callback: () => Promise<unknown> | unknown): Promise<unknown>;
  /** The names held now. */
  held(): string[];
  /** Releases `name` as if its holder had crashed. */
  crash(name: string): void;
}

export function memoryLocks(): MemoryLocks {
  const queues = new Map<string, Holder[]>();
  const grant = (name: string) => {
    const queue = queues.get(name);
    const holder = queue?.[0];
    if (holder === undefined) return queues.delete(name);
    let released = false;
    const release = () => {
      if (released || queue![0] !== holder) return;
      released = true;
      queue!.shift();
      grant(name);
    };
    (holder as Holder & { release?: () => void }).release = release;
    queueMicrotask(() => void holder().finally(release));
  };
  return {
    request(name, _options, callback) {
      return new Promise((resolve, reject) => {
        const holder: Holder = () => Promise.resolve().then(callback).then(resolve, (error) => (reject(error), undefined));
        const queue = queues.get(name) ?? [];
        queues.set(name, queue);
        queue.push(holder);
        if (queue.length === 1) grant(name);
      });
    },
    held: () => [...queues.keys()],
    crash(name) {
      const holder = queues.get(name)?.[0] as (Holder & { release?: () => void }) | undefined;
      holder?.release?.();
    },
  };
}
