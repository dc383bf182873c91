/**
 * Hands inbound application messages to the app one at a time when the app asked for
 * MQTT.js-style backpressure (`handleMessage`, `customHandleAcks`): the next message is not
 * emitted before the previous one's `done` was called, and its acknowledgement goes out only then.
 * Without those hooks, messages pass straight through with no queue.
 */
import type { IPublishPacket } from '../protocol/codec.js';
import { InvalidArgumentError } from '../errors.js';
import type { CustomHandleAcks, HandleMessage } from '../options/handlers.js';
import { PUBLISH_ACK_REASON_CODES } from '../protocol/reason-codes.js';

export interface InboxHooks {
  /**
   * Emit the message to the app (routing, 'message' event); `ackId` is the delivery's, if it needs
   * an ack; `topic` its full topic (an aliased packet's own is empty).
   */
  emit(packet: IPublishPacket, ackId: number | undefined, topic: string): void;
  /** The message is handled: send its PUBACK/PUBREC, with a reason code on MQTT 5. */
  acknowledge(ackId: number, reasonCode: number | undefined): void;
  /** A handler reported an error: surface it. */
  error(error: Error): void;
  /** Too many messages waiting: stop reading the socket (true) or read again (false). */
  pause(paused: boolean): void;
  /** Looked up per message, so an MQTT.js user may replace `client.handleMessage` at any time. */
  handleMessage?: () => HandleMessage | undefined;
  customHandleAcks?: CustomHandleAcks;
}

const PAUSE_ABOVE = 256;
/** MQTT 5 reason code 0x80 (Unspecified error): the refusal when the app's answer was an error. */
const UNSPECIFIED_ERROR = 0x80;

/**
 * What a `customHandleAcks` answer means: the reason code to acknowledge with, and the error to
 * report. MQTT.js apps answer `done(code)` as often as `done(null, code)`, so a number in the
 * error's place is the code. An error, or a code no PUBACK/PUBREC may carry, refuses the message
 * with 0x80 and is reported (MQTT.js's message for the bad code), rather than leaving it unacknowledged:
 * [MQTT-4.6.0-2] sends acks in order, so one missing ack would hold back every later one.
 */
function readCustomAck(error: Error | number | null | undefined, reasonCode: number | undefined, ack: 'puback' | 'pubrec'): { reasonCode?: number; error?: Error } {
  if (typeof error === 'number') return readCustomAck(undefined, error, ack);
  if (error) return { error: error instanceof Error ? error : new Error(String(error)), reasonCode: reasonCode !== undefined && reasonCode >= 0x80 && PUBLISH_ACK_REASON_CODES.has(reasonCode) ? reasonCode : UNSPECIFIED_ERROR };
  if (reasonCode === undefined || PUBLISH_ACK_REASON_CODES.has(reasonCode)) return { reasonCode };
  return { error: new InvalidArgumentError(`Wrong reason code for ${ack}`), reasonCode: UNSPECIFIED_ERROR };
}
const RESUME_BELOW = 32;

export class Inbox {
  private readonly queue: Array<{ packet: IPublishPacket; ackId?: number; topic: string }> = [];
  private busy = false;
  private isPaused = false;

  constructor(private readonly hooks: InboxHooks) {}

  push(packet: IPublishPacket, ackId: number | undefined, topic = packet.topic): void {
    const { hooks } = this;
    if (!hooks.customHandleAcks && !hooks.handleMessage?.() && this.queue.length === 0 && !this.busy) {
      hooks.emit(packet, ackId, topic);
      if (ackId !== undefined) hooks.acknowledge(ackId, undefined);
      return;
    }
    this.queue.push({ packet, ackId, topic });
    if (!this.isPaused && this.queue.length > PAUSE_ABOVE) this.setPaused(true);
    this.drain();
  }

  /** Forget queued messages (the connection is gone; the broker re-sends what was not acked). */
  clear(): void {
    this.queue.length = 0;
    this.busy = false;
    if (this.isPaused) this.setPaused(false);
  }

  private drain(): void {
    while (!this.busy && this.queue.length > 0) {
      const next = this.queue.shift()!;
      this.busy = true;
      let synchronous = true;
      this.process(next.packet, next.ackId, next.topic, (reasonCode) => {
        this.busy = false;
        if (next.ackId !== undefined) this.hooks.acknowledge(next.ackId, reasonCode);
        if (this.isPaused && this.queue.length < RESUME_BELOW) this.setPaused(false);
        if (!synchronous) this.drain();
      });
      synchronous = false;
    }
  }

  private process(packet: IPublishPacket, ackId: number | undefined, topic: string, done: (reasonCode?: number) => void): void {
    const { hooks } = this;
    let called = false;
    const once = (reasonCode?: number) => {
      if (called) return;
      called = true;
      done(reasonCode);
    };
    const deliver = (reasonCode?: number) => {
      // MQTT 5: a failure reason code from customHandleAcks means the app refused the message.
      if (reasonCode !== undefined && reasonCode >= 0x80) return once(reasonCode);
      hooks.emit(packet, ackId, topic);
      const handleMessage = hooks.handleMessage?.();
      if (!handleMessage) return once(reasonCode);
      handleMessage(packet, (error) => {
        // The message was already emitted; it is acknowledged anyway so later acks are not held
        // back behind it ([MQTT-4.6.0-2] keeps acks in order), and the error is reported.
        if (error) hooks.error(error);
        once(reasonCode);
      });
    };
    if (hooks.customHandleAcks && packet.qos > 0) {
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      let answered = false;
      hooks.customHandleAcks(topic, payload, packet, (error, reasonCode) => {
        // One message, one acknowledgement: a handler that answers twice is heard once.
        if (answered) return;
        answered = true;
        const answer = readCustomAck(error, reasonCode, packet.qos === 1 ? 'puback' : 'pubrec');
        if (answer.error) hooks.error(answer.error);
        deliver(answer.reasonCode);
      });
    } else {
      deliver();
    }
  }

  private setPaused(paused: boolean): void {
    this.isPaused = paused;
    this.hooks.pause(paused);
  }
}
