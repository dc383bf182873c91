/**
 * MQTT.js's `subscribe` and `unsubscribe` on the Observable client: their callback shapes
 * (`(err, granted)`, `(err, packet)`), a refused filter reported as an error with the grants
 * still given, and a bad argument reported through the callback, not thrown.
 */
import type { RxMqttClient } from '../client/client.js';
import { createLogger } from '../log.js';
import type { ISubscription, Packet } from '../protocol/codec.js';
import { normaliseSubscribe, normaliseUnsubscribe, type Callback } from './compat-args.js';
import type { ClientSubscribeCallback, ISubscriptionGrant, ISubscriptionMap } from './compat-types.js';

const log = createLogger('client');

/** `subscribe(topics, [options], [callback])`: the callback gets the grants, in the order of the filters. */
export function subscribeWithCallback(client: RxMqttClient, topics: string | string[] | ISubscriptionMap, options?: unknown, callback?: ClientSubscribeCallback): void {
  const args = normaliseSubscribe(topics, options, callback);
  const cb = args.callback as ClientSubscribeCallback | undefined;
  if (args.error) {
    const error = args.error;
    queueMicrotask(() => (cb ? cb(error) : log('subscribe failed: %s', error.message)));
    return;
  }
  client.subscribe$(args.subscriptions, args.properties).subscribe({
    next: ({ granted, refused }) => {
      // MQTT.js v5 calls back with an error when the SUBACK refuses a filter, so `if (err)` sees
      // the refusal; the grants still say which filters were refused, and how.
      if (cb) cb(refused ?? null, toGrants(args.subscriptions, granted));
      else if (refused) log('subscribe failed: %s', refused.message);
    },
    error: (error: Error) => (cb ? cb(error) : log('subscribe failed: %s', error.message)),
  });
}

/** `unsubscribe(topics, [options], [callback])`: the callback gets the UNSUBACK packet. */
export function unsubscribeWithCallback(client: RxMqttClient, topics: string | string[], options?: unknown, callback?: Callback<Packet | undefined>): void {
  const args = normaliseUnsubscribe(topics, options, callback);
  const cb = args.callback as Callback<Packet | undefined> | undefined;
  if (args.error) {
    const error = args.error;
    queueMicrotask(() => (cb ? cb(error) : log('unsubscribe failed: %s', error.message)));
    return;
  }
  client.unsubscribe$(args.topics, args.properties).subscribe({
    next: (packet) => cb?.(null, packet),
    error: (error: Error) => (cb ? cb(error) : log('unsubscribe failed: %s', error.message)),
  });
}

function toGrants(subscriptions: ISubscription[], granted: number[]): ISubscriptionGrant[] {
  // The codes as the broker sent them: a granted QoS, or a failure code of 3.9.3.
  return subscriptions.map((sub, i) => ({ ...sub, qos: (granted[i] ?? 0x80) as ISubscriptionGrant['qos'] }));
}
