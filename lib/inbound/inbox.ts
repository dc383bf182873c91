/**
 * Hands inbound application messages to the app one at a time when the app asked for
 * MQTT.js-style backpressure (`handleMessage`, `customHandleAcks`): the next message is not
 * emitted before the previous one's `done` was called, and its acknowledgement goes out only then.
 * Without those hooks, messages pass straight through with no queue.
 */
import type { IPublishPacket } from '../protocol/codec.js';
import type { CustomHandleAcks, HandleMessage } from '../options/handlers.js';

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
      hooks.customHandleAcks(topic, payload, packet, (error, reasonCode) => {
        if (error) hooks.error(error);
        deliver(error ? (reasonCode ?? 0x80) : reasonCode);
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
