/**
 * The connection's keepalive: the `keepalive` operator fed with write and PINGRESP signals.
 * One instance per connection; `stop()` when the connection ends.
 */
import { Subject, type SchedulerLike, type Subscription } from 'rxjs';
import { keepalive, type KeepaliveSignal } from '../operators/keepalive.js';
import type { MqttError } from './errors.js';

export interface KeepaliveHooks {
  /** A PINGREQ is due. */
  ping(): void;
  /** No PINGRESP in time. */
  timeout(error: MqttError): void;
}

export class KeepaliveTimer {
  private signals?: Subject<KeepaliveSignal>;
  private subscription?: Subscription;

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly reschedulePings: boolean,
  ) {}

  /** Starts pinging every `seconds` of silence; 0 disables keepalive ([MQTT-3.1.2-10] 3.1.2.10). */
  start(seconds: number, hooks: KeepaliveHooks): void {
    this.stop();
    if (seconds <= 0) return;
    const signals = new Subject<KeepaliveSignal>();
    this.signals = signals;
    this.subscription = signals
      .pipe(keepalive({ intervalMs: seconds * 1000, reschedulePings: this.reschedulePings, scheduler: this.scheduler }))
      .subscribe({ next: () => hooks.ping(), error: (error: MqttError) => hooks.timeout(error) });
  }

  /** Bytes went out. */
  sent(): void {
    this.signals?.next('sent');
  }

  /** A PINGRESP came in. */
  pong(): void {
    this.signals?.next('pong');
  }

  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.signals = undefined;
  }
}
