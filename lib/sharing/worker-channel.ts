/**
 * A tab's side of `acrossTabs({ worker })`: its channel is its own port to the SharedWorker that
 * runs the hub (so it hears only what is addressed to it), and the worker leads: the tab never
 * campaigns. The tab says `start` first, with the options of the real connection (the worker
 * starts the hub with the first tab's), then speaks the ChannelMessages of channel-messages.ts.
 */
import { randomId, type ChannelPort } from './channel-messages.js';
import { holdLock, whenReleased, type Election, type LockManagerLike } from './election.js';
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
    // (Closed before the grant: release() ran already, so the lock is let go as soon as it comes.)
    if (locks && alive)
      release = holdLock(locks, alive, () => {
        if (!closed) start();
      });
    else start();
    const stopWatching = new AbortController();
    // Granted only once the worker is gone (worker-lock.ts).
    const workerGone = () => {
      if (!closed) channel.onclose?.();
    };
    const watch = (lock: string) => locks && whenReleased(locks, lock, workerGone, stopWatching.signal);
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
        stopWatching.abort();
        port.close();
      },
    };
    return channel;
  };
}
