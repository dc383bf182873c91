/**
 * `rxmqtt bench pub`: N clients publish numbered, timestamped messages at a rate (or as fast as
 * their window of unacknowledged messages allows), until a count or a duration; then a summary.
 *
 * ```
 * rxmqtt bench pub -c 10 -t 'bench/%i' -q 1 -s 256 -r 100 --duration 30
 * ```
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { MqttClient } from '../../lib/index.js';
import { CliError, EXIT } from '../errors.js';
import { toConnectSettings } from '../options.js';
import { onStopSignal } from '../session.js';
import { connectFleet, countError, epochMs, paced, type BenchClient, type FleetCounters } from './fleet.js';
import type { BenchFlags, BenchPlan } from './flags.js';
import { defaultIdPrefix, expandTopic, toBenchPlan } from './plan.js';
import { LatencyHistogram } from './histogram.js';
import { encodeBenchPayload } from './payload.js';
import { startProgress } from './progress.js';
import { commonSummary, formatSummary, perSecond, progressLine, type PubSummary } from './report.js';

/**
 * A client publishing back to back yields to the event loop after this many messages: a QoS 0
 * publish settles in a microtask, and without a turn of the loop no timer (--duration, progress)
 * and no socket write would ever run.
 */
const YIELD_EVERY = 64;

/** How long the acknowledgements of the last publishes are awaited once the run stops. */
const DRAIN_MS = 10_000;

interface PubStats {
  sent: number;
  acked: number;
  inFlight: number;
  payloadBytes: number;
  ackLatency: LatencyHistogram;
}

/** Runs `rxmqtt bench pub`; resolves with the exit code (1 if anything failed), rejects with a CliError. */
export async function runBenchPub(flags: BenchFlags): Promise<number> {
  const settings = toConnectSettings(flags, (path) => readFileSync(path));
  const plan = toBenchPlan('pub', flags, defaultIdPrefix('pub', process.pid));
  const stop = new AbortController();
  const removeSignals = onStopSignal(() => stop.abort());
  try {
    const fleet = await connectFleet(plan, settings, stop.signal);
    if (fleet.clients.length === 0) throw new CliError(fleet.counters.firstError ?? 'No client connected');
    const stats: PubStats = { sent: 0, acked: 0, inFlight: 0, payloadBytes: 0, ackLatency: new LatencyHistogram() };
    const started = performance.now();
    const timer = plan.durationMs === undefined ? undefined : setTimeout(() => stop.abort(), plan.durationMs);
    let lastSent = 0;
    const progress = startProgress((elapsedMs, sinceLastMs) => {
      const perSec = perSecond(stats.sent - lastSent, sinceLastMs);
      lastSent = stats.sent;
      const { errors, reconnects } = fleet.counters;
      return progressLine({ elapsedMs, done: stats.sent, noun: 'sent', perSec, inFlight: stats.inFlight, latency: stats.ackLatency.summary(), errors, reconnects });
    });
    let drained = true;
    try {
      const windows = await Promise.all(fleet.clients.map((client) => publishLoop(client, plan, stats, fleet.counters, stop.signal)));
      drained = await settlesWithin(Promise.all(windows.flatMap((window) => [...window])), DRAIN_MS);
    } finally {
      clearTimeout(timer);
      progress.stop();
    }
    const durationMs = performance.now() - started;
    await fleet.close(!drained);
    const summary: PubSummary = {
      ...commonSummary('pub', plan.clients, fleet.counters, durationMs, fleet.connectLatency.summary()),
      bench: 'pub',
      qos: plan.qos,
      payloadBytes: stats.payloadBytes,
      sent: stats.sent,
      acked: stats.acked,
      unacked: stats.inFlight,
      msgsPerSec: perSecond(stats.acked, durationMs),
      ackLatencyMs: stats.ackLatency.summary(),
    };
    process.stdout.write(formatSummary(summary, plan.format));
    const failed = summary.connectFailures + summary.errors + summary.unacked + summary.dropped > 0;
    return failed ? EXIT.failure : EXIT.ok;
  } finally {
    removeSignals();
  }
}

/**
 * Publishes the messages of one client on a fixed schedule, keeping at most `plan.inflight`
 * unacknowledged; returns the publishes still pending once it stops (count reached or aborted).
 */
async function publishLoop(bench: BenchClient, plan: BenchPlan, stats: PubStats, counters: FleetCounters, signal: AbortSignal): Promise<Set<Promise<void>>> {
  const topic = expandTopic(plan.topic, bench.index, bench.id);
  const pending = new Set<Promise<void>>();
  // Resolved when a slot of the window frees up (or the run stops): no scan of the window per message.
  let slotFreed: (() => void) | undefined;
  const wake = () => {
    slotFreed?.();
    slotFreed = undefined;
  };
  signal.addEventListener('abort', wake, { once: true });
  const start = performance.now();
  for (let seq = 0; plan.count === undefined || seq < plan.count; seq++) {
    if (plan.intervalMs > 0 && seq > 0) await paced(start + seq * plan.intervalMs, signal);
    else if (seq % YIELD_EVERY === YIELD_EVERY - 1) await nextTurn();
    await drained(bench.client, signal);
    if (signal.aborted) break;
    const sentAt = epochMs();
    const payload = encodeBenchPayload({ publisherId: bench.id, seq, total: plan.count ?? 0, sentAt }, plan.size);
    stats.payloadBytes = payload.length;
    stats.sent++;
    stats.inFlight++;
    const publish: Promise<void> = bench.client
      .publishAsync(topic, payload, { qos: plan.qos })
      .then(
        () => {
          stats.acked++;
          stats.ackLatency.record(epochMs() - sentAt);
        },
        (error: unknown) => countError(counters, error),
      )
      .finally(() => {
        stats.inFlight--;
        pending.delete(publish);
        wake();
      });
    pending.add(publish);
    if (pending.size >= plan.inflight && !signal.aborted) await new Promise<void>((resolve) => (slotFreed = resolve));
  }
  signal.removeEventListener('abort', wake);
  return pending;
}

/**
 * Waits while the socket has more queued than its high-water mark: "written" (when a QoS 0
 * publish settles) means handed to the socket, so without this the queue would grow unbounded.
 */
async function drained(client: MqttClient, signal: AbortSignal): Promise<void> {
  const stream = client.stream as MqttClient['stream'] | undefined;
  if (!stream?.writableNeedDrain) return;
  // A dropped connection never drains: its close ends the wait too (publishes then queue offline).
  await new Promise<void>((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    signal.addEventListener('abort', done);
  });
}

/** True if `promise` settled within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const deadline = new AbortController();
  const timeout = sleep(ms, false, { signal: deadline.signal }).catch(() => false);
  const settled = promise.then(() => true, () => true);
  const outcome = await Promise.race([settled, timeout]);
  deadline.abort();
  return outcome;
}
