/**
 * The hub's warm-up: right after the real client connected (a takeover, a reconnect) the broker
 * sends at once what it kept for the session (`clean: false`), while the tabs are still
 * reconnecting to the hub and resubscribing. A message handed out then would miss the tabs not
 * back yet, so the first one waits (and the others behind it, unacknowledged: the hub hands the
 * broker's messages out one at a time) until the tabs have been quiet for QUIET_MS, at most
 * WARM_UP_MS after the connection.
 */
import type { SchedulerLike } from 'rxjs';

/** The longest a message waits after the real client connected. */
export const WARM_UP_MS = 2000;
/** How long without a tab connecting or subscribing counts as "the tabs are back". */
export const QUIET_MS = 250;

export class WarmUp {
  private connectedAt = -Infinity;
  private lastActivity = -Infinity;
  private parked?: () => void;

  constructor(private readonly scheduler: SchedulerLike) {}

  /** The real client (re)connected: a warm-up starts. */
  connected(): void {
    this.connectedAt = this.lastActivity = this.scheduler.now();
  }

  /** A tab connected or subscribed: the tabs are not quiet yet. */
  activity(): void {
    this.lastActivity = this.scheduler.now();
  }

  /** Runs `deliver` now, or once the warm-up is over. */
  admit(deliver: () => void): void {
    if (this.scheduler.now() >= this.end) return deliver();
    this.parked = deliver;
    this.wake();
  }

  /** Runs what waits now (the real connection is gone: nobody gets it; the broker keeps it). */
  flush(): void {
    const parked = this.parked;
    this.parked = undefined;
    parked?.();
  }

  private get end(): number {
    return Math.min(this.connectedAt + WARM_UP_MS, Math.max(this.connectedAt, this.lastActivity) + QUIET_MS);
  }

  private wake(): void {
    this.scheduler.schedule(() => {
      if (this.parked === undefined) return;
      if (this.scheduler.now() < this.end) return this.wake();
      this.flush();
    }, this.end - this.scheduler.now());
  }
}
