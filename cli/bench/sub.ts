/**
 * `rxmqtt bench sub`: N clients subscribe, and every bench message they receive is checked
 * against its publisher's sequence (lost, duplicated, out of order) and timed from the send time
 * in its payload; then a summary. Start it before `rxmqtt bench pub`: messages published before
 * the subscription count as lost.
 *
 * ```
 * rxmqtt bench sub -c 2 -t 'bench/#' -q 1 -C 20000 -F json
 * ```
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { MqttMessage } from '../../lib/index.js';
import { CliError, EXIT } from '../errors.js';
import { toConnectSettings } from '../options.js';
import { onStopSignal } from '../session.js';
import { connectFleet, epochMs, type BenchClient } from './fleet.js';
import type { BenchFlags, BenchPlan } from './flags.js';
import { defaultIdPrefix, expandTopic, toBenchPlan } from './plan.js';
import { LatencyHistogram } from './histogram.js';
import { decodeBenchPayload } from './payload.js';
import { startProgress } from './progress.js';
import { commonSummary, formatSummary, perSecond, progressLine, type SubSummary } from './report.js';
import { SequenceCheck } from './sequence-check.js';

/** What the subscribers have seen so far. */
class Receipts {
  received = 0;
  foreign = 0;
  firstAt = 0;
  lastAt = 0;
  readonly latency = new LatencyHistogram();
  readonly order = new SequenceCheck();
  /** Subscribers that have their -C messages. */
  complete = 0;
  private readonly perClient = new Map<number, number>();

  constructor(
    private readonly plan: BenchPlan,
    private readonly onComplete: () => void,
    private readonly subscribers: () => number,
  ) {}

  /** Handles one message of subscriber `index`. */
  take(index: number, message: MqttMessage): void {
    const header = decodeBenchPayload(message.payload);
    if (!header) {
      this.foreign++;
      return;
    }
    const now = performance.now();
    if (this.received === 0) this.firstAt = now;
    this.lastAt = now;
    this.received++;
    this.latency.record(epochMs() - header.sentAt);
    this.order.record(index, header.publisherId, header.seq, header.total);
    const count = (this.perClient.get(index) ?? 0) + 1;
    this.perClient.set(index, count);
    if (count === this.plan.count && ++this.complete >= this.subscribers()) this.onComplete();
  }
}

/** Runs `rxmqtt bench sub`; resolves with the exit code (1 if a client failed), rejects with a CliError. */
export async function runBenchSub(flags: BenchFlags): Promise<number> {
  const settings = toConnectSettings(flags, (path) => readFileSync(path));
  const plan = toBenchPlan('sub', flags, defaultIdPrefix('sub', process.pid));
  const stop = new AbortController();
  const removeSignals = onStopSignal(() => stop.abort());
  const stopped = new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
  let subscribed = 0;
  // While clients are still subscribing, the first ones to have their count must not end the run.
  let allSubscribed = false;
  const receipts = new Receipts(plan, () => stop.abort(), () => (allSubscribed ? subscribed : Infinity));
  const subscribe = async ({ client, index, id }: BenchClient) => {
    client.messages$.subscribe((message) => receipts.take(index, message));
    await client.subscribeAsync(expandTopic(plan.topic, index, id), { qos: plan.qos });
    subscribed++;
  };
  try {
    const fleet = await connectFleet(plan, settings, stop.signal, subscribe);
    allSubscribed = true;
    if (subscribed === 0) throw new CliError(fleet.counters.firstError ?? 'No client subscribed');
    const started = performance.now();
    const timer = plan.durationMs === undefined ? undefined : setTimeout(() => stop.abort(), plan.durationMs);
    let lastReceived = 0;
    const progress = startProgress((elapsedMs, sinceLastMs) => {
      const perSec = perSecond(receipts.received - lastReceived, sinceLastMs);
      lastReceived = receipts.received;
      const { lost, duplicated, outOfOrder } = receipts.order.summary();
      const extra = `lost ${lost} dup ${duplicated} out of order ${outOfOrder}`;
      const { errors, reconnects } = fleet.counters;
      return progressLine({ elapsedMs, done: receipts.received, noun: 'received', perSec, latency: receipts.latency.summary(), extra, errors, reconnects });
    });
    try {
      if (plan.count !== undefined && receipts.complete >= subscribed) stop.abort();
      await stopped;
    } finally {
      clearTimeout(timer);
      progress.stop();
    }
    const durationMs = performance.now() - started;
    await fleet.close();
    const { streams: _streams, ...order } = receipts.order.summary();
    const summary: SubSummary = {
      ...commonSummary('sub', plan.clients, fleet.counters, durationMs, fleet.connectLatency.summary()),
      bench: 'sub',
      qos: plan.qos,
      received: receipts.received,
      foreign: receipts.foreign,
      ...order,
      // Between the first and the last message: the time before the publishers start is no throughput.
      msgsPerSec: perSecond(receipts.received - 1, receipts.lastAt - receipts.firstAt),
      latencyMs: receipts.latency.summary(),
    };
    process.stdout.write(formatSummary(summary, plan.format));
    return summary.connectFailures + summary.errors + summary.dropped > 0 ? EXIT.failure : EXIT.ok;
  } finally {
    removeSignals();
  }
}
