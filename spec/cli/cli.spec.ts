/**
 * End-to-end: the BUILT `rxmqtt` command, spawned as a child process, against an aedes broker in
 * this jest worker (and one round trip through mosquitto). Children are always spawned
 * asynchronously: a synchronous spawn would block the in-process broker. Every wait ends on an
 * event (an output line, a broker event, an exit) and has a deadline.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeMosquitto, freePort, startMosquitto, type MosquittoHandle } from '../helpers/mosquitto.js';
import { HANG_DEADLINE_MS, scaled } from '../helpers/wait.js';
import { CLI_SETUP_MS, inPool, root, runToEnd, startCliHarness, type CliHarness, type CliRun } from '../helpers/cli-runner.js';

let h: CliHarness;
let at: string[];

beforeAll(async () => {
  h = await startCliHarness({
    authenticate: (_client, username, _password, done) =>
      username === 'refused' ? done(Object.assign(new Error('refused'), { returnCode: 5 as const }), null) : done(null, true),
    authorizeSubscribe: (_client, subscription, done) => done(null, subscription.topic.startsWith('forbidden/') ? null : subscription),
  });
  at = h.at;
}, CLI_SETUP_MS);

afterAll(async () => {
  await h?.close();
});

afterEach(() => h.killAll());

const cli = (args: string[], stdin: 'pipe' | 'ignore' = 'ignore'): CliRun => h.cli(args, stdin);
const pub = (args: string[]) => h.pub(args);
const subscribed = (clientId: string, args: string[]) => h.subscribed(clientId, args);
const brokerEvent = (event: 'client' | 'clientDisconnect' | 'subscribe', clientId: string) => h.brokerEvent(event, clientId);

const oneLine = (text: string) => text.trim().split('\n').length === 1 && text.trim().length > 0;

// ---------------------------------------------------------------------------------------------

describe('rxmqtt sub and pub against aedes', () => {
  test.each([0, 1, 2])('round-trips a message from pub to sub at QoS %i', async (qos) => {
    const sub = await subscribed(`rt-${qos}`, ['-t', `rt/${qos}`, '-q', String(qos), '-C', '1', '-F', 'json']);
    await pub(['-t', `rt/${qos}`, '-m', `hello ${qos}`, '-q', String(qos)]);
    expect(await sub.exit()).toEqual({ code: 0, signal: null });
    expect(sub.lines.map((line) => JSON.parse(line))).toEqual([{ topic: `rt/${qos}`, qos, retain: false, payload: `hello ${qos}` }]);
  });

  it('prints topic and payload from several topics with -v and exits after -C messages', async () => {
    const sub = await subscribed('multi', ['-t', 'multi/a', '-t', 'multi/b/#', '-v', '-C', '2']);
    await Promise.all([pub(['-t', 'multi/a', '-m', 'one']), pub(['-t', 'multi/b/c', '-m', 'two words'])]);
    expect(await sub.exit()).toEqual({ code: 0, signal: null });
    expect([...sub.lines].sort()).toEqual(['multi/a one', 'multi/b/c two words']);
  });

  it('prints JSON lines that parse back, with base64 for a binary payload', async () => {
    const order = ['json/text', 'json/bin', 'json/empty'];
    const file = join(mkdtempSync(join(tmpdir(), 'rxmqtt-cli-json-')), 'binary.bin');
    writeFileSync(file, Buffer.from([0x00, 0xff, 0x80, 0x0a]));
    const sub = await subscribed('json', ['-t', 'json/#', '-C', '3', '-F', 'json', '-q', '1']);
    await Promise.all([
      pub(['-t', 'json/text', '-m', 'héllo "quoted"\nsecond line']),
      pub(['-t', 'json/bin', '-f', file, '-q', '1']),
      pub(['-t', 'json/empty', '-n']),
    ]);
    expect(await sub.exit()).toEqual({ code: 0, signal: null });
    const records = sub.lines.map((line) => JSON.parse(line)).sort((a, b) => order.indexOf(a.topic) - order.indexOf(b.topic));
    expect(records).toEqual([
      { topic: 'json/text', qos: 0, retain: false, payload: 'héllo "quoted"\nsecond line' },
      { topic: 'json/bin', qos: 1, retain: false, payload: 'AP+ACg==', encoding: 'base64' },
      { topic: 'json/empty', qos: 0, retain: false, payload: '' },
    ]);
    expect(Buffer.from(records[1].payload, 'base64')).toEqual(readFileSync(file));
  });

  it('publishes --repeat copies of a message', async () => {
    const sub = await subscribed('repeat', ['-t', 'repeat/t', '-C', '3', '-q', '1']);
    await pub(['-t', 'repeat/t', '-m', 'again', '--repeat', '3', '-q', '1']);
    expect(await sub.exit()).toEqual({ code: 0, signal: null });
    expect(sub.lines).toEqual(['again', 'again', 'again']);
  });

  it('streams 2,000 stdin lines with -l as they arrive, all received in order', async () => {
    const sub = await subscribed('lines', ['-t', 'lines/t', '-C', '2000', '-q', '1']);
    const publisher = cli(['pub', ...at, '-t', 'lines/t', '-l', '-q', '1'], 'pipe');
    const expected = Array.from({ length: 2000 }, (_, i) => `line ${i + 1}`);
    // The first line arrives while stdin is still open: pub streams, it does not wait for EOF.
    publisher.child.stdin!.write(expected[0] + '\n');
    await sub.waitForLines(1);
    publisher.child.stdin!.end(expected.slice(1).join('\n') + '\n');
    expect(await publisher.exit()).toEqual({ code: 0, signal: null });
    expect(await sub.exit()).toEqual({ code: 0, signal: null });
    expect(sub.lines).toEqual(expected);
  });

  it('skips retained messages with -R and prints them (retain: true) without it', async () => {
    await pub(['-t', 'ret/t', '-m', 'stale', '-r', '-q', '1']);
    try {
      const [all, live] = await Promise.all([
        subscribed('ret-all', ['-t', 'ret/t', '-C', '1', '-F', 'json']),
        subscribed('ret-live', ['-t', 'ret/t', '-C', '1', '-R']),
      ]);
      expect(await all.exit()).toEqual({ code: 0, signal: null });
      expect(JSON.parse(all.lines[0])).toEqual({ topic: 'ret/t', qos: 0, retain: true, payload: 'stale' });
      await pub(['-t', 'ret/t', '-m', 'fresh']);
      expect(await live.exit()).toEqual({ code: 0, signal: null });
      expect(live.lines).toEqual(['fresh']);
    } finally {
      await pub(['-t', 'ret/t', '-n', '-r', '-q', '1']);
    }
  });

  it('exits 27 with one line on stderr when -W runs out', async () => {
    // Not awaiting the SUBACK first: on a loaded machine 0.3 s can run out before it, with the
    // same result, and -W is a wall-clock bound by design.
    const sub = cli(['sub', ...at, '-i', 'wait', '-t', 'quiet/t', '-W', '0.3']);
    expect(await sub.exit()).toEqual({ code: 27, signal: null });
    expect(sub.stderr).toMatch(/^rxmqtt: Timed out after 0\.3 s \(0 messages received\)\n$/);
  });
});

describe('rxmqtt failures and exit codes', () => {
  it('exits 1 with the broker reason when the connection is refused, never echoing the password', async () => {
    const runs = [
      cli(['sub', ...at, '-t', 'refused/t', '-u', 'refused', '-P', 'sup3r-s3cret']),
      cli(['pub', ...at, '-t', 'refused/t', '-m', 'x', '-u', 'refused', '-P', 'sup3r-s3cret']),
      cli(['sub', '-L', `mqtt://refused:sup3r-s3cret@127.0.0.1:${h.aedes.port}`, '-t', 'refused/t']),
    ];
    for (const run of runs) {
      expect(await run.exit()).toEqual({ code: 1, signal: null });
      expect(run.stderr).toBe('rxmqtt: Connection refused: Not authorized (code 5)\n');
      expect(run.lines).toEqual([]);
    }
  });

  it('fails fast with a clear message when no broker listens, although reconnecting is on', async () => {
    // Without fail-fast these would retry every second and never exit: exit() would time out.
    const port = await freePort();
    const runs = [cli(['sub', '-h', '127.0.0.1', '-p', String(port), '-t', 'x']), cli(['pub', '-h', '127.0.0.1', '-p', String(port), '-t', 'x', '-m', 'x'])];
    for (const run of runs) {
      expect(await run.exit()).toEqual({ code: 1, signal: null });
      expect(run.stderr).toBe(`rxmqtt: Cannot reach the broker at 127.0.0.1:${port}: connection refused (ECONNREFUSED)\n`);
    }
  });

  it('exits 1 when the broker refuses a subscription', async () => {
    const run = cli(['sub', ...at, '-t', 'ok/t', '-t', 'forbidden/t']);
    expect(await run.exit()).toEqual({ code: 1, signal: null });
    expect(run.stderr).toBe('rxmqtt: Subscription to "forbidden/t" refused (code 128)\n');
  });

  // The plan checks are unit-tested (options.spec.ts); these check the plumbing: exit 2, one line.
  const badFlags: Array<[string[], RegExp]> = [
    [['sub', '-p', '1'], /^rxmqtt: Missing required argument: topic \(see: rxmqtt sub --help\)\n$/],
    [['sub', '-t', 'x', '-q', '3'], /^rxmqtt: Invalid values: Argument: qos, Given: 3/],
    [['pub', '-t', 'x'], /^rxmqtt: Give exactly one of -m/],
    [['sub', '-t', 'x', '-L', 'wx://127.0.0.1:1'], /wx:\/\/ URL needs the WeChat API/],
    [['bogus'], /^rxmqtt: Unknown argument: bogus/],
    [[], /^rxmqtt: Give a command/],
  ];

  it('rejects bad flags with exit 2 and one line on stderr', async () => {
    // Two at a time: none of them touches the broker, but all at once they starve each other.
    const runs = await inPool(badFlags, 2, async ([args]) => {
      const run = cli(args);
      return { run, exit: await run.exit() };
    });
    for (const [i, { run, exit }] of runs.entries()) {
      expect({ args: run.args, exit }).toEqual({ args: run.args, exit: { code: 2, signal: null } });
      expect(oneLine(run.stderr)).toBe(true);
      expect(run.stderr).toMatch(badFlags[i][1]);
      expect(run.lines).toEqual([]);
    }
  });
});

describe('rxmqtt process behaviour', () => {
  it('ends sub on SIGINT with exit 0 after a clean DISCONNECT', async () => {
    const sub = await subscribed('sigint', ['-t', 'sig/t', '--will-topic', 'sig/will', '--will-message', 'gone']);
    const gone = brokerEvent('clientDisconnect', 'sigint');
    sub.child.kill('SIGINT');
    const client = await gone;
    // aedes sets _disconnected only when a DISCONNECT packet arrived [MQTT-3.14.4-3].
    expect((client as unknown as { _disconnected: boolean })._disconnected).toBe(true);
    expect(await sub.exit()).toEqual({ code: 0, signal: null });
    expect(sub.stderr).toBe('');
  });

  it('exits 0 when its stdout is closed after the first line (| head -n 1)', async () => {
    const sub = await subscribed('head', ['-t', 'head/t']);
    await pub(['-t', 'head/t', '-m', 'one']);
    expect(await sub.waitForLines(1)).toEqual(['one']);
    sub.child.stdout!.destroy();
    await pub(['-t', 'head/t', '-m', 'two']);
    expect(await sub.exit()).toEqual({ code: 0, signal: null });
    expect(sub.stderr).toBe('');
  });

  it('exits 1 with --no-reconnect when the broker drops the connection', async () => {
    const connected = brokerEvent('client', 'drop-once');
    const sub = await subscribed('drop-once', ['-t', 'drop/t', '--no-reconnect']);
    (await connected).conn.destroy();
    expect(await sub.exit()).toEqual({ code: 1, signal: null });
    expect(sub.stderr).toMatch(/^rxmqtt: Connection lost: /);
    expect(oneLine(sub.stderr)).toBe(true);
  });

  it('reconnects and resubscribes by default when the broker drops the connection', async () => {
    const connected = brokerEvent('client', 'drop-back');
    const sub = await subscribed('drop-back', ['-t', 'back/t', '-C', '1']);
    const again = brokerEvent('subscribe', 'drop-back');
    (await connected).conn.destroy();
    await again;
    await pub(['-t', 'back/t', '-m', 'after reconnect']);
    expect(await sub.exit()).toEqual({ code: 0, signal: null });
    expect(sub.lines).toEqual(['after reconnect']);
  });

  it('takes -h as the host, not as help', async () => {
    const run = cli(['pub', '-h', '127.0.0.1', '-p', String(h.aedes.port), '-t', 'h/t', '-m', 'x']);
    expect(await run.exit()).toEqual({ code: 0, signal: null });
    expect(run.lines).toEqual([]);
  });

  it('prints its version, and help for a command with help <command> and --help', async () => {
    const [version, help, pubHelp] = [cli(['version']), cli(['help', 'sub']), cli(['pub', '--help'])];
    expect(await version.exit()).toEqual({ code: 0, signal: null });
    expect(version.lines).toEqual([JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version]);
    expect(await help.exit()).toEqual({ code: 0, signal: null });
    expect(help.lines.join('\n')).toMatch(/-t, --topic[\s\S]*-R, --no-retained[\s\S]*-h, --host/);
    expect(await pubHelp.exit()).toEqual({ code: 0, signal: null });
    expect(pubHelp.lines.join('\n')).toMatch(/-l, --stdin-line[\s\S]*--user-property/);
  });

  it('runs an embedded broker that reports clients and stops on SIGTERM', async () => {
    const broker = cli(['broker', '-p', '0', '-h', '127.0.0.1']);
    const [listening] = await broker.waitForLines(1);
    const port = /^rxmqtt broker listening on mqtt:\/\/127\.0\.0\.1:(\d+)$/.exec(listening)?.[1];
    expect(port).toBeDefined();
    // No subscribe event to wait on from here: publish retained, so the order does not matter.
    const sub = cli(['sub', '-h', '127.0.0.1', '-p', port!, '-i', 'via-broker', '-t', 'b/t', '-C', '1']);
    const publisher = cli(['pub', '-h', '127.0.0.1', '-p', port!, '-i', 'broker-pub', '-t', 'b/t', '-m', 'through', '-r']);
    expect(await publisher.exit()).toEqual({ code: 0, signal: null });
    expect(await sub.exit()).toEqual({ code: 0, signal: null });
    expect(sub.lines).toEqual(['through']);
    await broker.waitForLine((line) => line === 'client disconnected: via-broker');
    expect(broker.lines).toContain('client connected: via-broker');
    broker.child.kill('SIGTERM');
    expect(await broker.exit()).toEqual({ code: 0, signal: null });
  });
});

describeMosquitto('rxmqtt against mosquitto', () => {
  let mosquitto: MosquittoHandle;

  beforeAll(async () => {
    mosquitto = await startMosquitto();
  });

  afterAll(async () => {
    await mosquitto?.stop();
  });

  test.each([0, 1, 2])('round-trips a message at QoS %i with MQTT 3.1.1', async (qos) => {
    const to = ['-h', '127.0.0.1', '-p', String(mosquitto.port)];
    // Retained, so the subscriber gets it whenever its subscription lands (no race on SUBACK).
    const publisher = cli(['pub', ...to, '-t', `m4/q${qos}`, '-m', `at qos ${qos}`, '-q', String(qos), '-r']);
    expect(await publisher.exit()).toEqual({ code: 0, signal: null });
    const sub = cli(['sub', ...to, '-t', `m4/q${qos}`, '-q', String(qos), '-C', '1', '-F', 'json']);
    expect(await sub.exit()).toEqual({ code: 0, signal: null });
    expect(JSON.parse(sub.lines[0])).toMatchObject({ topic: `m4/q${qos}`, qos, payload: `at qos ${qos}` });
  });

  it('keeps a persistent session with --no-clean: messages sent while sub was away arrive on its return', async () => {
    const to = ['-h', '127.0.0.1', '-p', String(mosquitto.port)];
    const id = ['-i', 'cli-persistent', '--no-clean'];
    // First visit: subscribe at QoS 1 and leave (one retained message makes it exit at once).
    expect(await cli(['pub', ...to, '-t', 'persist/first', '-m', 'first', '-q', '1', '-r']).exit()).toEqual({ code: 0, signal: null });
    const first = cli(['sub', ...to, ...id, '-t', 'persist/#', '-q', '1', '-C', '1']);
    expect(await first.exit()).toEqual({ code: 0, signal: null });
    // Clear the retained message so that only the session's queue can explain what arrives later.
    expect(await cli(['pub', ...to, '-t', 'persist/first', '-n', '-r']).exit()).toEqual({ code: 0, signal: null });
    // While it is away, three QoS 1 messages go to its session.
    for (const n of [1, 2, 3]) {
      expect(await cli(['pub', ...to, '-t', 'persist/away', '-m', `away ${n}`, '-q', '1']).exit()).toEqual({ code: 0, signal: null });
    }
    const back = cli(['sub', ...to, ...id, '-t', 'persist/#', '-q', '1', '-C', '3', '-v']);
    expect(await back.exit()).toEqual({ code: 0, signal: null });
    expect(back.lines).toEqual(['persist/away away 1', 'persist/away away 2', 'persist/away away 3']);
  });

  it('round-trips an MQTT 5 message with its properties', async () => {
    const to = ['-h', '127.0.0.1', '-p', String(mosquitto.port), '-V', 'mqttv5'];
    const props = ['--user-property', 'k=1', '--user-property', 'k=2', '--content-type', 'text/plain', '--correlation-data', 'id-7', '--response-topic', 'm5/reply'];
    // Retained, so that the subscriber gets it whenever its subscription lands.
    const publisher = cli(['pub', ...to, '-t', 'm5/t', '-m', 'five', '-q', '2', '-r', ...props]);
    expect(await publisher.exit()).toEqual({ code: 0, signal: null });
    const sub = cli(['sub', ...to, '-t', 'm5/#', '-q', '2', '-C', '1', '-F', 'json']);
    expect(await sub.exit()).toEqual({ code: 0, signal: null });
    expect(JSON.parse(sub.lines[0])).toEqual({
      topic: 'm5/t',
      qos: 2,
      retain: true,
      properties: { userProperties: { k: ['1', '2'] }, contentType: 'text/plain', correlationData: 'id-7', responseTopic: 'm5/reply' },
      payload: 'five',
    });
  });
});
