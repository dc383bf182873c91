/**
 * Manual acknowledgement (`topic(filter, { ack: 'manual' })`): the PUBACK/PUBREC of a QoS 1/2
 * delivery waits until every manual stream that received it has called `ack()`.
 *
 * While a delivery is routed (`dispatch`), each manual stream it reaches takes a hold on it
 * (`take`); the inbox's acknowledgement (after `handleMessage`/`customHandleAcks`, if any) is
 * passed on to the session only once the last hold is released. The session still sends acks in
 * arrival order [MQTT-4.6.0-2], so one message held long holds back the acks behind it.
 *
 * More than `limit` held deliveries on the current connection pause reading from the socket
 * (MQTT 3.1.1 has no Receive Maximum: this is what bounds a slow consumer there); reading
 * resumes once at most half of them are left.
 */
import { Observable } from 'rxjs';
import type { IPublishPacket } from '../protocol/codec.js';
import type { MqttMessage } from './message.js';

/** A message from a manual-ack stream. */
export type AckableMessage<T = void> = MqttMessage<T> & {
  /**
   * Releases this stream's hold on the message; its PUBACK/PUBREC goes out once every manual
   * stream that received it has acknowledged. Idempotent. A no-op for QoS 0.
   */
  ack(): void;
};

interface Held {
  holds: number;
  /** Whether it counts towards `limit` (taken on the current connection). */
  counted: boolean;
  /** The inbox acknowledged it (with this reason code) and it waits for the last release. */
  acknowledged: boolean;
  reasonCode: number | undefined;
}

export interface AckHoldsHooks {
  /** Route a delivery to the app. */
  emit(packet: IPublishPacket, topic: string): void;
  /** Send the delivery's acknowledgement (the session's 'acknowledge' input). */
  send(ackId: number, reasonCode: number | undefined): void;
  /** Stop reading the socket (true), or read again (false). */
  pause(paused: boolean): void;
}

/** Held deliveries that pause reading unless `maxUnackedMessages` says otherwise. */
export const DEFAULT_MAX_UNACKED_MESSAGES = 1000;

const noop = (): void => undefined;

export class AckHolds {
  private readonly held = new Map<number, Held>();
  /** The ackId of the delivery being routed, while `dispatch` runs. */
  private current: number | undefined;
  private counted = 0;
  private paused = false;
  /** The largest number of held deliveries seen at once (for measurements). */
  peak = 0;

  /** @param limit Held deliveries above which reading pauses. */
  constructor(
    private readonly limit: number,
    private readonly hooks: AckHoldsHooks,
  ) {}

  /** How many deliveries are held by manual streams right now (on the current connection). */
  get outstanding(): number {
    return this.counted;
  }

  /** Routes one delivery: the manual streams it reaches take holds on `ackId`. */
  dispatch(packet: IPublishPacket, ackId: number | undefined, topic = packet.topic): void {
    const previous = this.current;
    this.current = ackId;
    try {
      this.hooks.emit(packet, topic);
    } finally {
      this.current = previous;
    }
  }

  /** A manual stream received the delivery being routed: the release function of its hold (a no-op without ackId: QoS 0). */
  take(): () => void {
    const ackId = this.current;
    if (ackId === undefined) return noop;
    let entry = this.held.get(ackId);
    if (entry === undefined) {
      entry = { holds: 0, counted: true, acknowledged: false, reasonCode: undefined };
      this.held.set(ackId, entry);
      this.counted++;
      if (this.counted > this.peak) this.peak = this.counted;
      if (!this.paused && this.counted > this.limit) this.setPaused(true);
    }
    entry.holds++;
    const held = entry;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release(ackId, held);
    };
  }

  /** The inbox is done with `ackId`: its acknowledgement goes out now, or once its last hold is released. */
  acknowledge(ackId: number, reasonCode: number | undefined): void {
    const entry = this.held.get(ackId);
    if (entry === undefined) return this.hooks.send(ackId, reasonCode);
    entry.acknowledged = true;
    entry.reasonCode = reasonCode;
  }

  /**
   * The connection is gone: its holds stay (the app may still ack; the session ignores acks it
   * no longer knows), but they no longer count towards the limit, so the next connection reads.
   */
  connectionLost(): void {
    for (const entry of this.held.values()) entry.counted = false;
    this.counted = 0;
    if (this.paused) this.setPaused(false);
  }

  private release(ackId: number, entry: Held): void {
    if (--entry.holds > 0) return;
    this.held.delete(ackId);
    if (entry.counted) {
      this.counted--;
      if (this.paused && this.counted <= this.limit >> 1) this.setPaused(false);
    }
    if (entry.acknowledged) this.hooks.send(ackId, entry.reasonCode);
  }

  private setPaused(paused: boolean): void {
    this.paused = paused;
    this.hooks.pause(paused);
  }
}

/**
 * Gives each message of `source` its own `ack()`, backed by a hold taken in `holds` while the
 * message is routed. Must sit right on the routed stream (a synchronous emission).
 *
 * A message the stream emitted belongs to the app until its `ack()`, whatever becomes of the
 * stream: unsubscribing releases nothing, so `await firstValueFrom(topic(...))` (which unsubscribes
 * as the message arrives) still acknowledges only after the app's work, and a crash in between
 * makes the broker redeliver it [MQTT-4.4.0-1]. That is at-least-once; the price is that a
 * message never acknowledged holds its PUBACK/PUBREC, and the acks after it (sent in arrival
 * order [MQTT-4.6.0-2]), until the connection ends. A message reaching a stream already
 * unsubscribed (while it emits) is not handed on and takes no hold.
 */
export function manualAck<T = void>(holds: AckHolds): (source: Observable<MqttMessage<T>>) => Observable<AckableMessage<T>> {
  return (source) =>
    new Observable<AckableMessage<T>>((subscriber) =>
      source.subscribe({
        next: (message) => {
          if (subscriber.closed) return;
          // The release function is idempotent: it is the message's ack().
          subscriber.next({ ...message, ack: holds.take() });
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
}
