/**
 * MQTT.js's `subscribe` and `unsubscribe` on the Observable client: their callback shapes
 * (`(err, granted, suback)`, `(err, packet)`), a refused filter reported as an error with the grants
 * still given, and a bad argument reported through the callback, not thrown.
 */
import type { RxMqttClient, SubscribeResult } from '../client/client.js';
import { createLogger } from '../log.js';
import type { ISubackPacket, ISubscription, Packet } from '../protocol/codec.js';
import type { SubscribeOptions } from '../options/validate.js';
import { normaliseSubscribe, normaliseUnsubscribe, type Callback } from './compat-args.js';
import type { ClientSubscribeCallback, ISubscriptionGrant, ISubscriptionMap } from './compat-types.js';
import type { CallbackTiming } from './callback-timing.js';

const log = createLogger('client');

/** `subscribe(topics, [options], [callback])`: the callback gets the grants, in the order of the filters. */
export function subscribeWithCallback(client: RxMqttClient, timing: CallbackTiming, topics: string | string[] | ISubscriptionMap, options?: unknown, callback?: ClientSubscribeCallback): void {
  const args = normaliseSubscribe(topics, options, callback);
  const cb = args.callback as ClientSubscribeCallback | undefined;
  const version = client.options.protocolVersion;
  const failed = timing.deferred((error: Error) => (cb ? cb(error) : log('subscribe failed: %s', error.message)));
  if (args.error) return failed(args.error);
  client.subscribe$(args.subscriptions, args.properties).subscribe({
    next: timing.deferred(({ granted, packet, refused }: SubscribeResult) => {
      // MQTT.js v5 calls back with an error when the SUBACK refuses a filter, so `if (err)` sees
      // the refusal; the grants still say which filters were refused, and how.
      if (cb) cb(refused ?? null, toGrants(args.subscriptions, granted, version, args.properties), packet as ISubackPacket);
      else if (refused) log('subscribe failed: %s', refused.message);
    }),
    error: failed,
  });
}

/** `unsubscribe(topics, [options], [callback])`: the callback gets the UNSUBACK packet. */
export function unsubscribeWithCallback(client: RxMqttClient, timing: CallbackTiming, topics: string | string[], options?: unknown, callback?: Callback<Packet | undefined>): void {
  const args = normaliseUnsubscribe(topics, options, callback);
  const cb = args.callback as Callback<Packet | undefined> | undefined;
  const failed = timing.deferred((error: Error) => (cb ? cb(error) : log('unsubscribe failed: %s', error.message)));
  if (args.error) return failed(args.error);
  client.unsubscribe$(args.topics, args.properties).subscribe({
    next: timing.deferred((packet: Packet | undefined) => cb?.(null, packet)),
    error: failed,
  });
}

/**
 * One grant per filter, as MQTT.js reports them: the filter and the code the broker sent for it
 * (a granted QoS, or a failure code of 3.9.3); over MQTT 5 also the options it went out with
 * (`nl`, `rap`, `rh`, defaults included, as on the wire) and the SUBSCRIBE's properties, if any.
 */
function toGrants(subscriptions: ISubscription[], granted: number[], version: number, properties: SubscribeOptions['properties']): ISubscriptionGrant[] {
  return subscriptions.map((sub, i) => {
    const qos = (granted[i] ?? 0x80) as ISubscriptionGrant['qos'];
    if (version !== 5) return { topic: sub.topic, qos };
    const grant: ISubscriptionGrant = { topic: sub.topic, qos, nl: sub.nl ?? false, rap: sub.rap ?? false, rh: sub.rh ?? 0 };
    if (properties !== undefined) grant.properties = properties;
    return grant;
  });
}
