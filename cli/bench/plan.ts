/**
 * The pure translation of the bench flags into a checked plan. Every run is bounded: by a count,
 * by a duration, or by the default duration.
 */
import { validateFilter, validateTopicName } from '../../lib/index.js';
import { UsageError } from '../errors.js';
import { DEFAULT_DURATION_S, type BenchFlags, type BenchKind, type BenchPlan } from './flags.js';

/**
 * The client id prefix without -i: short, so that `<prefix><index>` stays within the 23 bytes
 * every server must accept ([MQTT-3.1.3-5]), and unique per process.
 */
export function defaultIdPrefix(kind: BenchKind, pid: number): string {
  return `rxb-${kind}-${pid}-`;
}

/** Replaces %i with the client index and %c with its client id. */
export function expandTopic(pattern: string, index: number, clientId: string): string {
  return pattern.replace(/%[ic]/g, (token) => (token === '%i' ? String(index) : clientId));
}

/** The client id of client `index` (1-based). */
export function clientIdOf(plan: Pick<BenchPlan, 'idPrefix'>, index: number): string {
  return `${plan.idPrefix}${index}`;
}

/**
 * Checks the bench flags; throws a UsageError for anything that can never work.
 *
 * @param defaultIdPrefix Used without -i: unique per process, so two runs never share ids.
 */
export function toBenchPlan(kind: BenchKind, flags: BenchFlags, defaultIdPrefix: string): BenchPlan {
  const clients = positiveInteger('-c/--clients', flags.clients ?? 1);
  const count = flags.count === undefined ? undefined : positiveInteger('-C/--count', flags.count);
  const qos = flags.qos ?? 0;
  if (qos !== 0 && qos !== 1 && qos !== 2) throw new UsageError(`-q/--qos must be 0, 1 or 2, got ${qos}`);
  const plan: BenchPlan = {
    kind,
    clients,
    ...(flags.connectRate !== undefined && { connectRate: positive('--connect-rate', flags.connectRate) }),
    idPrefix: flags.id ?? defaultIdPrefix,
    format: flags.format === 'json' ? 'json' : 'text',
    ...durationOf(kind, flags.duration, count),
    ...(count !== undefined && { count }),
    topic: flags.topic ?? '',
    qos,
    size: nonNegativeInteger('-s/--size', flags.size ?? 256),
    intervalMs: intervalOf(flags),
    inflight: positiveInteger('--inflight', flags.inflight ?? 100),
    holdMs: Math.round(nonNegative('--hold', flags.hold ?? 0) * 1000),
  };
  if (kind !== 'conn') checkTopic(kind, plan);
  return plan;
}

function durationOf(kind: BenchKind, duration: number | undefined, count: number | undefined): { durationMs?: number } {
  if (duration !== undefined) return { durationMs: Math.round(positive('--duration', duration) * 1000) };
  // conn is bounded by its number of clients; pub and sub need a count or a time.
  if (kind === 'conn' || count !== undefined) return {};
  return { durationMs: DEFAULT_DURATION_S * 1000 };
}

function intervalOf(flags: BenchFlags): number {
  if (flags.interval !== undefined && flags.rate !== undefined) throw new UsageError('Give -I/--interval or -r/--rate, not both');
  if (flags.rate !== undefined) return 1000 / positive('-r/--rate', flags.rate);
  return nonNegative('-I/--interval', flags.interval ?? 0);
}

function checkTopic(kind: BenchKind, plan: BenchPlan): void {
  // The widest expansion is as valid as any: check it with the last client's index and id.
  const sample = expandTopic(plan.topic, plan.clients, clientIdOf(plan, plan.clients));
  const problem = kind === 'pub' ? validateTopicName(sample) : validateFilter(sample);
  if (problem) throw new UsageError(`Invalid topic${kind === 'sub' ? ' filter' : ''} "${plan.topic}": ${problem}`);
}

function positiveInteger(flag: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${flag} must be a positive integer, got ${value}`);
  return value;
}

function nonNegativeInteger(flag: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new UsageError(`${flag} must be an integer >= 0, got ${value}`);
  return value;
}

function positive(flag: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new UsageError(`${flag} must be a positive number, got ${value}`);
  return value;
}

function nonNegative(flag: string, value: number): number {
  if (!(value >= 0) || !Number.isFinite(value)) throw new UsageError(`${flag} must be a number >= 0, got ${value}`);
  return value;
}
