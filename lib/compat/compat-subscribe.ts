/**
 * MQTT.js's `subscribe` and `unsubscribe` on the Observable client: their callback shapes
 * (`(err, granted)`, `(err, packet)`), a refused filter reported as an error with the grants
 * still given, and a bad argument reported through the callback, not thrown.
 */
import type { RxMqttClient } from '../client/client.js';
import { createLogger } from '../log.js';
import type { ISubscription, Packet } from '../protocol/codec.js';
import { normaliseSubscribe, normaliseUnsubscribe, type Callback } from './compat-args.js';

const log = createLogger('client');

/** One granted entry of a SUBACK, as MQTT.js's subscribe callback reports it. */
export interface ISubscriptionGrant {
  topic: string;
  /** Granted QoS, or the failure code (128, or an MQTT 5 reason code >= 0x80). */
  qos: number;
  nl?: boolean;
  rap?: boolean;
  rh?: number;
}

/** `subscribe(topics, [options], [callback])`: the callback gets the grants, in the order of the filters. */
export function subscribeWithCallback(client: RxMqttClient, topics: string | string[] | Record<string, unknown>, options?: unknown, callback?: Callback<ISubscriptionGrant[]>): void {
  const args = normaliseSubscribe(topics, options, callback);
  const cb = args.callback as Callback<ISubscriptionGrant[]> | undefined;
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
  return subscriptions.map((sub, i) => ({ ...sub, qos: granted[i] ?? 0x80 }));
}
