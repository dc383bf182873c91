/**
 * MQTT.js's `subscribe` and `unsubscribe` on the Observable client: their callback shapes
 * (`(err, granted)`, `(err, packet)`), a refused filter reported as an error with the grants
 * still given, and a bad argument reported through the callback, not thrown.
 */
import type { RxMqttClient, SubscribeResult } from '../client/client.js';
import { createLogger } from '../log.js';
import type { ISubscription, Packet } from '../protocol/codec.js';
import { normaliseSubscribe, normaliseUnsubscribe, type Callback } from './compat-args.js';
import type { ClientSubscribeCallback, ISubscriptionGrant, ISubscriptionMap } from './compat-types.js';
import type { CallbackTiming } from './callback-timing.js';

const log = createLogger('client');

/** `subscribe(topics, [options], [callback])`: the callback gets the grants, in the order of the filters. */
export function subscribeWithCallback(client: RxMqttClient, timing: CallbackTiming, topics: string | string[] | ISubscriptionMap, options?: unknown, callback?: ClientSubscribeCallback): void {
  const args = normaliseSubscribe(topics, options, callback);
  const cb = args.callback as ClientSubscribeCallback | undefined;
  const failed = timing.deferred((error: Error) => (cb ? cb(error) : log('subscribe failed: %s', error.message)));
  if (args.error) return failed(args.error);
  client.subscribe$(args.subscriptions, args.properties).subscribe({
    next: timing.deferred(({ granted, refused }: SubscribeResult) => {
      // MQTT.js v5 calls back with an error when the SUBACK refuses a filter, so `if (err)` sees
      // the refusal; the grants still say which filters were refused, and how.
      if (cb) cb(refused ?? null, toGrants(args.subscriptions, granted));
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

function toGrants(subscriptions: ISubscription[], granted: number[]): ISubscriptionGrant[] {
  // The codes as the broker sent them: a granted QoS, or a failure code of 3.9.3.
  return subscriptions.map((sub, i) => ({ ...sub, qos: (granted[i] ?? 0x80) as ISubscriptionGrant['qos'] }));
}
