// The durable store's promise, end to end: a publisher killed with SIGKILL in the middle of a QoS 1
// and QoS 2 burst restarts with the same FileStore and client id, publishes nothing new, resumes
// its session, and every message it had accepted (cbStorePut fired) reaches a persistent
// subscriber; the QoS 2 ones exactly once. The publisher runs as a child process on a build of
// the library made in beforeAll. Against mosquitto (aedes mishandles persistent QoS 2 state).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { ChildLines } from '../helpers/child-lines.js';
import { mutingProxy } from '../helpers/muting-proxy.js';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type MqttClient } from '../../lib/index.js';
import { describeMosquitto, startMosquitto, type MosquittoHandle } from '../helpers/mosquitto.js';
import { HANG_DEADLINE_MS, once, scaled, within } from '../helpers/wait.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const CHILD = join(here, 'crash-child.mjs');
const TOTAL = 4000;
/** Accepted messages before the broker's acks are held back, and while they are (all in flight). */
const BEFORE_STALL = 300;
const DURING_STALL = 300;
const FENCE = 'fence';

/** Runs a command to its end (asynchronously: never block the event loop a broker may share). */
function run(command: string, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} took more than ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describeMosquitto('a publisher killed with SIGKILL mid-burst, restarted on its FileStore', () => {
  let broker: MosquittoHandle;
  let buildDir: string;
  let storeDir: string;
  let subscriber: MqttClient | undefined;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    buildDir = mkdtempSync(join(repo, '.rxmqtt-store-build-'));
    storeDir = mkdtempSync(join(tmpdir(), 'rxmqtt-crash-store-'));
    const [build, started] = await Promise.all([
      run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', buildDir], scaled(240_000)),
      startMosquitto({ persistence: true }),
    ]);
    broker = started;
    // Type errors are tsc's concern (npm run build / tsc --noEmit); this test needs the emitted JavaScript.
    if (!existsSync(join(buildDir, 'lib', 'index.js'))) throw new Error(`the build emitted nothing:\n${build.output}`);
  }, scaled(300_000));

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await subscriber?.endAsync(true);
    await broker?.stop();
    if (buildDir) rmSync(buildDir, { recursive: true, force: true });
    if (storeDir) rmSync(storeDir, { recursive: true, force: true });
  });

  function startChild(url: string, mode: 'publish' | 'resume'): ChildLines {
    const args = [CHILD, buildDir, url, storeDir, 'crash-publisher', mode, String(TOTAL)];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    return new ChildLines(child);
  }

  it('delivers every accepted QoS 1 message at least once and every accepted QoS 2 message exactly once', async () => {
    // A persistent subscriber, connected before the burst and throughout.
    subscriber = connect(broker.url, { clientId: 'crash-subscriber', clean: false, keepalive: 30 });
    const copies = { 1: new Map<number, number>(), 2: new Map<number, number>() };
    let fenced: () => void = () => undefined;
    const fence = new Promise<void>((resolve) => (fenced = resolve));
    subscriber.on('message', (topic, payload) => {
      if (payload.toString() === FENCE) return fenced();
      const qos = topic === 'crash/1' ? 1 : 2;
      const seq = Number(payload.toString());
      copies[qos].set(seq, (copies[qos].get(seq) ?? 0) + 1);
    });
    await once(subscriber, 'connect');
    await subscriber.subscribeAsync('crash/#', { qos: 2 });

    // Burst; hold the broker's acks back half way so that hundreds of messages are in flight; kill.
    const proxy = await mutingProxy(broker.port);
    const first = startChild(`mqtt://127.0.0.1:${proxy.port}`, 'publish');
    const accepted = /^[12] \d+$/;
    await first.waitFor(accepted, BEFORE_STALL, HANG_DEADLINE_MS);
    proxy.mute('toClient');
    await first.waitFor(accepted, BEFORE_STALL + DURING_STALL, HANG_DEADLINE_MS);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull(); // killed, not exited
    await proxy.close();
    const acceptedLines = first.matching(accepted);
    const acceptedBy = { 1: new Set<number>(), 2: new Set<number>() };
    for (const line of acceptedLines) {
      const [qos, seq] = line.split(' ').map(Number) as [1 | 2, number];
      acceptedBy[qos].add(seq);
    }
    expect(acceptedLines.length).toBeLessThan(TOTAL); // killed mid-burst

    // Restart: it resumes from the store, publishes nothing new, and ends once all is acknowledged.
    const second = startChild(broker.url, 'resume');
    await second.waitFor(/^left \d+$/, 1, HANG_DEADLINE_MS);
    expect(await second.exited).toBe(0);
    const restored = Number(second.matching(/^restored \d+$/)[0]!.split(' ')[1]);
    expect(second.matching(/^session /)).toEqual(['session true']);
    expect(second.matching(/^left /)).toEqual(['left 0']);
    expect(restored).toBeGreaterThanOrEqual(DURING_STALL / 2);

    // Everything the publisher had acknowledged reached the broker before this fence did.
    await subscriber.publishAsync('crash/fence', FENCE, { qos: 2 });
    await within(fence, 'the fence at the subscriber');

    const lost = { 1: [...acceptedBy[1]].filter((seq) => !copies[1].has(seq)), 2: [...acceptedBy[2]].filter((seq) => !copies[2].has(seq)) };
    const duplicated = { 1: [...copies[1]].filter(([, n]) => n > 1).length, 2: [...copies[2]].filter(([, n]) => n > 1).length };
    console.log(
      `crash test: accepted ${acceptedBy[1].size} QoS 1 + ${acceptedBy[2].size} QoS 2 before SIGKILL, ${restored} resumed from the store; ` +
        `delivered ${copies[1].size} + ${copies[2].size} distinct, lost ${lost[1].length} + ${lost[2].length}, duplicated ${duplicated[1]} + ${duplicated[2]}`,
    );
    expect(lost).toEqual({ 1: [], 2: [] });
    expect(duplicated[2]).toBe(0);
    expect(second.stderr).toBe('');
  }, scaled(240_000));
});
