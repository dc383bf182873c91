// A flood of QoS 1 messages into a slow manual-ack consumer, measured from the wire: how many
// PUBLISHes the client had received without having sent their PUBACK yet, at most, and how far
// the heap grew. Shared by the aedes and mosquitto backpressure specs.
import { concatMap, filter, firstValueFrom, lastValueFrom, map, range, tap, type Subscription } from 'rxjs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { MqttClient } from '../../lib/index.js';

/** A full garbage collection, so that heapUsed measures live objects (jest runs without --expose-gc). */
const gc: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/** heapUsed after a full collection. */
function liveHeap(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

export interface FloodReport {
  messages: number;
  payloadBytes: number;
  /** The most QoS 1/2 PUBLISHes received and not yet answered with PUBACK, at any moment. */
  maxUnacked: number;
  /** Peak live heap (after a full GC, sampled every 2000 handled messages) minus the live heap before, in MiB. */
  heapDeltaMiB: number;
  /** The largest payload total the unacknowledged messages could have pinned, in MiB. */
  unackedPayloadMiB: number;
  /** The most QoS 1 publishes the publisher had sent without their PUBACK (publishAll concurrency 100). */
  publisherMaxInflight: number;
}

/** Resolves on the next turn of the event loop, after I/O: a unit of "slow work" without a timer. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Subscribes `consumer` to `topic` with `ack: 'manual'`, doing `turns` event-loop turns of work
 * per message before `ack()` (one at a time, concatMap), while `publisher` publishes `count`
 * QoS 1 messages of `payloadBytes` with `publishAll`. Resolves once every message was handled.
 */
export async function floodSlowConsumer(
  consumer: MqttClient,
  publisher: MqttClient,
  { topic, count, payloadBytes, turns = 1, ack = 'manual' }: { topic: string; count: number; payloadBytes: number; turns?: number; ack?: 'manual' | 'auto' },
): Promise<FloodReport> {
  let received = 0;
  let acked = 0;
  let maxUnacked = 0;
  const subscriptions: Subscription[] = [];
  subscriptions.push(
    consumer.packetsIn$.subscribe((packet) => {
      if (packet.cmd !== 'publish' || packet.qos === 0) return;
      received++;
      if (received - acked > maxUnacked) maxUnacked = received - acked;
    }),
    consumer.packetsOut$.subscribe((packet) => packet.cmd === 'puback' && acked++),
  );
  let sent = 0;
  let completed = 0;
  let publisherMaxInflight = 0;
  subscriptions.push(
    publisher.packetsOut$.subscribe((packet) => {
      if (packet.cmd !== 'publish') return;
      sent++;
      if (sent - completed > publisherMaxInflight) publisherMaxInflight = sent - completed;
    }),
    publisher.packetsIn$.subscribe((packet) => packet.cmd === 'puback' && completed++),
  );
  const heapBefore = liveHeap();
  let heapPeak = heapBefore;
  let handled = 0;
  const suback = firstValueFrom(consumer.packetsIn$.pipe(filter((p) => p.cmd === 'suback')));
  const done = new Promise<void>((resolve, reject) => {
    subscriptions.push(
      consumer
        .topic(topic, { qos: 1, ack: 'manual' })
        .pipe(
          // 'auto': the same slow consumer acknowledging on arrival, as without manual ack: what
          // it has not handled yet piles up in concatMap's buffer (unbounded, for comparison).
          tap((message) => ack === 'auto' && message.ack()),
          concatMap(async (message) => {
            for (let i = 0; i < turns; i++) await nextTurn();
            message.ack();
            if (++handled % 2000 === 0) heapPeak = Math.max(heapPeak, liveHeap());
            if (handled === count) resolve();
          }),
        )
        .subscribe({ error: reject }),
    );
  });
  await suback;
  const payload = Buffer.alloc(payloadBytes, 0x61);
  await lastValueFrom(publisher.publishAll(range(0, count).pipe(map(() => ({ topic, payload, qos: 1 as const }))), { concurrency: 100 }));
  await done;
  for (const subscription of subscriptions) subscription.unsubscribe();
  return {
    messages: count,
    payloadBytes,
    maxUnacked,
    heapDeltaMiB: round((heapPeak - heapBefore) / 2 ** 20),
    unackedPayloadMiB: round((maxUnacked * payloadBytes) / 2 ** 20),
    publisherMaxInflight,
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
