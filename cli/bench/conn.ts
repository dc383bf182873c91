/**
 * `rxmqtt bench conn`: opens N connections at a rate, keeps them for --hold seconds, closes
 * them; reports how long CONNECT took to be accepted, and what failed.
 *
 * ```
 * rxmqtt bench conn -c 1000 --connect-rate 200 --hold 10
 * ```
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT } from '../errors.js';
import { toConnectSettings } from '../options.js';
import { onStopSignal } from '../session.js';
import { connectFleet } from './fleet.js';
import type { BenchFlags } from './flags.js';
import { defaultIdPrefix, toBenchPlan } from './plan.js';
import { startProgress } from './progress.js';
import { commonSummary, formatSummary, perSecond, progressLine, type ConnSummary } from './report.js';

/** Runs `rxmqtt bench conn`; resolves with the exit code (1 if a connection failed), rejects with a CliError. */
export async function runBenchConn(flags: BenchFlags): Promise<number> {
  const settings = toConnectSettings(flags, (path) => readFileSync(path));
  const plan = toBenchPlan('conn', flags, defaultIdPrefix('conn', process.pid));
  const stop = new AbortController();
  const removeSignals = onStopSignal(() => stop.abort());
  const timer = plan.durationMs === undefined ? undefined : setTimeout(() => stop.abort(), plan.durationMs);
  let connected = 0;
  let lastConnected = 0;
  const progress = startProgress((elapsedMs, sinceLastMs) => {
    const perSec = perSecond(connected - lastConnected, sinceLastMs);
    lastConnected = connected;
    return progressLine({ elapsedMs, done: connected, noun: 'connected', perSec, errors: 0, reconnects: 0 });
  });
  try {
    const started = performance.now();
    const fleet = await connectFleet(plan, settings, stop.signal, () => void connected++);
    const durationMs = performance.now() - started;
    progress.stop();
    if (plan.holdMs > 0) await sleep(plan.holdMs, undefined, { signal: stop.signal }).catch(() => undefined);
    await fleet.close();
    const summary: ConnSummary = {
      ...commonSummary('conn', plan.clients, fleet.counters, durationMs, fleet.connectLatency.summary()),
      bench: 'conn',
      connectsPerSec: perSecond(fleet.counters.connected, durationMs),
    };
    process.stdout.write(formatSummary(summary, plan.format));
    return summary.connectFailures + summary.dropped > 0 ? EXIT.failure : EXIT.ok;
  } finally {
    progress.stop();
    clearTimeout(timer);
    removeSignals();
  }
}
