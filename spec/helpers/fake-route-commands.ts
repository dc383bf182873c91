/**
 * A `RouteCommands` for `TopicRoutes` specs without a broker: it records the SUBSCRIBEs and
 * UNSUBSCRIBEs the routes send; the test acknowledges them by calling their `done`.
 */
import type { ISubscription, IPublishPacket } from '../../lib/protocol/codec.js';
import type { MqttMessage } from '../../lib/inbound/message.js';
import type { RouteCommands, RouteSettings, TopicOptions } from '../../lib/routing/routes.js';
import type { SettleResult } from '../../lib/session/types.js';

export interface SentSubscribe {
  subscription: ISubscription;
  properties: TopicOptions['properties'];
  done: (error?: Error, result?: SettleResult) => void;
}

export class FakeCommands implements RouteCommands {
  readonly subscribes: SentSubscribe[] = [];
  readonly unsubscribes: { filter: string; done: () => void }[] = [];
  open = true;
  identifiers = true;

  /** Records one entry per filter; with `atOnce` (what these specs use) every command holds one filter. */
  subscribe(subscriptions: ISubscription[], properties: TopicOptions['properties'], done: SentSubscribe['done']): void {
    for (const subscription of subscriptions) this.subscribes.push({ subscription, properties, done });
  }
  unsubscribe(filter: string, done: () => void): void {
    this.unsubscribes.push({ filter, done });
  }
  isOpen(): boolean {
    return this.open;
  }
  identifiersAvailable(): boolean {
    return this.identifiers;
  }
  /** The Subscription Identifier of each SUBSCRIBE, in order. */
  get ids(): (number | undefined)[] {
    return this.subscribes.map((s) => s.properties?.subscriptionIdentifier);
  }
}

/** Route settings that send each SUBSCRIBE at once instead of at the end of the turn, as these specs expect. */
export const atOnce: RouteSettings = { endOfTurn: (flush) => flush() };

/** An inbound message as the client builds it from a PUBLISH. */
export function message(topic: string, fields: { payload?: string; retain?: boolean; ids?: number | number[] } = {}): MqttMessage {
  const properties = fields.ids === undefined ? undefined : { subscriptionIdentifier: fields.ids };
  const payload = Buffer.from(fields.payload ?? 'x');
  const retain = fields.retain ?? false;
  const packet: IPublishPacket = { cmd: 'publish', topic, payload, qos: 0, retain, dup: false, properties };
  return { topic, payload, qos: 0, retain, dup: false, properties, packet };
}
