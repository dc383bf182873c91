/**
 * `rxmqtt rr` (mosquitto_rr) through the BUILT binary against mosquitto (aedes 1.x has no
 * MQTT 5), answered by a responder made with the library's `respond()`.
 */
import { connect, type MqttClient } from '../../lib/index.js';
import { describeMosquitto, startMosquitto, type MosquittoHandle } from '../helpers/mosquitto.js';
import { buildCli, CLI_SETUP_MS, CliRun, inPool, type CliBuild } from '../helpers/cli-runner.js';

describeMosquitto('rxmqtt rr against mosquitto', () => {
  let build: CliBuild;
  let mosquitto: MosquittoHandle;
  let responder: MqttClient;
  let to: string[];
  const running = new Set<CliRun>();

  const rr = (args: string[]): CliRun => {
    const run = new CliRun(build.cliPath, ['rr', ...to, ...args], 'ignore');
    running.add(run);
    return run;
  };

  beforeAll(async () => {
    [build, mosquitto] = await Promise.all([buildCli(), startMosquitto()]);
    to = ['-h', '127.0.0.1', '-p', String(mosquitto.port)];
    responder = connect(mosquitto.url, { protocolVersion: 5, reconnectPeriod: 0 });
    responder.respond('svc/echo', (request) => ({
      payload: `echo:${request.payload.toString()}`,
      properties: { userProperties: { seen: String(request.properties?.userProperties?.tag ?? 'none') } },
    }));
    // The responder is subscribed once a request of our own comes back: an event, not a delay.
    await responder.request('svc/echo', 'ready?', { timeout: 30_000 });
  }, CLI_SETUP_MS);

  afterAll(async () => {
    for (const run of running) run.child.kill('SIGKILL');
    await responder?.endAsync(true);
    await mosquitto?.stop();
    build?.remove();
  });

  it('prints the response to a request and exits 0 (MQTT 5 by default, reply topic chosen by rxmqtt)', async () => {
    const run = rr(['-t', 'svc/echo', '-m', 'hello']);
    expect(await run.exit()).toEqual({ code: 0, signal: null });
    expect(run.lines).toEqual(['echo:hello']);
    expect(run.stderr).toBe('');
  });

  it('waits on the -e response topic and prints it with -v; `request` is the same command', async () => {
    const run = new CliRun(build.cliPath, ['request', ...to, '-t', 'svc/echo', '-e', 'rr/replies/mine', '-m', 'x', '-v', '-q', '1'], 'ignore');
    running.add(run);
    expect(await run.exit()).toEqual({ code: 0, signal: null });
    expect(run.lines).toEqual(['rr/replies/mine echo:x']);
  });

  it('sends -D publish properties with the request and prints the response as JSON with -F json', async () => {
    const run = rr(['-t', 'svc/echo', '-m', 'props', '-F', 'json', '-D', 'publish', 'user-property', 'tag', 't-1']);
    expect(await run.exit()).toEqual({ code: 0, signal: null });
    const record = JSON.parse(run.lines[0]!);
    expect(record.payload).toBe('echo:props');
    expect(record.properties.userProperties).toEqual({ seen: 't-1' });
    expect(record.properties.correlationData).toBeDefined();
  });

  it('exits 27 with one line when no response comes within -W seconds (mosquitto_rr: MOSQ_ERR_TIMEOUT)', async () => {
    const run = rr(['-t', 'svc/nobody', '-m', 'anyone?', '-W', '1']);
    expect(await run.exit()).toEqual({ code: 27, signal: null });
    expect(run.lines).toEqual([]);
    expect(run.stderr).toBe('rxmqtt: Timed out: no response within 1 s\n');
  });

  it('exits 2 for flags it can never work with, before connecting', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['-t', 'svc/echo', '-m', 'x', '-V', '4'], /rr needs MQTT 5/],
      [['-t', 'svc/echo'], /Give exactly one of -m/],
      [['-t', 'svc/#', '-m', 'x'], /Invalid topic "svc\/#"/],
      [['-t', 'svc/echo', '-m', 'x', '-D', 'publish', 'response-topic', 'r'], /Give the response topic with -e/],
      [['-t', 'svc/echo', '-m', 'x', '-D', 'subscribe', 'subscription-identifier', '1'], /sends no SUBSCRIBE packet/],
    ];
    const runs = await inPool(cases, 2, async ([args]) => {
      const run = rr(args);
      return { exit: await run.exit(), stderr: run.stderr };
    });
    runs.forEach(({ exit, stderr }, index) => {
      expect(exit).toEqual({ code: 2, signal: null });
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(cases[index]![1]);
    });
  });
});
