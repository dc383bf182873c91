/**
 * What `rxmqtt bench` prints, pure: the live progress line (stderr, on a terminal) and the final
 * summary (a two-column table, or one JSON line with -F json).
 *
 * ```
 * bench sub     2 clients (2 connected, 0 failed)
 * received      40 in 0.21 s (190.5 msg/s)
 * order         ok: none lost, duplicated or out of order (2 publishers)
 * latency       p50 0.412 ms  p99 1.2 ms  max 1.5 ms
 * ```
 */
import type { FleetCounters } from './fleet.js';
import type { BenchKind } from './flags.js';
import type { LatencySummary } from './histogram.js';
import type { SequenceSummary } from './sequence-check.js';

interface CommonSummary {
  bench: BenchKind;
  clients: number;
  connected: number;
  connectFailures: number;
  reconnects: number;
  /** Connections that dropped for good. */
  dropped: number;
  errors: number;
  durationMs: number;
  connectLatencyMs: LatencySummary;
  firstError?: string;
}

export interface PubSummary extends CommonSummary {
  bench: 'pub';
  qos: number;
  payloadBytes: number;
  sent: number;
  /** Acknowledged (QoS 1 and 2) or written to the socket (QoS 0). */
  acked: number;
  /** Still unacknowledged when the run ended. */
  unacked: number;
  msgsPerSec: number;
  /** Publish to acknowledgement (QoS 0: to the write). */
  ackLatencyMs: LatencySummary;
}

export interface SubSummary extends CommonSummary, Omit<SequenceSummary, 'streams'> {
  bench: 'sub';
  qos: number;
  received: number;
  /** Messages without a bench header (other traffic on the filter): not counted in the rest. */
  foreign: number;
  msgsPerSec: number;
  /** Send time in the payload to arrival. */
  latencyMs: LatencySummary;
}

export interface ConnSummary extends CommonSummary {
  bench: 'conn';
  connectsPerSec: number;
}

export type BenchSummary = PubSummary | SubSummary | ConnSummary;

/** The summary fields every command shares. */
export function commonSummary(bench: BenchKind, clients: number, counters: FleetCounters, durationMs: number, connectLatencyMs: LatencySummary): CommonSummary {
  const { connected, connectFailures, reconnects, dropped, errors, firstError } = counters;
  return { bench, clients, connected, connectFailures, reconnects, dropped, errors, durationMs, connectLatencyMs, ...(firstError !== undefined && { firstError }) };
}

/** Events per second over `ms`, 0 for an empty interval. */
export function perSecond(events: number, ms: number): number {
  return ms > 0 ? (events * 1000) / ms : 0;
}

/** Milliseconds with about 3 significant digits: 0.0123, 0.412, 12.3, 1234. */
export function formatMs(ms: number): string {
  if (ms === 0) return '0';
  if (ms >= 100) return String(Math.round(ms));
  return String(Number(ms.toPrecision(3)));
}

const latency = (l: LatencySummary) => `p50 ${formatMs(l.p50)} ms  p99 ${formatMs(l.p99)} ms  max ${formatMs(l.max)} ms`;
const rate = (perSec: number) => `${perSec >= 100 ? Math.round(perSec) : Number(perSec.toPrecision(3))}`;

/** The verdict on order and loss, in words. */
export function orderVerdict(summary: Pick<SubSummary, 'lost' | 'duplicated' | 'outOfOrder' | 'publishers' | 'openEnded'>): string {
  const { lost, duplicated, outOfOrder, publishers, openEnded } = summary;
  const upTo = openEnded > 0 ? ', up to the last received of publishers bounded by time' : '';
  const from = `(${publishers} publisher${publishers === 1 ? '' : 's'}${upTo})`;
  if (lost === 0 && duplicated === 0 && outOfOrder === 0) return `ok: none lost, duplicated or out of order ${from}`;
  return `NOT OK: ${lost} lost, ${duplicated} duplicated, ${outOfOrder} out of order ${from}`;
}

/** The rows of the text table. */
function rows(summary: BenchSummary): Array<[string, string]> {
  const seconds = `${Number((summary.durationMs / 1000).toFixed(2))} s`;
  const clients = `${summary.clients} client${summary.clients === 1 ? '' : 's'}`;
  const out: Array<[string, string]> = [[`bench ${summary.bench}`, `${clients} (${summary.connected} connected, ${summary.connectFailures} failed)`]];
  switch (summary.bench) {
    case 'pub':
      out.push(['sent', `${summary.sent} in ${seconds} (${rate(summary.msgsPerSec)} msg/s), QoS ${summary.qos}, ${summary.payloadBytes} B each`]);
      out.push(['acknowledged', `${summary.acked}${summary.unacked > 0 ? ` (${summary.unacked} never acknowledged)` : ''}`]);
      out.push([summary.qos === 0 ? 'write latency' : 'ack latency', latency(summary.ackLatencyMs)]);
      break;
    case 'sub':
      out.push(['received', `${summary.received} in ${seconds} (${rate(summary.msgsPerSec)} msg/s), QoS ${summary.qos}${summary.foreign > 0 ? `, ${summary.foreign} without a bench header` : ''}`]);
      out.push(['order', orderVerdict(summary)]);
      out.push(['latency', latency(summary.latencyMs)]);
      break;
    case 'conn':
      out.push(['connected', `${summary.connected} in ${seconds} (${rate(summary.connectsPerSec)} conn/s)`]);
      break;
    default: {
      const unexpected: never = summary;
      throw new TypeError(`Unknown bench summary ${String(unexpected)}`);
    }
  }
  out.push(['connect latency', latency(summary.connectLatencyMs)]);
  out.push(['reconnects', `${summary.reconnects}${summary.dropped > 0 ? ` (${summary.dropped} dropped for good)` : ''}`]);
  out.push(['errors', `${summary.errors}${summary.firstError ? ` (first: ${summary.firstError})` : ''}`]);
  return out;
}

/** The final summary: a table, or one JSON line; newline included. */
export function formatSummary(summary: BenchSummary, format: 'text' | 'json'): string {
  if (format === 'json') return JSON.stringify(summary, (_key, value: unknown) => (typeof value === 'number' ? round(value) : value)) + '\n';
  const table = rows(summary);
  const width = Math.max(...table.map(([label]) => label.length)) + 2;
  return table.map(([label, value]) => label.padEnd(width) + value).join('\n') + '\n';
}

/** Numbers in the JSON keep µs precision: more digits are noise. */
function round(value: number): number {
  return Number.isInteger(value) ? value : Math.round(value * 1000) / 1000;
}

/** One live progress line (no newline): what a user watches while the run goes. */
export function progressLine(parts: {
  elapsedMs: number;
  done: number;
  noun: 'sent' | 'received' | 'connected';
  perSec: number;
  inFlight?: number;
  latency?: LatencySummary;
  errors: number;
  reconnects: number;
  extra?: string;
}): string {
  const fields = [
    `${(parts.elapsedMs / 1000).toFixed(1)}s`,
    `${parts.noun} ${parts.done}`,
    `${rate(parts.perSec)}/s`,
    ...(parts.inFlight !== undefined ? [`in flight ${parts.inFlight}`] : []),
    ...(parts.latency && parts.latency.count > 0 ? [`p50 ${formatMs(parts.latency.p50)} ms p99 ${formatMs(parts.latency.p99)} ms`] : []),
    ...(parts.extra ? [parts.extra] : []),
    `errors ${parts.errors}`,
    `reconnects ${parts.reconnects}`,
  ];
  return fields.join('  ');
}
