/**
 * The shipped `rxmqtt` bundle (scripts/cli-bundle.mjs), run as its `bin`: what each kind of run
 * loads, and every broker URL scheme `-L` lists, each through the binary against aedes.
 *
 * What a run loads is observed, not timed: a module loader hook (NODE_OPTIONS=--import) records
 * every file Node loads, and the source map beside each bundle file says which sources it holds.
 */
import type { Aedes, PublishPacket } from 'aedes';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CLI_SETUP_MS, root, startCliHarness, within, type CliHarness } from '../helpers/cli-runner.js';
import { describeWithOpenssl, removeCerts, testCerts } from '../helpers/certs.js';
import { startWsBroker } from '../transport/ws-broker.js';

let h: CliHarness;
let scratch: string;

beforeAll(async () => {
  h = await startCliHarness();
  scratch = mkdtempSync(join(tmpdir(), 'rxmqtt-startup-'));
  // Runs in Node's loader thread: appends the URL of every module loaded to $RXMQTT_LOADED_LOG.
  writeFileSync(
    join(scratch, 'record-hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
     export async function load(url, context, next) {
       if (url.startsWith('file:')) appendFileSync(process.env.RXMQTT_LOADED_LOG, url + '\\n');
       return next(url, context);
     }`,
  );
  writeFileSync(join(scratch, 'record.mjs'), `import { register } from 'node:module';\nregister('./record-hooks.mjs', import.meta.url);\n`);
}, CLI_SETUP_MS);

afterAll(async () => {
  await h?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  await removeCerts();
});

let runs = 0;

/** Runs `rxmqtt ...args` to its end; resolves with its stdout and the sources (repository paths) of every bundle file it loaded. */
async function sourcesLoadedBy(args: string[]): Promise<{ code: number | null; stdout: string; sources: string[] }> {
  const log = join(scratch, `loaded-${++runs}.log`);
  writeFileSync(log, '');
  const env = { ...process.env, RXMQTT_LOADED_LOG: log, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(join(scratch, 'record.mjs')).href}` };
  const run = h.cli(args, 'ignore', env);
  const { code } = await run.exit();
  // Node loads modules by their real path.
  const entry = realpathSync(h.cliPath);
  const files = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((url) => fileURLToPath(url));
  const bundleFiles = files.filter((file) => !relative(dirname(entry), file).startsWith('..'));
  expect(bundleFiles).toContain(entry);
  const sources = bundleFiles.flatMap((file) => {
    const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] };
    return map.sources.map((source) => relative(realpathSync(root), resolve(dirname(file), source)));
  });
  return { code, stdout: run.lines.join('\n'), sources };
}

const under = (sources: string[], prefix: string) => sources.filter((source) => source.startsWith(prefix));

describe('what a run of the bundle loads', () => {
  it('answers --version and version from the entry alone: no yargs, no rxjs, no library', async () => {
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
    for (const args of [['--version'], ['version']]) {
      const run = await sourcesLoadedBy(args);
      expect(run).toMatchObject({ code: 0, stdout: version });
      expect([...under(run.sources, 'node_modules/'), ...under(run.sources, 'lib/')]).toEqual([]);
    }
  });

  it('prints the top-level help with yargs but without rxjs, the library or any command', async () => {
    for (const args of [['--help'], ['help']]) {
      const run = await sourcesLoadedBy(args);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/rxmqtt sub\s+Subscribe/);
      expect(under(run.sources, 'node_modules/yargs/').length).toBeGreaterThan(0);
      expect([...under(run.sources, 'node_modules/rxjs/'), ...under(run.sources, 'lib/')]).toEqual([]);
      expect(run.sources.filter((source) => /^cli\/(sub|pub|broker)\.ts$/.test(source))).toEqual([]);
    }
  });

  it('loads the code of the command it runs and of no other', async () => {
    const run = await sourcesLoadedBy(['sub', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--topic');
    expect(run.sources).toContain('cli/sub.ts');
    expect(run.sources.filter((source) => /^cli\/(pub|broker)\.ts$/.test(source))).toEqual([]);
  });
});

/** Resolves with the first PUBLISH a client sends `broker` on `topic`. */
function published(broker: Aedes, topic: string): Promise<PublishPacket> {
  let listener!: (packet: PublishPacket, client: unknown) => void;
  const seen = new Promise<PublishPacket>((res) => {
    listener = (packet, client) => client && packet.topic === topic && res(packet);
    broker.on('publish', listener);
  });
  return within(seen, () => `a PUBLISH on ${topic}`).finally(() => broker.off('publish', listener));
}

/** `rxmqtt pub ...args -t topic -m payload -q 1` exits 0, and `broker` got the message. */
async function expectQos1Publish(broker: Aedes, args: string[], topic: string): Promise<void> {
  const seen = published(broker, topic);
  const run = h.cli(['pub', ...args, '-t', topic, '-m', 'hello', '-q', '1']);
  expect(await run.exit()).toEqual({ code: 0, signal: null });
  expect(run.stderr).toBe('');
  expect((await seen).payload.toString()).toBe('hello');
}

function listen(server: Server, where: string | number): Promise<number> {
  return new Promise((res, reject) => {
    server.once('error', reject);
    const done = () => res(typeof where === 'number' ? (server.address() as { port: number }).port : 0);
    if (typeof where === 'number') server.listen(where, '127.0.0.1', done);
    else server.listen(where, done);
  });
}

describe('the broker URLs -L accepts', () => {
  it('lists mqtt, mqtts, ws, wss and mqtt+unix in the help', async () => {
    const run = h.cli(['pub', '--help']);
    await run.exit();
    const help = run.lines.join('\n');
    for (const scheme of ['mqtt://', 'mqtts://', 'ws://', 'wss://', 'mqtt+unix://']) expect(help).toContain(scheme);
  });

  it('round-trips a QoS 1 message through the bundle over mqtt://', async () => {
    const sub = await h.subscribed('startup-sub', ['-t', 'startup/mqtt', '-q', '1', '-C', '1']);
    const pub = h.cli(['pub', '-L', `mqtt://127.0.0.1:${h.aedes.port}`, '-t', 'startup/mqtt', '-m', 'round trip', '-q', '1']);
    expect(await pub.exit()).toEqual({ code: 0, signal: null });
    expect(await sub.waitForLines(1)).toEqual(['round trip']);
    expect((await sub.exit()).code).toBe(0);
  });

  it('publishes over ws:// to aedes behind a WebSocket server', async () => {
    const ws = await startWsBroker();
    try {
      await expectQos1Publish(ws.broker, ['-L', `ws://127.0.0.1:${ws.port}/mqtt`], 'startup/ws');
      expect(ws.handshakes).toEqual([{ url: '/mqtt', protocol: 'mqtt' }]);
    } finally {
      await ws.close();
    }
  });

  it('publishes over mqtt+unix:// to aedes on a Unix socket', async () => {
    const socketPath = join(scratch, 'broker.sock');
    const server = createNetServer((socket) => h.aedes.broker.handle(socket));
    await listen(server, socketPath);
    try {
      await expectQos1Publish(h.aedes.broker, ['-L', `mqtt+unix://${socketPath}`], 'startup/unix');
    } finally {
      server.close();
    }
  });
});

describeWithOpenssl('the TLS broker URLs -L accepts', () => {
  it('publishes over mqtts:// with --cafile', async () => {
    const certs = await testCerts();
    const server = createTlsServer({ key: certs.server.key, cert: certs.server.cert }, (socket) => h.aedes.broker.handle(socket));
    const port = await listen(server, 0);
    try {
      await expectQos1Publish(h.aedes.broker, ['-L', `mqtts://localhost:${port}`, '--cafile', certs.ca.certFile], 'startup/mqtts');
    } finally {
      server.close();
    }
  });

  it('publishes over wss:// with --cafile', async () => {
    const certs = await testCerts();
    const ws = await startWsBroker({ tls: { key: certs.server.key, cert: certs.server.cert } });
    try {
      await expectQos1Publish(ws.broker, ['-L', `wss://localhost:${ws.port}/mqtt`, '--cafile', certs.ca.certFile], 'startup/wss');
    } finally {
      await ws.close();
    }
  });
});
