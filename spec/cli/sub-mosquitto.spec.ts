/**
 * Interop: `rxmqtt sub -F <format>` prints what `mosquitto_sub -F <format>` prints for the same
 * MQTT 5 message from the same mosquitto broker (the drop-in claim of the format strings). Time
 * fields differ by when each ran: their shape is checked, then they are blanked out.
 * Needs mosquitto and mosquitto_sub (Debian: mosquitto, mosquitto-clients).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { connect, type MqttClient } from '../../lib/index.js';
import { buildCli, CliRun, inPool, within, type CliBuild } from '../helpers/cli-runner.js';
import { describeMosquitto, startMosquitto, type MosquittoHandle } from '../helpers/mosquitto.js';
import { CLI_SETUP_MS } from '../helpers/cli-runner.js';

const mosquittoSub = (process.env.PATH ?? '')
  .split(delimiter)
  .filter(Boolean)
  .map((dir) => join(dir, 'mosquitto_sub'))
  .find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

/** Runs mosquitto_sub to its end; resolves with its stdout bytes. */
function runMosquittoSub(args: string[]): Promise<Buffer> {
  const child = spawn(mosquittoSub!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Buffer>((resolve, reject) =>
    child.once('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`mosquitto_sub exited ${code}: ${stderr}`)))),
  );
  return within(done, () => `mosquitto_sub ${args.join(' ')}: ${stderr}`);
}

/** Runs the built rxmqtt sub to its end; resolves with its stdout bytes. */
async function runRxmqttSub(build: CliBuild, args: string[]): Promise<Buffer> {
  const run = new CliRun(build.cliPath, ['sub', ...args], 'ignore');
  const chunks: Buffer[] = [];
  run.child.stdout!.removeAllListeners('data');
  run.child.stdout!.setEncoding('latin1');
  run.child.stdout!.on('data', (chunk: string) => chunks.push(Buffer.from(chunk, 'latin1')));
  const exit = await run.exit();
  if (exit.code !== 0) throw new Error(`rxmqtt sub exited ${exit.code}: ${run.stderr}`);
  return Buffer.concat(chunks);
}

/** Checks the time fields of a line and blanks them out: what is left must match byte for byte. */
function withoutTimes(line: Buffer): string {
  const text = line.toString('latin1');
  expect(text).toMatch(/"tst":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z[+-]\d{4}"/);
  const times = /\|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}\|\d+\.\d{9}\|\d\d:\d\d:\d\d\.\d{9}\|/;
  expect(text).toMatch(times);
  return text.replace(/"tst":"[^"]*"/g, '"tst":"<time>"').replace(times, '|<iso>|<unix>|<clock>|');
}

const FORMAT = '%t|%p|%r|%q|%l|%m|%x|%X|%P|%C|%D|%F|%R|%10t|%-5p|%05l|%4x|%I|%U|@H:@M:@S.@N|%j\\n--';

const describeInterop = mosquittoSub || process.env.RXMQTT_REQUIRE_MOSQUITTO === '1' ? describeMosquitto : describe.skip;

describeInterop('rxmqtt sub -F against mosquitto_sub -F', () => {
  let build: CliBuild;
  let broker: MosquittoHandle;
  let publisher: MqttClient;

  beforeAll(async () => {
    if (!mosquittoSub) throw new Error('mosquitto_sub is required (RXMQTT_REQUIRE_MOSQUITTO=1) but not on PATH: install mosquitto-clients');
    [build, broker] = await Promise.all([buildCli(), startMosquitto()]);
    publisher = connect(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    await publisher.publishAsync('fmt/props', '{"x":1}', {
      qos: 1,
      retain: true,
      properties: {
        userProperties: { k: ['v', 'v2'], other: 'o' },
        contentType: 'text/plain',
        correlationData: Buffer.from('cd1'),
        responseTopic: 'reply/here',
        payloadFormatIndicator: true,
      },
    });
    await publisher.publishAsync('fmt/binary', Buffer.from([0x01, 0xff, 0x61, 0x0a, 0x22, 0x5c, 0x7f]), { qos: 1, retain: true });
  }, CLI_SETUP_MS);

  afterAll(async () => {
    await publisher?.endAsync();
    await broker?.stop();
    build?.remove();
  });

  it.each(['fmt/props', 'fmt/binary'])('prints the same bytes as mosquitto_sub for a retained MQTT 5 message on %s', async (topic) => {
    const args = ['-h', '127.0.0.1', '-p', String(broker.port), '-V', '5', '-q', '1', '-C', '1', '-t', topic, '-F', FORMAT];
    const [theirs, ours] = await inPool([runMosquittoSub, (a: string[]) => runRxmqttSub(build, a)], 2, (run) => run(args));
    expect(withoutTimes(ours!)).toBe(withoutTimes(theirs!));
  });

  it('prints the same -v and -N output as mosquitto_sub', async () => {
    const args = ['-h', '127.0.0.1', '-p', String(broker.port), '-C', '1', '-t', 'fmt/props'];
    for (const extra of [['-v'], ['-N'], ['-v', '-N']]) {
      const [theirs, ours] = await inPool([runMosquittoSub, (a: string[]) => runRxmqttSub(build, a)], 2, (run) => run([...args, ...extra]));
      expect(ours!.toString('latin1')).toBe(theirs!.toString('latin1'));
    }
  });
});
