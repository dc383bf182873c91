/**
 * The one inbound path from the session to the app: every `deliver` output enters here, passes
 * the inbox (one at a time behind a `handleMessage` or `customHandleAcks`) and the manual-ack
 * holds, and leaves as a message for the app's streams plus, for QoS 1/2, an acknowledgement
 * handed back to the session once everything that held it let go. It also keeps the reasons to
 * stop reading the socket (a busy inbox, too many unacknowledged messages, a full `messages()`
 * iterator) and says whether any stands.
 */
import type { IPublishPacket } from '../protocol/codec.js';
import type { CustomHandleAcks, HandleMessage } from '../options/handlers.js';
import { LazySet } from '../session/lazy-map.js';
import { AckHolds } from './ack-holds.js';
import { Inbox } from './inbox.js';

/** Where deliveries go: one typed object, implemented by the connection's session link. */
export interface DeliverySink {
  /** A message for the app (routed synchronously to its streams and listeners). */
  message(packet: IPublishPacket, topic: string): void;
  /** Everything that held inbound `ackId` let go: its PUBACK/PUBREC may go out. */
  acknowledge(ackId: number, reasonCode: number | undefined): void;
  /** The app's `handleMessage` or `customHandleAcks` reported an error. */
  error(error: Error): void;
  /** Whether a reason to stop reading the socket appeared (true) or the last one went (false). */
  holdReading(held: boolean): void;
  /** MQTT.js `handleMessage`, looked up per message. */
  handleMessage?(): HandleMessage | undefined;
}

export interface DeliveryOptions {
  maxUnackedMessages: number;
  /** MQTT 5 only: the app decides each QoS 1/2 message's reason code. */
  customHandleAcks?: CustomHandleAcks;
}

export class Deliveries {
  // Made on first use: an idle client needs neither.
  private inbox?: Inbox;
  private ackHolds?: AckHolds;
  /** Who wants the socket paused: read when nobody does. */
  private readonly holders = new LazySet<unknown>();

  constructor(
    private readonly options: DeliveryOptions,
    private readonly sink: DeliverySink,
  ) {}

  /** Deliveries held by manual-ack streams (`topic(f, { ack: 'manual' })`). */
  get holds(): AckHolds {
    return (this.ackHolds ??= new AckHolds(this.options.maxUnackedMessages, {
      emit: (packet, topic) => this.sink.message(packet, topic),
      send: (ackId, reasonCode) => this.sink.acknowledge(ackId, reasonCode),
      pause: (paused) => this.hold(this.holds, paused),
    }));
  }

  /**
   * A session `deliver` output: `ackId` is set for a QoS 1/2 message the broker waits to see
   * acknowledged; `topic` is the full topic when the packet's is empty (Topic Alias).
   */
  push(packet: IPublishPacket, ackId: number | undefined, topic = packet.topic): void {
    (this.inbox ??= this.createInbox()).push(packet, ackId, topic);
  }

  /** Stops reading while any `key` holds the socket, reads again once none does. */
  hold(key: unknown, held: boolean): void {
    const before = this.holders.size > 0;
    if (held) this.holders.add(key);
    else this.holders.delete(key);
    const after = this.holders.size > 0;
    if (before !== after) this.sink.holdReading(after);
  }

  /** Someone wants the socket paused. */
  get readingHeld(): boolean {
    return this.holders.size > 0;
  }

  /** The connection is gone: queued messages are dropped (the broker re-sends them), holds stop counting. */
  connectionLost(): void {
    this.inbox?.clear();
    this.ackHolds?.connectionLost();
  }

  private createInbox(): Inbox {
    const { sink, options } = this;
    return new Inbox({
      emit: (packet, ackId, topic) => this.holds.dispatch(packet, ackId, topic),
      acknowledge: (ackId, reasonCode) => this.holds.acknowledge(ackId, reasonCode),
      error: (error) => sink.error(error),
      pause: (paused) => this.hold(this.inbox, paused),
      handleMessage: sink.handleMessage && (() => sink.handleMessage?.()),
      customHandleAcks: options.customHandleAcks,
    });
  }
}
