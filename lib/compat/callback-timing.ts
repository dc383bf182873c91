/**
 * Callbacks that never run inside the call that registered them (no "Zalgo"): MQTT.js code often
 * assumes a callback runs after `publish()` (or `subscribe()`, `end()`...) has returned, e.g. it
 * sets up state the callback reads on the next line. Most outcomes arrive from the network and are
 * asynchronous anyway; the ones rxmqtt knows at once (a publish refused offline with
 * `queueQoSZero: false`, a full `offlineQueue`, a command after `end()`, an unsubscribe a `topic()`
 * stream keeps, `cbStorePut` without an outgoingStore, a publish failed by `removeOutgoingMessage`
 * or `end(true)`) would run inside the call. While a facade call is on the stack, such a callback
 * is deferred to a microtask, in the order they fired (MQTT.js defers with `process.nextTick`;
 * a microtask runs at the same point, before any I/O, and exists in browsers too).
 */
// Prototype methods rather than arrow-function properties: an idle client pays for no function objects.
export class CallbackTiming {
  /** How many facade calls are on the stack (a callback may call the facade again). */
  private depth = 0;

  /** Runs one facade call; the `deferred` callbacks that fire meanwhile run after it returns. */
  during<T>(call: () => T): T {
    this.depth++;
    try {
      return call();
    } finally {
      this.depth--;
    }
  }

  /** `callback`, or a microtask that calls it when it fires inside a facade call. */
  deferred<A extends unknown[]>(callback: (...args: A) => void): (...args: A) => void {
    return (...args) => {
      if (this.depth > 0) queueMicrotask(() => callback(...args));
      else callback(...args);
    };
  }
}
