/**
 * The flags of `rxmqtt bench pub|sub|conn` (emqtt-bench and MQTTX bench names where they do not
 * clash with the connection flags), and the plan they become (see plan.ts). Type-only imports:
 * registering the commands loads no library code.
 */
import type { Options } from 'yargs';
import type { QoS } from '../../lib/index.js';
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
