// Issue #8, memory and leaks: a bounded soak against aedes over TCP loopback. Subscribe/unsubscribe
// churn, topic() streams coming and going, publishes at every QoS and thousands of reconnects
// (client.reconnect() and broker-side drops); then end(), and the heap, the active handles, the
// client's listeners and its internal Subjects and tables must be back to their baseline, with no
// MaxListenersExceededWarning on the way.
//
// Bounds: RXMQTT_SOAK_SECONDS (default 90) caps the run; each phase stops at its share of it.
// RXMQTT_SOAK_SCALE (default 1) scales the counts (1 = 2,000 reconnects, 5,000 publishes).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Subscription } from 'rxjs';
import { connect, type MqttClient, type MqttClientEvent } from '../../lib/index.js';
import { startAedes, type AedesHandle } from '../helpers/aedes.js';
import { dropFromBroker, nextPackets, within } from '../integration/support.js';
import { HANG_DEADLINE_MS } from '../helpers/wait.js';

const SECONDS = Number(process.env.RXMQTT_SOAK_SECONDS ?? 90);
const SCALE = Number(process.env.RXMQTT_SOAK_SCALE ?? 1);
const COUNTS = {
  churn: Math.round(300 * SCALE),
  topicRounds: Math.round(300 * SCALE),
  publishes: Math.round(5000 * SCALE),
  reconnects: Math.round(2000 * SCALE),
};
/** The share of SECONDS each phase may take before it stops early (the rest: set-up and checks). */
const SHARE = { churn: 0.12, topicRounds: 0.12, publishes: 0.12, reconnects: 0.44 };
const HEAP_TOLERANCE = 5 * 1024 * 1024;

/** `global.gc`, exposed at run time when jest was not started with --expose-gc. */
function gcFunction(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
const gc = gcFunction();

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc();
    await tick();
  }
  return process.memoryUsage().heapUsed;
}

/** Active handles and requests by type (`TCPWrap`, `Timeout`...). */
function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** Polls (bounded) until the active resources are back to `baseline`; returns the last reading. */
async function resourcesBackTo(baseline: Record<string, number>, ms = HANG_DEADLINE_MS): Promise<Record<string, number>> {
  const deadline = Date.now() + ms;
  let now = resources();
  while (JSON.stringify(now) !== JSON.stringify(baseline) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    now = resources();
  }
  return now;
}

function listeners(client: MqttClient): Record<string, number> {
  return Object.fromEntries(client.eventNames().map((name) => [String(name), client.listenerCount(name)]));
}

/** What the Observable client holds internally: nothing of it may grow with use. */
function internals(client: MqttClient) {
  const rx = client.rx as unknown as Record<string, unknown>;
  // The Subjects and routes live in the client's ClientStreams, made on first use: one not made yet has nothing in it.
  const streams = rx.streams as Record<string, unknown>;
  const observers = (name: string) => (streams[name] as { observers: unknown[] } | undefined)?.observers.length ?? 0;
  const routes = streams.topicRoutes as { routes: Map<string, unknown>; unsubscribing: Map<string, unknown>; identifiers: number } | undefined;
  const connection = (rx.connection as { link: { settlers: Map<number, unknown> } }).link;
  return {
    messageObservers: observers('messageSubject'),
    packetInObservers: observers('packetInSubject'),
    packetOutObservers: observers('packetOutSubject'),
    eventObservers: observers('eventSubject'),
    stateObservers: observers('stateSubject'),
    routes: routes?.routes.size ?? 0,
    unsubscribing: routes?.unsubscribing.size ?? 0,
    identifiers: routes?.identifiers ?? 0,
    settlers: connection.settlers.size,
  };
}

function onceEvent(client: MqttClient, event: MqttClientEvent): Promise<unknown[]> {
  let handler!: (...args: unknown[]) => void;
  const fired = new Promise<unknown[]>((resolve) => {
    handler = (...args: unknown[]) => resolve(args);
    client.once(event, handler);
  });
  return within(fired, `'${event}'`).finally(() => client.off(event, handler));
}

function scaled(factor: number): typeof COUNTS {
  return { churn: Math.ceil(COUNTS.churn * factor), topicRounds: Math.ceil(COUNTS.topicRounds * factor), publishes: Math.ceil(COUNTS.publishes * factor / 100) * 100, reconnects: Math.ceil(COUNTS.reconnects * factor) };
}

/** The active resources once they stopped changing (sockets of an ended client close a bit later). */
async function stableResources(): Promise<Record<string, number>> {
  let last = '';
  let same = 0;
  for (let i = 0; i < 100 && same < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const now = JSON.stringify(resources());
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return JSON.parse(last) as Record<string, number>;
}

function phaseDeadline(share: number): number {
  return Date.now() + SECONDS * 1000 * share;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

describe('soak', () => {
  let aedes: AedesHandle;
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);

  beforeAll(async () => {
    aedes = await startAedes();
    process.on('warning', onWarning);
  });
  afterAll(async () => {
    process.off('warning', onWarning);
    await aedes?.close();
  });

  /**
   * One soak run on a fresh client: the four phases, then end(). Returns what it did, the errors
   * it saw, and the client's listeners and internals once connected and again after the phases.
   */
  async function soakRun(clientId: string, counts: typeof COUNTS, share: number) {
    const client = connect(aedes.url, { clientId, reconnectPeriod: 1, connectTimeout: 5000, keepalive: 60 });
    const errors: Error[] = [];
    client.on('error', (error) => errors.push(error));
    await onceEvent(client, 'connect');
    const fresh = { listeners: listeners(client), internals: internals(client) };
    const done = { churn: 0, topicRounds: 0, publishes: 0, reconnects: 0, messages: 0 };

    // 1. subscribe()/unsubscribe() churn, with a 'message' listener coming and going.
    let deadline = phaseDeadline(SHARE.churn * share);
    for (let i = 0; i < counts.churn && Date.now() < deadline; i++) {
      const filter = `churn/${i % 20}/#`;
      const got = onceEvent(client, 'message');
      await client.subscribeAsync(filter, { qos: (i % 3) as 0 | 1 | 2 });
      await client.publishAsync(`churn/${i % 20}/x`, `m${i}`, { qos: 1 });
      await got;
      await client.unsubscribeAsync(filter);
      done.churn++;
    }

    // 2. topic() streams coming and going: several per filter, overlapping filters.
    deadline = phaseDeadline(SHARE.topicRounds * share);
    for (let i = 0; i < counts.topicRounds && Date.now() < deadline; i++) {
      const a = `streams/${i % 10}/+`;
      const subacks = nextPackets(client.packetsIn$, 'suback', 1); // two filters opened in one turn: one SUBSCRIBE
      const subs: Subscription[] = [];
      const received: Array<Promise<unknown>> = [];
      for (const filter of [a, a, a, 'streams/#']) {
        let resolve!: () => void;
        received.push(new Promise<void>((r) => (resolve = r)));
        subs.push(client.topic(filter).subscribe({ next: () => resolve(), error: (error: Error) => errors.push(error) }));
      }
      await subacks;
      await client.publishAsync(`streams/${i % 10}/x`, 'y', { qos: 1 });
      await within(Promise.all(received), 'every topic() stream to get the message');
      for (const sub of subs) sub.unsubscribe();
      done.topicRounds++;
    }

    // 3. Publishes at every QoS, 100 at a time, seen by one long-lived stream.
    deadline = phaseDeadline(SHARE.publishes * share);
    let onLoad: (() => void) | undefined;
    const seen = client.topic('load/#').subscribe(() => {
      done.messages++;
      onLoad?.();
    });
    await client.subscribeAsync('load/warm'); // a SUBACK round trip: the stream's SUBSCRIBE is done
    for (let i = 0; i < counts.publishes && Date.now() < deadline; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => client.publishAsync(`load/${j % 7}`, Buffer.alloc(64, j), { qos: ((i + j) % 3) as 0 | 1 | 2 })));
      done.publishes += 100;
    }

    // 4. Reconnects: client.reconnect(), and every tenth a drop from the broker's side. The
    // topic() stream stays open throughout (resubscribed every time) and is checked every 200.
    deadline = phaseDeadline(SHARE.reconnects * share);
    for (let i = 0; i < counts.reconnects && Date.now() < deadline; i++) {
      const up = onceEvent(client, 'connect');
      if (i % 10 === 9) dropFromBroker(aedes, clientId);
      else client.reconnect();
      await up;
      done.reconnects++;
      if (i % 200 === 199) {
        // A SUBACK round trip after the resubscribe's, then a message for the resubscribed stream.
        await client.subscribeAsync('load/warm');
        const got = new Promise<void>((resolve) => (onLoad = resolve));
        await client.publishAsync('load/after-reconnect', 'z', { qos: 1 });
        await within(got, 'the topic() stream to get a message after the reconnects');
        onLoad = undefined;
      }
    }
    seen.unsubscribe();
    await client.unsubscribeAsync('load/warm');
    const alive = { listeners: listeners(client), internals: internals(client) };
    await client.endAsync();
    return { client, done, errors, fresh, alive };
  }

  it(
    'returns heap, handles, listeners and internal state to their baseline after churn, publishes and thousands of reconnects',
    async () => {
      // Warm-up: a short run loads and compiles every code path, so the baseline includes them.
      const warmUp = await soakRun('warm-up', scaled(0.1), 0.1);
      const baselineResources = await stableResources();
      const baselineHeap = await settledHeap();
      expect(warmUp.done.reconnects).toBeGreaterThan(0);

      const started = Date.now();
      const { client, done, errors, fresh, alive } = await soakRun('soak', COUNTS, 1);
      const afterResources = await resourcesBackTo(baselineResources);
      const afterHeap = await settledHeap();
      const elapsed = (Date.now() - started) / 1000;

      console.log(
        [
          `soak: ${elapsed.toFixed(1)} s (bound ${SECONDS} s, scale ${SCALE})`,
          `  done: ${JSON.stringify(done)} (asked: ${JSON.stringify(COUNTS)})`,
          `  heap: baseline ${mib(baselineHeap)}, after end ${mib(afterHeap)}, delta ${mib(afterHeap - baselineHeap)} (tolerance ${mib(HEAP_TOLERANCE)})`,
          `  active resources: baseline ${JSON.stringify(baselineResources)}, after end ${JSON.stringify(afterResources)}`,
          `  listeners: ${JSON.stringify(listeners(client))}; internals: ${JSON.stringify(internals(client))}`,
          `  warnings: ${warnings.length}; errors: ${errors.length} (${[...new Set(errors.map((e) => e.message))].join(', ') || 'none'})`,
        ].join('\n'),
      );

      // Every phase did real work even on a slow machine.
      expect(done.churn).toBeGreaterThanOrEqual(Math.min(COUNTS.churn, 50));
      expect(done.topicRounds).toBeGreaterThanOrEqual(Math.min(COUNTS.topicRounds, 50));
      expect(done.publishes).toBeGreaterThanOrEqual(Math.min(COUNTS.publishes, 1000));
      expect(done.reconnects).toBeGreaterThanOrEqual(Math.min(COUNTS.reconnects, 500));
      // The only errors: the drops from the broker's side, reported as transport errors.
      expect(errors.filter((e) => (e as { kind?: string }).kind !== 'ERR_TRANSPORT')).toEqual([]);
      expect(errors.length).toBeLessThanOrEqual(Math.ceil(done.reconnects / 10));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
      // Still connected with every stream gone, then after end(): what a fresh client had.
      expect(alive).toEqual(fresh);
      expect(listeners(client)).toEqual(fresh.listeners);
      expect(internals(client)).toEqual(fresh.internals);
      expect(afterResources).toEqual(baselineResources);
      expect(afterHeap).toBeLessThanOrEqual(baselineHeap + HEAP_TOLERANCE);
    },
    (SECONDS + 30) * 1000,
  );
});
