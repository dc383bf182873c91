// Exactly once across a crash of the subscriber: a persistent subscriber with a FileStore as its
// incomingStore receives QoS 2 messages, delivers them and sends PUBREC, and is killed with SIGKILL
// before the broker's PUBREL. Its PUBRECs never reach the broker (a proxy drops what the
// subscriber sends once it has subscribed), so the broker re-sends the PUBLISHes with DUP=1 when
// the subscriber comes back on the same store and client id: they must not be delivered again.
// The subscriber is a child process running an esbuild bundle of the library made in beforeAll.
// Against mosquitto (aedes mishandles persistent QoS 2 state).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { connect, type MqttClient } from '../../lib/index.js';
import { describeMosquitto, startMosquitto, type MosquittoHandle } from '../helpers/mosquitto.js';
import { once } from '../helpers/wait.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const CHILD = join(here, 'subscriber-crash-child.mjs');
const MESSAGES = ['first', 'second', 'third'];
/**
 * A child that hangs (a bug) must fail the test, not stall the suite: generous, since the child is
 * a node process starting on a machine other tests load.
 */
const CHILD_DEADLINE_MS = 30_000;

/** A child's stdout, line by line, with a way to wait for a line. */
class Lines {
  readonly all: string[] = [];
  private partial = '';
  private waiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;
  stderr = '';

  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (this.partial + chunk.toString()).split('\n');
      this.partial = lines.pop()!;
      this.all.push(...lines);
      for (const wake of this.waiters) wake();
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('close', (code) => resolve(code)));
  }

  matching(pattern: RegExp): string[] {
    return this.all.filter((line) => pattern.test(line));
  }

  /** Resolves once `n` lines match `pattern`; rejects if the child exits first or on the deadline. */
  waitFor(pattern: RegExp, n = 1): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        if (error) reject(error);
        else resolve();
      };
      const check = () => this.matching(pattern).length >= n && done();
      const timer = setTimeout(() => done(new Error(`no ${n} lines matching ${pattern} within ${CHILD_DEADLINE_MS} ms:\n${this.all.join('\n')}\n${this.stderr}`)), CHILD_DEADLINE_MS);
      this.waiters.push(check);
      check();
      void this.exited.then(() => this.matching(pattern).length < n && done(new Error(`the child exited before ${pattern}:\n${this.all.join('\n')}\n${this.stderr}`)));
    });
  }
}

interface DeafeningProxy {
  port: number;
  deafen(): void;
  /** Resolves once `count` bytes the client sent were dropped (they left the client's process). */
  dropped(count: number): Promise<void>;
  close(): Promise<void>;
}

/** A TCP proxy that can turn deaf: what the client sends is dropped, what the broker sends still arrives. */
async function deafeningProxy(port: number): Promise<DeafeningProxy> {
  let deaf = false;
  let droppedBytes = 0;
  let wakeDropped: () => void = () => undefined;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => {
      if (!deaf) return upstream.write(chunk);
      droppedBytes += chunk.length;
      wakeDropped();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    deafen: () => (deaf = true),
    dropped: (count) =>
      new Promise((resolve) => {
        wakeDropped = () => {
          if (droppedBytes >= count) resolve();
        };
        wakeDropped();
      }),
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describeMosquitto('a subscriber killed with SIGKILL between its PUBREC and the PUBREL, restarted on its FileStore', () => {
  let broker: MosquittoHandle;
  let buildDir: string;
  let bundle: string;
  let storeDir: string;
  let publisher: MqttClient | undefined;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    // Inside the repository, so that the bundle's external packages resolve from its node_modules.
    buildDir = mkdtempSync(join(repo, '.rxmqtt-subscriber-crash-'));
    bundle = join(buildDir, 'rxmqtt.mjs');
    buildSync({ entryPoints: [join(repo, 'lib', 'index.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: bundle, logLevel: 'silent' });
    storeDir = mkdtempSync(join(tmpdir(), 'rxmqtt-subscriber-store-'));
    broker = await startMosquitto();
  }, 60_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await publisher?.endAsync(true);
    await broker?.stop();
    if (buildDir) rmSync(buildDir, { recursive: true, force: true });
    if (storeDir) rmSync(storeDir, { recursive: true, force: true });
  });

  function startChild(url: string, mode: 'first' | 'resume'): Lines {
    const child = spawn(process.execPath, [CHILD, bundle, url, storeDir, 'crash-subscriber', mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    return new Lines(child);
  }

  it('delivers each QoS 2 message exactly once: the re-sent PUBLISHes (DUP=1) are answered, not delivered', async () => {
    const proxy = await deafeningProxy(broker.port);
    const first = startChild(`mqtt://127.0.0.1:${proxy.port}`, 'first');
    await first.waitFor(/^subscribed$/);
    // From here the broker hears nothing from the subscriber: its PUBRECs are lost on the way.
    proxy.deafen();
    publisher = connect(broker.url, { clientId: 'crash-publisher', keepalive: 30 });
    await once(publisher, 'connect', { timeoutMs: CHILD_DEADLINE_MS });
    for (const payload of MESSAGES) await publisher.publishAsync('subcrash/m', payload, { qos: 2 });
    await first.waitFor(/^pubrec \d+$/, MESSAGES.length);
    // Kill only once the PUBRECs left the process (4 bytes each, all the subscriber sends now):
    // 'packetsend' fires just before a packet is written, so its line alone is too early.
    await proxy.dropped(4 * MESSAGES.length);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull(); // killed, not exited
    await proxy.close();
    expect(first.matching(/^message /)).toEqual(MESSAGES.map((m) => `message ${m}`));

    // Back on the same store, straight to the broker: it re-sends the three PUBLISHes with DUP=1.
    const second = startChild(broker.url, 'resume');
    await second.waitFor(/^left 0$/);
    expect(await second.exited).toBe(0);
    expect(second.matching(/^restored /)).toEqual([`restored ${MESSAGES.length}`]);
    expect(second.matching(/^session /)).toEqual(['session true']);
    expect(second.matching(/^pubrec /)).toHaveLength(MESSAGES.length); // the re-sent PUBLISHes arrived
    expect(second.matching(/^message /)).toEqual([]); // and none was delivered again
    expect(second.stderr).toBe('');
  }, 120_000);
});
