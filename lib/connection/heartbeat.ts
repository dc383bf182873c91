/**
 * The keepalive of the dialer's socket of the moment: the `keepalive` operator over the traffic
 * signals (writes, PINGRESPs), one subscription per connection, started at CONNACK.
 */
import { Observable, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';
import { keepalive, type KeepaliveSignal } from '../../operators/keepalive.js';
import type { MqttError } from '../errors.js';

/** What the keepalive asks of the connection. */
export interface HeartbeatHost {
  /** A PINGREQ is due. */
  pingDue(): void;
  /** No PINGRESP in time for the keepalive of `seconds`. */
  pingTimedOut(error: MqttError, seconds: number): void;
}

export class Heartbeat {
  private signals?: Subscriber<KeepaliveSignal>;
  private pings?: Subscription;

  constructor(
    private readonly host: HeartbeatHost,
    private readonly reschedulePings: boolean,
    private readonly scheduler: SchedulerLike,
  ) {}

  /** (Re)starts the keepalive with an interval of `seconds`. */
  start(seconds: number): void {
    this.stop();
    if (seconds <= 0) return; // [MQTT-3.1.2-10] a Keep Alive of 0 turns the mechanism off
    // The traffic signals: writes and PINGRESPs go straight to the one subscriber (no Subject).
    // No teardown: stop() forgets the subscriber (one teardown fewer per idle client). Made per
    // start, not kept: the subscription does not hold the Observable, so an idle client does not.
    const signals$ = new Observable<KeepaliveSignal>((sink) => {
      this.signals = sink;
    });
    const pings = signals$.pipe(keepalive({ intervalMs: seconds * 1000, reschedulePings: this.reschedulePings, scheduler: this.scheduler }));
    this.pings = pings.subscribe(new PingObserver(this.host, seconds));
  }

  stop(): void {
    this.pings?.unsubscribe();
    this.pings = undefined;
    this.signals = undefined;
  }

  /** A PINGRESP arrived: only it proves the broker alive. */
  pong(): void {
    this.signals?.next('pong');
  }

  /** Bytes went out: the keepalive interval starts again (with `reschedulePings`). */
  wrote(): void {
    this.signals?.next('sent');
  }

  /** Check the connection now: a PINGREQ at once, the connection dropped if no PINGRESP follows in time. */
  probe(): void {
    this.signals?.next('probe');
  }
}

/** What the keepalive of one connection asks for: a PINGREQ, or the end of the connection. */
class PingObserver {
  constructor(
    private readonly host: HeartbeatHost,
    private readonly seconds: number,
  ) {}

  next(): void {
    this.host.pingDue();
  }

  error(error: MqttError): void {
    this.host.pingTimedOut(error, this.seconds);
  }
}
