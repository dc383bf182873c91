/**
 * `topic(filter, { replay: 'retained' })`: the last retained message a route received per concrete
 * topic, replayed to streams that join the route later (the broker sends retained messages only
 * to a new subscription, and a later stream shares the existing one).
 */
import type { Subscriber } from 'rxjs';
import type { MqttMessage } from '../inbound/message.js';

/**
 * Retained messages by topic. Only messages that arrive with RETAIN=1 count: those the broker
 * sent from its store when the filter was subscribed, and with Retain As Published (`rap: true`)
 * live publishes that were retained. A retained message with an empty payload clears its topic,
 * as it clears the broker's [MQTT-3.3.1-6]. Lives as long as its route, so its memory is that of
 * the topics the route's filter matched.
 *
 * @example
 * const retained = new RetainedMessages();
 * retained.record(message); // kept if message.retain, dropped if also empty
 * retained.replay(subscriber);
 */
export class RetainedMessages {
  private readonly byTopic = new Map<string, MqttMessage>();

  /** Keeps `message` as its topic's retained message (or forgets the topic for an empty one). */
  record(message: MqttMessage): void {
    if (!message.retain) return;
    // Re-inserted so that replay goes from the oldest update to the newest.
    this.byTopic.delete(message.topic);
    if (message.payload.length > 0) this.byTopic.set(message.topic, message);
  }

  /** Emits every kept message to `subscriber`, oldest first, until it closes. */
  replay(subscriber: Subscriber<MqttMessage>): void {
    for (const message of [...this.byTopic.values()]) {
      if (subscriber.closed) return;
      subscriber.next(message);
    }
  }

  get size(): number {
    return this.byTopic.size;
  }
}
