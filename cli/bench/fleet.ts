/**
 * The clients of a bench run: N connections opened at a bounded pace, each counted when it
 * drops and reconnects, all closed together. The thin IO under `bench pub|sub|conn`.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MqttClient } from '../../lib/index.js';
import { describeError } from '../errors.js';
import type { ConnectSettings } from '../options.js';
import { closeClient, connectOrFail, createClient } from '../session.js';
import type { BenchPlan } from './flags.js';
import { clientIdOf } from './plan.js';
import { LatencyHistogram } from './histogram.js';

/** Connections being opened at once: enough to be quick, few enough not to flood the broker's accept queue. */
const CONNECTS_IN_FLIGHT = 32;

export interface BenchClient {
  /** 1..N, the `%i` of the topic pattern. */
  index: number;
  id: string;
  client: MqttClient;
}

/** Counters every bench command reports. */
export interface FleetCounters {
  connected: number;
  connectFailures: number;
  /** A connection that dropped and is being (or was) reopened. */
  reconnects: number;
  /** A connection that dropped for good (with --no-reconnect). */
  dropped: number;
  /** Failed operations after connecting: a refused subscription, a failed publish. */
  errors: number;
  /** The first failure, as printed: the rest are usually the same. */
  firstError?: string;
}

export interface Fleet {
  clients: BenchClient[];
  counters: FleetCounters;
  /** CONNECT to CONNACK, per successful connection. */
  connectLatency: LatencyHistogram;
  /**
   * Disconnects every client: DISCONNECT after the in-flight acknowledgements, or at once with
   * `force` (a broker that stopped answering must not hold the run open).
   */
  close(force?: boolean): Promise<void>;
}

/**
 * Opens `plan.clients` connections, at most CONNECTS_IN_FLIGHT at once and `plan.connectRate`
 * per second, calling `ready` for each once it is connected (to subscribe or to start
 * publishing). Stops opening new ones when `signal` aborts.
 */
export async function connectFleet(
  plan: BenchPlan,
  settings: ConnectSettings,
  signal: AbortSignal,
  ready: (client: BenchClient) => void | Promise<void> = () => undefined,
): Promise<Fleet> {
  const counters: FleetCounters = { connected: 0, connectFailures: 0, reconnects: 0, dropped: 0, errors: 0 };
  const connectLatency = new LatencyHistogram();
  const clients: BenchClient[] = [];
  const opened: MqttClient[] = [];
  const started = performance.now();
  let next = 1;
  const worker = async () => {
    while (next <= plan.clients && !signal.aborted) {
      const index = next++;
      if (plan.connectRate !== undefined) await paced(started + ((index - 1) * 1000) / plan.connectRate, signal);
      if (signal.aborted) return;
      const id = clientIdOf(plan, index);
      const client = createClient({ ...settings, options: { ...settings.options, clientId: id } });
      watchDrops(client, counters);
      const connectStart = performance.now();
      try {
        await connectOrFail(client, settings);
      } catch (error) {
        counters.connectFailures++;
        counters.firstError ??= describeError(error, settings.address);
        // A refused client would keep retrying in the background: it is counted, and ended.
        await client.endAsync(true).catch(() => undefined);
        continue;
      }
      connectLatency.record(performance.now() - connectStart);
      counters.connected++;
      opened.push(client);
      const benchClient = { index, id, client };
      clients.push(benchClient);
      await (async () => ready(benchClient))().catch((error: unknown) => countError(counters, error));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONNECTS_IN_FLIGHT, plan.clients) }, worker));
  clients.sort((a, b) => a.index - b.index);
  return { clients, counters, connectLatency, close: (force = false) => closeAll(opened, force) };
}

/** Now, in ms since the epoch with a fraction: the clock of the send times in bench payloads. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Counts a failure after connecting, keeping the first one's message. */
export function countError(counters: FleetCounters, error: unknown): void {
  counters.errors++;
  counters.firstError ??= describeError(error);
}

/** Waits until `performance.now()` reaches `at` (a fixed schedule does not drift), or `signal` aborts. */
export async function paced(at: number, signal: AbortSignal): Promise<void> {
  const wait = at - performance.now();
  if (wait >= 1) await sleep(wait, undefined, { signal }).catch(() => undefined);
}

/** Counts drops: reconnecting after having been connected, or offline for good. */
function watchDrops(client: MqttClient, counters: FleetCounters): void {
  let wasConnected = false;
  client.state$.subscribe((state) => {
    if (state.status === 'connected') wasConnected = true;
    else if (wasConnected && state.status === 'reconnecting') {
      wasConnected = false;
      counters.reconnects++;
    } else if (wasConnected && state.status === 'offline') {
      wasConnected = false;
      counters.dropped++;
    }
  });
}

async function closeAll(clients: MqttClient[], force: boolean): Promise<void> {
  let next = 0;
  const close = (client: MqttClient) => (force ? client.endAsync(true) : closeClient(client));
  const worker = async () => {
    while (next < clients.length) await close(clients[next++]!).catch(() => undefined);
  };
  await Promise.all(Array.from({ length: Math.min(CONNECTS_IN_FLIGHT, clients.length) }, worker));
}
