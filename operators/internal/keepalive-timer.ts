/**
 * The timer core of the `keepalive` operator (operators/keepalive.ts), which the client runs on
 * every connection: pings after an interval without writes, and fails when the PINGRESP does not
 * come. Two scheduler actions and a few fields per subscription (every idle connected client has
 * one), with module functions as the actions so that no closure is made per connection.
 * Not exported from the package: the operator is the interface.
 */
import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';
import { TimeoutError, type MqttError } from '../../lib/errors.js';
import { reportAsSubscriberError } from '../../lib/platform/report-unhandled.js';

export interface KeepaliveHooks {
  /** A PINGREQ is due. */
  ping(): void;
  /** No PINGRESP in time. */
  timeout(error: MqttError): void;
}

export class KeepaliveTimer {
  private hooks?: KeepaliveHooks;
  private intervalMs = 0;
  private timeoutMs = 0;
  /** Scheduler time of the last write (with `reschedulePings`) or ping. */
  private lastSent = 0;
  /** One action for the connection's lifetime: it reschedules itself when it wakes early. */
  private pingAction?: Subscription;
  /** Armed by a ping, cancelled by the PINGRESP. */
  private pongTimeout?: Subscription;

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly reschedulePings: boolean,
  ) {}

  /** Pings after `intervalMs` of silence, fails after `timeoutMs` without PINGRESP; 0 disables keepalive ([MQTT-3.1.2-10]). */
  startMs(intervalMs: number, timeoutMs: number, hooks: KeepaliveHooks): void {
    this.stop();
    if (intervalMs <= 0) return;
    this.hooks = hooks;
    this.intervalMs = intervalMs;
    this.timeoutMs = timeoutMs;
    this.lastSent = this.scheduler.now();
    this.pingAction = this.scheduler.schedule(pingWhenDue, this.intervalMs, this);
  }

  /** Bytes went out. */
  sent(): void {
    if (this.hooks && this.reschedulePings) this.lastSent = this.scheduler.now();
  }

  /** A PINGRESP came in: only it proves the broker is alive (the write of a ping does not). */
  pong(): void {
    this.pongTimeout?.unsubscribe();
    this.pongTimeout = undefined;
  }

  stop(): void {
    this.hooks = undefined;
    this.pingAction?.unsubscribe();
    this.pingAction = undefined;
    this.pong();
  }

  /** The ping action woke up: ping if the interval passed, else sleep until it does. */
  private wake(action: SchedulerAction<KeepaliveTimer>): void {
    const hooks = this.hooks;
    if (!hooks) return;
    const now = this.scheduler.now();
    const due = this.lastSent + this.intervalMs;
    if (now < due) {
      // Clamped so a wall clock set backwards cannot postpone the ping beyond one interval.
      action.schedule(this, Math.min(due - now, this.intervalMs));
      return;
    }
    // [MQTT-3.1.2-23] idle clients MUST send PINGREQ; the next is due one interval after this one.
    this.lastSent = now;
    action.schedule(this, this.intervalMs);
    if (this.pongTimeout !== undefined) return; // still waiting for the previous PINGRESP
    // Armed before pinging, so a PINGRESP fed back synchronously finds the timer to cancel.
    this.pongTimeout = this.scheduler.schedule(timedOut, this.timeoutMs, this);
    // A hook that throws must not kill the ping action (as it could not when it was a subscriber).
    try {
      hooks.ping();
    } catch (error) {
      reportAsSubscriberError(error);
    }
  }

  private timedOut(): void {
    const hooks = this.hooks;
    if (!hooks) return;
    this.pongTimeout = undefined;
    this.stop();
    // MQTT 3.1.2.10: no PINGRESP within a reasonable time means the connection is dead.
    try {
      hooks.timeout(new TimeoutError('ERR_KEEPALIVE_TIMEOUT', `No PINGRESP within ${this.timeoutMs} ms`));
    } catch (error) {
      reportAsSubscriberError(error);
    }
  }
}

// Module functions with the timer as the action's state: no closure per connection.
function pingWhenDue(this: SchedulerAction<KeepaliveTimer>, timer?: KeepaliveTimer): void {
  timer?.['wake'](this);
}

function timedOut(timer?: KeepaliveTimer): void {
  timer?.['timedOut']();
}
