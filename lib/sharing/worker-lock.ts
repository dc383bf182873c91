/**
 * How the tabs of `acrossTabs({ worker })` learn that their SharedWorker died (its host process
 * crashed): a MessagePort says nothing when its other end goes away. The worker holds the Web Lock
 * `<name>:worker:<url>` for as long as it lives and, once it does, sends each tab a `watch-worker`
 * message naming it; the tab then asks for that lock, and is granted it only when the worker is
 * gone. It lets the lock go at once and opens a new port, which starts a new worker.
 */

/** The lock a SharedWorker named `name` (of the script at `url`) holds while it lives. */
export const workerLock = (name: string, url?: string): string => (url ? `${name}:worker:${url}` : `${name}:worker`);

/** Worker -> tab: "I hold `lock`: ask for it, and you get it when I am gone." Not a ChannelMessage: the tab's channel keeps it. */
export interface WatchMessage {
  type: 'watch-worker';
  lock: string;
}

export function watchMessage(lock: string): WatchMessage {
  return { type: 'watch-worker', lock };
}

export function isWatchMessage(data: unknown): data is WatchMessage {
  return typeof data === 'object' && data !== null && (data as { type?: unknown }).type === 'watch-worker' && typeof (data as { lock?: unknown }).lock === 'string';
}
