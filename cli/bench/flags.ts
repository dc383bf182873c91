/**
 * The flags of `rxmqtt bench pub|sub|conn` (emqtt-bench and MQTTX bench names where they do not
 * clash with the connection flags) and their pure translation into a checked plan. Every run is
 * bounded: by a count, by a duration, or by the default duration.
 */
import type { Options } from 'yargs';
import { validateFilter, validateTopicName, type QoS } from '../../lib/index.js';
import { UsageError } from '../errors.js';
import type { ConnectionFlags } from '../options.js';

export type BenchKind = 'pub' | 'sub' | 'conn';

export interface BenchFlags extends ConnectionFlags {
  clients?: number;
  connectRate?: number;
  duration?: number;
  format?: string;
  topic?: string;
  qos?: number;
  count?: number;
  size?: number;
  interval?: number;
  rate?: number;
  inflight?: number;
  hold?: number;
}

/** What a bench run will do, checked and defaulted. */
export interface BenchPlan {
  kind: BenchKind;
  clients: number;
  /** New connections per second; undefined: as fast as CONNECTS_IN_FLIGHT allows. */
  connectRate?: number;
  /** Client ids are this prefix and the client's index (1..clients). */
  idPrefix: string;
  format: 'text' | 'json';
  /** Stop after this long (ms); always set unless `count` bounds the run. */
  durationMs?: number;
  /** pub: messages per client; sub: messages per subscriber. */
  count?: number;
  /** Topic (pub) or filter (sub) with %i (client index) and %c (client id). */
  topic: string;
  qos: QoS;
  /** pub: payload bytes (at least the bench header). */
  size: number;
  /** pub: ms between two publishes of one client (0: as fast as the window allows). */
  intervalMs: number;
  /** pub: unacknowledged publishes per client. */
  inflight: number;
  /** conn: ms to keep the connections open before disconnecting. */
  holdMs: number;
}

/** A run given neither a count nor a duration stops after this long. */
export const DEFAULT_DURATION_S = 10;

const BENCH = 'Bench:';

const COMMON = {
  clients: { alias: 'c', type: 'number', requiresArg: true, default: 1, group: BENCH, describe: 'Number of clients' },
  'connect-rate': { type: 'number', requiresArg: true, group: BENCH, describe: 'New connections per second [default: as fast as possible]' },
  duration: { type: 'number', requiresArg: true, group: BENCH, describe: `Stop after this many seconds [default: ${DEFAULT_DURATION_S} without -C]` },
  format: { alias: 'F', type: 'string', choices: ['text', 'json'], default: 'text', group: BENCH, describe: 'Summary: text table or one JSON line' },
} as const satisfies Record<string, Options>;

const TOPIC_PATTERN = '%i: client index (1..N), %c: client id';

export const BENCH_PUB_FLAGS = {
  ...COMMON,
  topic: { alias: 't', type: 'string', requiresArg: true, demandOption: true, group: BENCH, describe: `Topic to publish to (${TOPIC_PATTERN})` },
  qos: { alias: 'q', type: 'number', choices: [0, 1, 2], default: 0, group: BENCH, describe: 'Quality of service' },
  count: { alias: 'C', type: 'number', requiresArg: true, group: BENCH, describe: 'Messages per client' },
  size: { alias: 's', type: 'number', requiresArg: true, default: 256, group: BENCH, describe: 'Payload bytes (at least the ~40-byte bench header)' },
  interval: { alias: 'I', type: 'number', requiresArg: true, group: BENCH, describe: 'Milliseconds between two messages of a client [default: 0]' },
  rate: { alias: 'r', type: 'number', requiresArg: true, group: BENCH, describe: 'Messages per second per client (instead of -I)' },
  inflight: { type: 'number', requiresArg: true, default: 100, group: BENCH, describe: 'Unacknowledged messages per client' },
} as const satisfies Record<string, Options>;

export const BENCH_SUB_FLAGS = {
  ...COMMON,
  topic: { alias: 't', type: 'string', requiresArg: true, demandOption: true, group: BENCH, describe: `Topic filter (${TOPIC_PATTERN})` },
  qos: { alias: 'q', type: 'number', choices: [0, 1, 2], default: 0, group: BENCH, describe: 'Maximum QoS of the subscriptions' },
  count: { alias: 'C', type: 'number', requiresArg: true, group: BENCH, describe: 'Stop once every client received this many messages' },
} as const satisfies Record<string, Options>;

export const BENCH_CONN_FLAGS = {
  ...COMMON,
  clients: { ...COMMON.clients, default: 10 },
  hold: { type: 'number', requiresArg: true, default: 0, group: BENCH, describe: 'Seconds to keep the connections open before disconnecting' },
} as const satisfies Record<string, Options>;

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
