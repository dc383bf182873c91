/**
 * The mosquitto_sub output and filtering flags of the BUILT `rxmqtt sub` against aedes: -F format
 * strings, -N, -E, --retained-only, -T, --remove-retained, -d, and reconnects shown with -v on a
 * terminal. Every wait ends on an event (a line, a broker event, an exit) with a deadline.
 */
import { useCliHarness, type CliRun } from '../helpers/cli-runner.js';

const h = useCliHarness();

const ok = { code: 0, signal: null };

/** Everything `run` writes on stdout, newlines or not (-N output has none). */
function rawStdout(run: CliRun): () => string {
  let text = '';
  run.child.stdout!.on('data', (chunk: string) => (text += chunk));
  return () => text;
}

/**
 * The retained messages under `filter`, seen by a `--retained-only` sub that ends at a live message
 * published once `expected` lines arrived: the retained set is sent right after SUBACK, long
 * before a publish from another process gets through, so a leftover would be printed too.
 */
async function retainedNow(clientId: string, filter: string, expected: number): Promise<string[]> {
  const probe = await h.subscribed(clientId, ['-t', filter, '--retained-only', '-v']);
  await probe.waitForLines(expected);
  await h.pub(['-t', filter.replace('#', 'live-marker'), '-m', 'live']);
  expect(await probe.exit()).toEqual(ok);
  return [...probe.lines].sort();
}

describe('rxmqtt sub output flags', () => {
  it('prints each message through a mosquitto format string given to -F', async () => {
    // aedes speaks MQTT 3.1.1 only: the MQTT 5 property fields are in the mosquitto interop spec.
    const sub = await h.subscribed('fmt', ['-t', 'fmt/#', '-q', '1', '-C', '1', '-F', '%t|%p|%q|%r|%l|%x|%X|%P|%-6t|%.3t|\\t@@%%']);
    await h.pub(['-t', 'fmt/a', '-m', 'hi!', '-q', '1']);
    expect(await sub.exit()).toEqual(ok);
    expect(sub.lines).toEqual(['fmt/a|hi!|1|0|3|686921|686921||fmt/a |fmt|\t@%']);
  });

  it('prints %j as one JSON object per line, with the time and the payload', async () => {
    const sub = await h.subscribed('fmt-j', ['-t', 'fmt-j', '-C', '1', '-F', '%j']);
    await h.pub(['-t', 'fmt-j', '-m', 'a "quoted" word']);
    expect(await sub.exit()).toEqual(ok);
    const record = JSON.parse(sub.lines[0]!) as Record<string, unknown>;
    expect(record).toEqual({ tst: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z[+-]\d{4}$/), topic: 'fmt-j', qos: 0, retain: 0, payloadlen: 15, payload: 'a "quoted" word' });
  });

  it('keeps text, json and hex as -F shorthands', async () => {
    const sub = await h.subscribed('short', ['-t', 'short', '-C', '1', '-F', 'hex', '-v']);
    await h.pub(['-t', 'short', '-m', 'AB']);
    expect(await sub.exit()).toEqual(ok);
    expect(sub.lines).toEqual(['short 4142']);
  });

  it('refuses a format string mosquitto_sub would refuse, with exit code 2 and the reason', async () => {
    const run = h.cli(['sub', ...h.at, '-t', 'x', '-F', '%t %Z']);
    expect(await run.exit()).toEqual({ code: 2, signal: null });
    expect(run.stderr).toContain("Invalid format specifier 'Z'");
  });

  it('prints no newline after each message with -N', async () => {
    const sub = await h.subscribed('no-eol', ['-t', 'no-eol', '-C', '2', '-N', '-F', '%p,']);
    const stdout = rawStdout(sub);
    await h.pub(['-t', 'no-eol', '-m', 'a']);
    await h.pub(['-t', 'no-eol', '-m', 'b']);
    expect(await sub.exit()).toEqual(ok);
    expect(stdout()).toBe('a,b,');
  });

  it('ignores messages on topics matching a -T filter: not printed, not counted', async () => {
    const sub = await h.subscribed('filter-out', ['-t', 'fo/#', '-T', 'fo/skip/#', '-T', 'fo/also', '-v', '-C', '1']);
    await h.pub(['-t', 'fo/skip/deep', '-m', '1']);
    await h.pub(['-t', 'fo/also', '-m', '2']);
    await h.pub(['-t', 'fo/keep', '-m', '3']);
    expect(await sub.exit()).toEqual(ok);
    expect(sub.lines).toEqual(['fo/keep 3']);
  });
});

describe('rxmqtt sub session and retained flags', () => {
  it('exits once subscribed with -E, leaving a persistent session that queues messages', async () => {
    const register = await h.subscribed('durable', ['-t', 'durable', '-q', '1', '--no-clean', '-E']);
    expect(await register.exit()).toEqual(ok);
    await h.pub(['-t', 'durable', '-m', 'queued', '-q', '1']);
    const resume = h.cli(['sub', ...h.at, '-i', 'durable', '-t', 'durable', '-q', '1', '--no-clean', '-C', '1']);
    expect(await resume.exit()).toEqual(ok);
    expect(resume.lines).toEqual(['queued']);
  });

  it('prints only retained messages with --retained-only and exits 0 at the first live one', async () => {
    await h.pub(['-t', 'ro/a', '-m', 'old a', '-r']);
    await h.pub(['-t', 'ro/b', '-m', 'old b', '-r']);
    const sub = await h.subscribed('retained-only', ['-t', 'ro/#', '--retained-only', '-v']);
    await sub.waitForLines(2);
    await h.pub(['-t', 'ro/a', '-m', 'fresh']);
    expect(await sub.exit()).toEqual(ok);
    expect([...sub.lines].sort()).toEqual(['ro/a old a', 'ro/b old b']);
  });

  it('refuses -R with --retained-only', async () => {
    const run = h.cli(['sub', ...h.at, '-t', 'x', '-R', '--retained-only']);
    expect(await run.exit()).toEqual({ code: 2, signal: null });
  });

  it('clears each retained message it receives with --remove-retained, except those filtered out with -T', async () => {
    await h.pub(['-t', 'rm/a', '-m', 'a', '-r']);
    await h.pub(['-t', 'rm/b', '-m', 'b', '-r']);
    await h.pub(['-t', 'rm/keep', '-m', 'kept', '-r']);
    const sub = await h.subscribed('remover', ['-t', 'rm/#', '--remove-retained', '-T', 'rm/keep', '-v', '-C', '2']);
    expect(await sub.exit()).toEqual(ok);
    expect([...sub.lines].sort()).toEqual(['rm/a a', 'rm/b b']);
    expect(await retainedNow('rm-probe', 'rm/#', 1)).toEqual(['rm/keep kept']);
  });
});

describe('rxmqtt sub on stderr', () => {
  it('prints connection events and every packet with -d, with the password redacted', async () => {
    const sub = await h.subscribed('debug', ['-t', 'dbg', '-C', '1', '-d', '-u', 'user', '-P', 'hunter2-secret']);
    await h.pub(['-t', 'dbg', '-m', 'x']);
    expect(await sub.exit()).toEqual(ok);
    expect(sub.lines).toEqual(['x']);
    expect(sub.stderr).toMatch(/^rxmqtt: connecting to 127\.0\.0\.1:\d+$/m);
    expect(sub.stderr).toMatch(/^rxmqtt: sending CONNECT .*clientId="debug".*username="user".*password=<redacted>/m);
    expect(sub.stderr).toMatch(/^rxmqtt: received CONNACK /m);
    expect(sub.stderr).toMatch(/^rxmqtt: sending SUBSCRIBE .*"topic":"dbg"/m);
    expect(sub.stderr).toMatch(/^rxmqtt: received PUBLISH .*topic="dbg" payload=<1 bytes>/m);
    expect(sub.stderr).toMatch(/^rxmqtt: sending DISCONNECT/m);
    expect(sub.stderr).not.toContain('hunter2');
  });

  it('prints the packets of pub with -d too', async () => {
    const run = h.cli(['pub', ...h.at, '-t', 'dbg-pub', '-m', 'hello', '-q', '1', '-d', '-P', 'hunter2-secret', '-u', 'u']);
    expect(await run.exit()).toEqual(ok);
    expect(run.stderr).toMatch(/^rxmqtt: sending PUBLISH .*topic="dbg-pub" payload=<5 bytes>/m);
    expect(run.stderr).toMatch(/^rxmqtt: received PUBACK /m);
    expect(run.stderr).not.toContain('hunter2');
  });

  it('shows a dropped connection and the reconnection on stderr with -v when stderr is a terminal', async () => {
    const connected = h.brokerEvent('client', 'tty');
    const subscribed = h.brokerEvent('subscribe', 'tty');
    // RXMQTT_STDERR_TTY=1 stands for a terminal: the spec reads stderr through a pipe.
    const sub = h.cli(['sub', ...h.at, '-i', 'tty', '-t', 'tty', '-v'], 'ignore', { ...process.env, RXMQTT_STDERR_TTY: '1' });
    const [client] = await Promise.all([connected, subscribed]);
    const resubscribed = h.brokerEvent('subscribe', 'tty');
    client.close();
    await sub.waitForStderr((text) => /reconnected to 127\.0\.0\.1:\d+/.test(text));
    expect(sub.stderr).toMatch(/^rxmqtt: connection lost( \(.*\))?; reconnecting in [\d.]+ s$/m);
    expect(sub.stderr).not.toMatch(/connecting to|sending|received/);
    await resubscribed;
    await h.pub(['-t', 'tty', '-m', 'after']);
    await sub.waitForLines(1);
    expect(sub.lines).toEqual(['tty after']);
  });
});
