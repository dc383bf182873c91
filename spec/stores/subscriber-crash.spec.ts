// Exactly once across a crash of the subscriber: a persistent subscriber with a FileStore as its
// incomingStore receives QoS 2 messages, delivers them and sends PUBREC, and is killed with SIGKILL
// before the broker's PUBREL. Its PUBRECs never reach the broker (a proxy drops what the
// subscriber sends once it has subscribed), so the broker re-sends the PUBLISHes with DUP=1 when
// the subscriber comes back on the same store and client id: they must not be delivered again.
// The subscriber is a child process running an esbuild bundle of the library made in beforeAll.
// Against mosquitto (aedes mishandles persistent QoS 2 state).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { ChildLines } from '../helpers/child-lines.js';
import { mutingProxy } from '../helpers/muting-proxy.js';
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

  function startChild(url: string, mode: 'first' | 'resume'): ChildLines {
    const child = spawn(process.execPath, [CHILD, bundle, url, storeDir, 'crash-subscriber', mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    return new ChildLines(child);
  }

  it('delivers each QoS 2 message exactly once: the re-sent PUBLISHes (DUP=1) are answered, not delivered', async () => {
    const proxy = await mutingProxy(broker.port);
    const first = startChild(`mqtt://127.0.0.1:${proxy.port}`, 'first');
    await first.waitFor(/^subscribed$/, 1, CHILD_DEADLINE_MS);
    // From here the broker hears nothing from the subscriber: its PUBRECs are lost on the way.
    proxy.mute('toBroker');
    publisher = connect(broker.url, { clientId: 'crash-publisher', keepalive: 30 });
    await once(publisher, 'connect', { timeoutMs: CHILD_DEADLINE_MS });
    for (const payload of MESSAGES) await publisher.publishAsync('subcrash/m', payload, { qos: 2 });
    await first.waitFor(/^pubrec \d+$/, MESSAGES.length, CHILD_DEADLINE_MS);
    // Kill only once the PUBRECs left the process (4 bytes each, all the subscriber sends now):
    // 'packetsend' fires just before a packet is written, so its line alone is too early.
    await proxy.dropped('toBroker', 4 * MESSAGES.length);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull(); // killed, not exited
    await proxy.close();
    expect(first.matching(/^message /)).toEqual(MESSAGES.map((m) => `message ${m}`));

    // Back on the same store, straight to the broker: it re-sends the three PUBLISHes with DUP=1.
    const second = startChild(broker.url, 'resume');
    await second.waitFor(/^left 0$/, 1, CHILD_DEADLINE_MS);
    expect(await second.exited).toBe(0);
    expect(second.matching(/^restored /)).toEqual([`restored ${MESSAGES.length}`]);
    expect(second.matching(/^session /)).toEqual(['session true']);
    expect(second.matching(/^pubrec /)).toHaveLength(MESSAGES.length); // the re-sent PUBLISHes arrived
    expect(second.matching(/^message /)).toEqual([]); // and none was delivered again
    expect(second.stderr).toBe('');
  }, 120_000);
});
