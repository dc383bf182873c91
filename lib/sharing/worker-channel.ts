/**
 * A tab's side of `acrossTabs({ worker })`: its channel is its own port to the SharedWorker that
 * runs the hub (so it hears only what is addressed to it), and the worker leads: the tab never
 * campaigns. The tab says `start` first, with the options of the real connection (the worker
 * starts the hub with the first tab's), then speaks the ChannelMessages of channel-messages.ts.
 */
import { randomId, type ChannelPort } from './channel-messages.js';
import type { Election, LockManagerLike } from './election.js';
import type { HubOptions, StartMessage } from './hub-options.js';
import { isWatchMessage } from './worker-lock.js';

/** Starts (or joins) the SharedWorker `url` named `name`, as `new SharedWorker(url, { name })` does. */
export type OpenSharedWorker = (
  url: string | URL,
  name: string,
) => {
  /** The worker's MessagePort for this tab (or an object with the same members). */
  port: ChannelPort;
};

/** The worker leads, always: no tab ever runs a hub of its own. */
export const workerLeads: Election = { campaign: () => () => undefined };

/** `new SharedWorker(url, { name })`, where the runtime has SharedWorker. */
export function sharedWorkerConstructor(): OpenSharedWorker | undefined {
  const SharedWorkerClass = (globalThis as { SharedWorker?: new (url: string | URL, options: { name: string }) => { port: ChannelPort } }).SharedWorker;
  return SharedWorkerClass && ((url, name) => new SharedWorkerClass(url, { name }));
}

/**
 * The channel factory of a tab sharing through the worker at `url`. Each call opens a new port
 * (a client that ended and reconnects joins again). With `locks`, the tab holds a lock of its own
 * while the port is open and says its name in `start`; the worker asks for the same lock, which
 * it gets once the tab closed the port, closed, or crashed: a MessagePort says nothing when its
 * other end goes away, and a hub that kept a gone tab's links would wait forever for its acks.
 * Until the lock is held, what the tab posts waits (so `start` always comes first). The channel's
 * `onclose` runs if the worker dies (worker-lock.ts).
 */
export function workerChannel(url: string | URL, options: HubOptions, open: OpenSharedWorker, locks?: LockManagerLike): (name: string) => ChannelPort {
  return (name) => {
    const { port } = open(url, name);
    const alive = locks && `${name}:tab:${randomId()}`;
    let waiting: unknown[] | undefined = [];
    let closed = false;
    let release = (): void => undefined;
    const start = () => {
      const message: StartMessage = { type: 'start', options, ...(alive ? { alive } : {}) };
      port.postMessage(message);
      for (const held of waiting ?? []) port.postMessage(held);
      waiting = undefined;
    };
    if (locks && alive) {
      locks
        .request(alive, {}, () => {
          if (closed) return Promise.resolve();
          start();
          return new Promise<void>((done) => (release = done));
        })
        .catch(() => undefined);
    } else start();
    const stopWatching = typeof AbortController === 'function' ? new AbortController() : undefined;
    // Granted only once the worker is gone (worker-lock.ts): let it go at once, and say so.
    const watch = (lock: string) =>
      locks
        ?.request(lock, stopWatching ? { signal: stopWatching.signal } : {}, async () => {
          if (!closed) channel.onclose?.();
        })
        .catch(() => undefined);
    let handler: ChannelPort['onmessage'] = null;
    port.onmessage = (event) => {
      if (isWatchMessage(event.data)) watch(event.data.lock);
      else handler?.(event);
    };
    const channel: ChannelPort = {
      postMessage(message) {
        if (closed) return;
        if (waiting) waiting.push(message);
        else port.postMessage(message);
      },
      get onmessage() {
        return handler;
      },
      set onmessage(next) {
        handler = next;
      },
      onclose: null,
      close() {
        if (closed) return;
        closed = true;
        release();
        stopWatching?.abort();
        port.close();
      },
    };
    return channel;
  };
}
