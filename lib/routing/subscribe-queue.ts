/**
 * The SUBSCRIBEs of `topic()` streams opened in one event-loop turn, sent together: an app that
 * opens 10,000 streams in a loop sends one subscribe command (as few SUBSCRIBE packets as
 * `subscribeBatchSize` and the broker's Maximum Packet Size allow, see the session) instead of
 * 10,000 packets, and waits for one round trip instead of 10,000 acknowledgements.
 *
 * Filters share a packet only when their SUBSCRIBE properties are equal: the properties, and on
 * MQTT 5 the Subscription Identifier among them, belong to the whole packet [MQTT-3.8.2.1.2], so
 * routes with their own identifiers each go in a packet of their own. The options of each filter
 * (QoS, No Local, Retain As Published, Retain Handling) may differ within one packet [MQTT-3.8.3.1].
 *
 * Each filter still gets its own outcome: its own SUBACK code [MQTT-3.9.3-1], a SubackError when
 * that code refuses it. A command the session refuses before sending (a filter the broker's
 * CONNACK rules out, say) is sent again one filter per command, so that only the streams of the
 * filter at fault fail.
 */
import type { ISubscription } from '../protocol/codec.js';
import { ClientClosedError, SubackError } from '../errors.js';
import type { SettleResult } from '../session/types.js';
import type { SubscribeOptions } from '../options/validate.js';

type SubscribeProperties = SubscribeOptions['properties'];

/** Sends one subscribe command (one SUBSCRIBE, or several with `subscribeBatchSize`). */
export type SendSubscribe = (subscriptions: ISubscription[], properties: SubscribeProperties, done: (error?: Error, result?: SettleResult) => void) => void;

/** One filter waiting for the end of the turn; `subscription` may still be raised (see `raise`). */
export interface QueuedSubscribe {
  subscription: ISubscription;
  readonly properties: SubscribeProperties;
  /** The route's first SUBSCRIBE: while it waits, the broker has nothing of the route's. */
  readonly opens: boolean;
  /** Called once with the filter's refusal or failure, or with nothing when it was granted. */
  readonly done: (error?: Error) => void;
  /** Taken out of the queue before it was sent. */
  cancelled: boolean;
}

export class SubscribeQueue {
  private queued: QueuedSubscribe[] | undefined;

  constructor(
    private readonly send: SendSubscribe,
    // Called as a method of this object: a bare `queueMicrotask` here throws "Illegal invocation" in browsers.
    private readonly endOfTurn: (flush: () => void) => void = (flush) => queueMicrotask(flush),
  ) {}

  /** Queues `subscription` for the end of the current turn; set `cancelled` to take it back until then. */
  add(subscription: ISubscription, properties: SubscribeProperties, opens: boolean, done: (error?: Error) => void): QueuedSubscribe {
    const entry: QueuedSubscribe = { subscription, properties, opens, done, cancelled: false };
    if (this.queued !== undefined) {
      this.queued.push(entry);
      return entry;
    }
    this.queued = [entry];
    // A microtask, not a timer: the batch leaves in the same turn, before any I/O. A command the
    // app issues meanwhile (a publish to the stream's topic, say) flushes it first (`flush`).
    this.endOfTurn(() => this.flush());
    return entry;
  }

  /** Whether `entry` still waits for the end of the turn (it can then be cancelled or raised). */
  static isWaiting(entry: QueuedSubscribe | undefined): entry is QueuedSubscribe {
    return entry !== undefined && !entry.cancelled;
  }

  /** Sends what is queued, now; the end of the turn then finds nothing (unless more was queued). */
  flush(): void {
    const queued = this.queued;
    if (queued === undefined) return;
    this.queued = undefined;
    const groups = new Map<string, QueuedSubscribe[]>();
    for (const entry of queued) {
      if (entry.cancelled) continue;
      // Done with as soon as it is sent: cancel() now means the broker has it.
      entry.cancelled = true;
      const key = entry.properties === undefined ? '' : JSON.stringify(entry.properties);
      const group = groups.get(key);
      if (group === undefined) groups.set(key, [entry]);
      else group.push(entry);
    }
    for (const group of groups.values()) this.sendGroup(group);
  }

  private sendGroup(group: QueuedSubscribe[]): void {
    const subscriptions = group.map((entry) => entry.subscription);
    this.send(subscriptions, group[0]!.properties, (error, result) => {
      if (error !== undefined && group.length > 1 && !(error instanceof ClientClosedError)) {
        // Refused before it was sent, perhaps for one filter only: let each filter answer for itself.
        for (const entry of group) this.sendGroup([entry]);
        return;
      }
      if (error !== undefined || result?.type !== 'subscribe') {
        for (const entry of group) entry.done(error);
        return;
      }
      const { granted, packet, refused } = result;
      for (let i = 0; i < group.length; i++) {
        const code = granted[i] as number;
        if (code < 0x80) group[i]!.done();
        else {
          const topic = subscriptions[i]!.topic;
          group[i]!.done(refused?.topic === topic ? refused : new SubackError(topic, code, packet?.properties?.reasonString, packet));
        }
      }
    });
  }
}
