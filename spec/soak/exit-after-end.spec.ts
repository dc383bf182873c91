/**
 * Issue #8: after end() the process exits by itself, with no timer, socket or interval keeping it
 * alive. Each case runs a child Node process on the library (transpiled from lib/ and operators/
 * into a build dir of its own) against an aedes broker in this jest worker; the child never calls
 * process.exit. The deadline only turns a hang into a failure, with the child's report of what
 * was still active.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { startAedes, type AedesHandle } from '../helpers/aedes.js';
import { HANG_DEADLINE_MS, scaled } from '../helpers/wait.js';

const root = resolve('.');
let buildDir: string;
let aedes: AedesHandle;

/** Transpiles (no type check: tsc covers that) every .ts under `dirs` into `out`, same layout. */
function transpile(dirs: string[], out: string): void {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
    });
  for (const file of dirs.flatMap((dir) => walk(join(root, dir)))) {
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    const target = join(out, relative(root, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
}

beforeAll(async () => {
  // Inside the repo so that rxjs, debug and mqtt-packet resolve from its node_modules; .rxmqtt-*/ is ignored.
  buildDir = mkdtempSync(join(root, '.rxmqtt-exit-build-'));
  transpile(['lib', 'operators'], buildDir);
  aedes = await startAedes();
}, scaled(180_000));

afterAll(async () => {
  await aedes?.close();
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
});

/**
 * How long after end() a child still running reports what keeps it alive. Not a deadline on the
 * test: the unref'd timer fires only if something else holds the event loop that long, which is
 * the leak these cases look for; a slow machine only makes it fire later, never wrongly.
 */
const REPORT_AFTER_MS = 3000;

/** The child's prelude: the library, a deadline-free `once`, and an unref'd report of what is left. */
const PRELUDE = `
import { connect } from './lib/index.js';
import { firstValueFrom } from 'rxjs';
const [url, deadPort] = process.argv.slice(2);
const once = (emitter, event) => new Promise((resolve) => emitter.once(event, resolve));
function ended() {
  console.log('ended');
  // Unref'd: it cannot keep the process alive, it only says what does if something else does.
  setTimeout(() => console.error('still alive after end(): ' + JSON.stringify(process.getActiveResourcesInfo())), ${REPORT_AFTER_MS}).unref();
}
`;

const SCENARIOS: Record<string, string> = {
  'a full session: subscribe, publish at every QoS, topic(), a reconnect, then end()': `
    const client = connect(url, { clientId: 'exit-full', keepalive: 5 });
    client.on('error', (e) => console.error('error', e.message));
    await once(client, 'connect');
    await client.subscribeAsync('exit/#', { qos: 1 });
    const streamed = firstValueFrom(client.topic('exit/+'));
    const message = once(client, 'message');
    for (const qos of [0, 1, 2]) await client.publishAsync('exit/x', 'payload ' + qos, { qos });
    await message;
    await streamed;
    const back = once(client, 'connect');
    client.reconnect();
    await back;
    client.topic('exit/open').subscribe(); // a stream still open at end()
    await client.endAsync();
    ended();
  `,
  'end() while reconnecting to a broker that is gone (reconnect timer pending)': `
    const client = connect('mqtt://127.0.0.1:' + deadPort, { reconnectPeriod: 1000, connectTimeout: 2000 });
    client.on('error', () => undefined);
    await once(client, 'close');
    client.publish('queued/x', 'offline', { qos: 1 }, () => undefined);
    client.end(() => ended());
  `,
  'end() during the first connect attempt (connect timeout pending)': `
    const client = connect(url, { clientId: 'exit-early', connectTimeout: 30000 });
    client.on('error', () => undefined);
    client.end(true, () => ended());
  `,
  'a forced end() with an unacknowledged QoS 1 publish in flight and the keepalive running': `
    const client = connect(url, { clientId: 'exit-forced', keepalive: 1, reconnectPeriod: 500 });
    client.on('error', () => undefined);
    await once(client, 'connect');
    client.publish('exit/held', 'in flight', { qos: 1 }, () => undefined); // not acknowledged yet
    await client.endAsync(true);
    ended();
  `,
};

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `script` in a child Node process to its end. `killOn`: a stdout text at which the test
 * kills the child (for the control, which never exits by itself). The deadline only turns a hang
 * into a failure (SIGKILL, then the expectations say why): generous, because a Node start on a
 * loaded 2-core machine takes seconds.
 */
function runChild(script: string, args: string[], { killOn, deadlineMs = HANG_DEADLINE_MS }: { killOn?: string; deadlineMs?: number } = {}): Promise<Exit> {
  const file = join(buildDir, `child-${Math.random().toString(16).slice(2)}.mjs`);
  writeFileSync(file, PRELUDE + script);
  const child = spawn(process.execPath, [file, ...args], { cwd: buildDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (killOn !== undefined && stdout.includes(killOn)) child.kill('SIGKILL');
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

describe('after end() the process exits by itself', () => {
  it.each(Object.entries(SCENARIOS))('%s', async (_what, script) => {
    // Port 1: nobody listens there, so a connect attempt is refused at once. No bound on how long
    // the child takes: if anything keeps it alive after end(), its unref'd report says so on stderr.
    const exit = await runChild(script, [aedes.url, '1']);
    expect({ signal: exit.signal, stderr: exit.stderr.replace(/^error .*\n/gm, '') }).toEqual({ signal: null, stderr: '' });
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain('ended');
  });

  it('(control) a client that is never ended keeps it alive, so the cases above can fail', async () => {
    // The same unref'd report as after end(): it prints only because the client holds the loop.
    // The test kills the child once it has, so nothing here waits on the wall clock.
    const script = `const client = connect(url, { clientId: 'exit-control' }); await once(client, 'connect'); console.log('connected');
      setTimeout(() => console.log('still alive'), ${REPORT_AFTER_MS}).unref();`;
    const exit = await runChild(script, [aedes.url], { killOn: 'still alive' });
    expect(exit.stdout).toBe('connected\nstill alive\n');
    expect(exit.signal).toBe('SIGKILL');
  });
});
