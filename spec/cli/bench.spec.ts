/**
 * `rxmqtt bench pub|sub|conn`, the BUILT command against aedes in this jest worker: small
 * bounded runs whose summaries must count exactly. Latencies are only checked to be numbers
 * >= 0 (never timed); every wait ends on an event (a broker event, an exit) with a deadline.
 */
import { connectAsync } from '../../lib/index.js';
import { encodeBenchPayload } from '../../cli/bench/payload.js';
import { useCliHarness, type CliRun } from '../helpers/cli-runner.js';
import { freePort } from '../helpers/mosquitto.js';

const h = useCliHarness();

/** Spawns `rxmqtt bench <args>` at the harness's aedes. */
const bench = (kind: 'pub' | 'sub' | 'conn', args: string[]): CliRun => h.cli(['bench', kind, ...h.at, ...args]);

/** The JSON summary of a finished run, after checking its exit code. */
async function summaryOf(run: CliRun, code = 0): Promise<Record<string, any>> {
  const exit = await run.exit();
  expect({ exit, stderr: run.stderr }).toEqual({ exit: { code, signal: null }, stderr: '' });
  expect(run.lines.filter(Boolean)).toHaveLength(1);
  return JSON.parse(run.lines[0]!);
}

/** Spawns `bench sub` with ids `<prefix>1..N` and resolves once every one has subscribed. */
async function subscribers(prefix: string, clients: number, args: string[], format = 'json'): Promise<CliRun> {
  const ready = Array.from({ length: clients }, (_, i) => h.brokerEvent('subscribe', `${prefix}${i + 1}`));
  const run = bench('sub', ['-c', String(clients), '-i', prefix, '-F', format, ...args]);
  await Promise.all(ready).catch((error: Error) => {
    throw new Error(`${error.message}; stderr: ${run.stderr}`);
  });
  return run;
}

const expectLatency = (latency: Record<string, number>, count: number) => {
  expect(latency.count).toBe(count);
  for (const key of ['p50', 'p99', 'max', 'mean']) expect(latency[key]).toBeGreaterThanOrEqual(0);
  expect(latency.p50).toBeLessThanOrEqual(latency.max);
};

describe('rxmqtt bench pub and bench sub', () => {
  it('delivers 2 publishers x 20 messages to 2 subscribers on their %i topics, none lost, duplicated or out of order', async () => {
    const sub = await subscribers('bsub-', 2, ['-t', 'pct/%i', '-q', '1', '-C', '20']);
    const pub = bench('pub', ['-c', '2', '-i', 'bpub-', '-t', 'pct/%i', '-q', '1', '-C', '20', '-s', '64', '-F', 'json']);

    const published = await summaryOf(pub);
    expect(published).toMatchObject({ bench: 'pub', clients: 2, connected: 2, connectFailures: 0, qos: 1, payloadBytes: 64, sent: 40, acked: 40, unacked: 0, errors: 0 });
    expectLatency(published.ackLatencyMs, 40);

    const received = await summaryOf(sub);
    // Subscriber 1 hears publisher 1 only (pct/1), subscriber 2 publisher 2: two streams, two publishers.
    expect(received).toMatchObject({ bench: 'sub', clients: 2, connected: 2, qos: 1, received: 40, foreign: 0, publishers: 2, lost: 0, duplicated: 0, outOfOrder: 0, errors: 0 });
    expectLatency(received.latencyMs, 40);
  });

  it('reports lost, duplicated and out-of-order messages of a publisher that skips, repeats and reorders', async () => {
    const sub = await subscribers('bloss-', 1, ['-t', 'loss/t', '-q', '1', '-C', '6']);
    const publisher = await connectAsync(`mqtt://127.0.0.1:${h.aedes.port}`, { clientId: 'skipper', reconnectPeriod: 0 });
    try {
      await publisher.publishAsync('loss/t', 'not a bench message', { qos: 1 });
      // 0 1 3 2 3 5 of 7: 2 arrives late, 3 twice, 4 and 6 never.
      for (const seq of [0, 1, 3, 2, 3, 5]) {
        await publisher.publishAsync('loss/t', encodeBenchPayload({ publisherId: 'skipper', seq, total: 7, sentAt: Date.now() }, 32), { qos: 1 });
      }
    } finally {
      await publisher.endAsync();
    }
    const received = await summaryOf(sub);
    expect(received).toMatchObject({ received: 6, foreign: 1, publishers: 1, lost: 2, duplicated: 1, outOfOrder: 1 });
  });

  it('prints a text table that says whether anything was lost', async () => {
    const sub = await subscribers('btext-', 1, ['-t', 'text/#', '-C', '5'], 'text');
    const pub = bench('pub', ['-t', 'text/1', '-C', '5', '-q', '2']);
    expect(await pub.exit()).toEqual({ code: 0, signal: null });
    expect(pub.lines).toEqual(expect.arrayContaining([expect.stringMatching(/^sent +5 in .* QoS 2, 256 B each$/), expect.stringMatching(/^acknowledged +5$/)]));
    expect(await sub.exit()).toEqual({ code: 0, signal: null });
    expect(sub.lines).toContainEqual(expect.stringMatching(/^order +ok: none lost, duplicated or out of order \(1 publisher\)$/));
  });

  it('counts a reconnect when the broker drops a subscriber, which resubscribes and still gets every message', async () => {
    const connected = h.brokerEvent('client', 'bdrop-1');
    const sub = await subscribers('bdrop-', 1, ['-t', 'drop/t', '-q', '1', '-C', '5']);
    const resubscribed = h.brokerEvent('subscribe', 'bdrop-1');
    (await connected).close();
    await resubscribed;
    expect(await bench('pub', ['-t', 'drop/t', '-q', '1', '-C', '5']).exit()).toEqual({ code: 0, signal: null });
    expect(await summaryOf(sub)).toMatchObject({ received: 5, lost: 0, reconnects: 1, dropped: 0 });
  });

  it('ends a run bounded by --duration alone, every message acknowledged', async () => {
    const pub = bench('pub', ['-t', 'duration/t', '-q', '1', '--duration', '0.3', '-I', '5', '-F', 'json']);
    const published = await summaryOf(pub);
    expect(published.sent).toBeGreaterThanOrEqual(1);
    expect(published.acked).toBe(published.sent);
  });
});

describe('rxmqtt bench conn', () => {
  it('opens 3 connections, reports their connect latency, and closes them', async () => {
    const seen = [1, 2, 3].map((i) => h.brokerEvent('clientDisconnect', `bconn-${i}`));
    const conn = bench('conn', ['-c', '3', '-i', 'bconn-', '--connect-rate', '100', '-F', 'json']);
    const summary = await summaryOf(conn);
    expect(summary).toMatchObject({ bench: 'conn', clients: 3, connected: 3, connectFailures: 0, dropped: 0 });
    expectLatency(summary.connectLatencyMs, 3);
    expect(summary.connectsPerSec).toBeGreaterThan(0);
    await Promise.all(seen);
  });

  it('counts connections that fail, names the first failure, and exits 1', async () => {
    const port = await freePort();
    const conn = h.cli(['bench', 'conn', '-h', '127.0.0.1', '-p', String(port), '-c', '2', '-F', 'json']);
    expect(await conn.exit()).toEqual({ code: 1, signal: null });
    const summary = JSON.parse(conn.lines[0]!);
    expect(summary).toMatchObject({ connected: 0, connectFailures: 2, firstError: `Cannot reach the broker at 127.0.0.1:${port}: connection refused (ECONNREFUSED)` });
  });
});

describe('rxmqtt bench errors', () => {
  it('fails a pub whose clients all fail to connect with one line and exit 1', async () => {
    const port = await freePort();
    const pub = h.cli(['bench', 'pub', '-h', '127.0.0.1', '-p', String(port), '-t', 'x', '-C', '1']);
    expect(await pub.exit()).toEqual({ code: 1, signal: null });
    expect(pub.stderr).toBe(`rxmqtt: Cannot reach the broker at 127.0.0.1:${port}: connection refused (ECONNREFUSED)\n`);
    expect(pub.lines.filter(Boolean)).toEqual([]);
  });

  it.each([
    [['pub', '-t', 'a', '-I', '5', '-r', '10'], 'Give -I/--interval or -r/--rate, not both'],
    [['pub', '-t', 'a/#'], 'Invalid topic "a/#"'],
    [['sub', '-t', 'a/#/b'], 'Invalid topic filter "a/#/b"'],
    [['pub', '-t', 'a', '-c', '0'], '-c/--clients must be a positive integer, got 0'],
    [['conn', '--hold', '-1'], '--hold must be a number >= 0, got -1'],
  ])('refuses bench %j with exit 2 before connecting', async (args, message) => {
    const run = h.cli(['bench', ...args, '-p', '1']);
    expect(await run.exit()).toEqual({ code: 2, signal: null });
    expect(run.stderr).toContain(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
