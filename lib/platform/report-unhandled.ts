/**
 * An error thrown by the application's own code (a listener, a callback) while the client was in
 * the middle of its work. The client finishes that work first, so its state stays whole, then
 * reports the error the way RxJS reports an error no subscriber handles: to RxJS's
 * `config.onUnhandledError` when the app set one, otherwise rethrown on a later turn, where it
 * surfaces as an uncaught exception exactly as a throwing listener of a Node socket would. It is
 * never swallowed, and never blamed on the broker.
 */
import { config } from 'rxjs';

export function reportUnhandledError(error: unknown): void {
  const handler = config.onUnhandledError;
  if (handler) {
    handler(error);
    return;
  }
  setTimeout(() => {
    throw error;
  });
}

/**
 * What RxJS does with an error thrown by a subscriber's callback: `config.onUnhandledError` on a
 * later turn, else rethrown there. For hooks that replaced a subscription, so that an error
 * thrown in them is handled as it was when they were subscribers.
 */
export function reportAsSubscriberError(error: unknown): void {
  setTimeout(() => {
    const handler = config.onUnhandledError;
    if (!handler) throw error;
    handler(error);
  });
}
