/**
 * Virtual time for connection tests: a `VirtualTimeScheduler` to pass as the client's `scheduler`
 * option, advanced one instant at a time so that the microtasks the client queues between timers
 * (write batching, settles) run in between, as they would with real time. Nothing here sleeps.
 */
import { VirtualTimeScheduler } from 'rxjs';

/**
 * Lets every queued microtask and pending immediate callback run (not a sleep: it resolves in the
 * same event-loop turn's check phase). Use before reading what the client wrote.
 */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Guards against a timer that reschedules itself with no delay forever. */
const MAX_INSTANTS = 100_000;

export class VirtualClock {
  readonly scheduler = new VirtualTimeScheduler();

  /** The virtual time in milliseconds. */
  get now(): number {
    return this.scheduler.frame;
  }

  /** How many timers are scheduled and not yet run. */
  get pendingTimers(): number {
    return this.scheduler.actions.length;
  }

  /** The virtual time of the next timer, or undefined when none is scheduled. */
  get nextTimerAt(): number | undefined {
    return this.scheduler.actions[0]?.delay;
  }

  /**
   * Moves virtual time forward by `ms`: runs every timer due up to then, in time order, flushing
   * microtasks after each instant, and ends with the clock at exactly `now + ms`.
   */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.scheduler.frame + ms);
  }

  async advanceTo(target: number): Promise<void> {
    const scheduler = this.scheduler;
    await flush();
    for (let instants = 0; ; instants++) {
      if (instants > MAX_INSTANTS) throw new Error(`VirtualClock: more than ${MAX_INSTANTS} timer instants before ${target} ms`);
      const next = scheduler.actions[0];
      if (next === undefined || next.delay > target) break;
      scheduler.maxFrames = next.delay;
      scheduler.flush();
      await flush();
    }
    scheduler.frame = Math.max(scheduler.frame, target);
    scheduler.maxFrames = Infinity;
  }
}
