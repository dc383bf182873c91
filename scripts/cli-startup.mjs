// Startup of the `rxmqtt` command next to mosquitto_pub and MQTT.js's CLI, hyperfine-style:
// warm-up runs, then N timed runs of each command, interleaved round by round so that a busy
// moment of the machine lands on every tool alike; prints min, median and max per command.
//
//   node scripts/cli-startup.mjs [--runs 20] [--warmup 3] [--before path/to/old/cli.js]
//
// The commands: `--version`, and one `pub` at QoS 0 and at QoS 1 to a broker in a process of its
// own (mosquitto when installed, else `rxmqtt broker`), so the broker never shares this process's
// event loop. rxmqtt is bundled afresh from the sources (scripts/cli-bundle.mjs) into a scratch
// directory; `--before` adds a build to compare with (e.g. a tsc build's dist/esm/cli/index.js).
// Timing is the wall clock of spawn to exit, as hyperfine measures it (Node's own start included).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleCli, CLI_ENTRY } from './cli-bundle.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '20' }, warmup: { type: 'string', default: '3' }, before: { type: 'string' } },
});
const runs = Number(values.runs);
const warmup = Number(values.warmup);

/** A free loopback port (the broker binds it right after). */
function freePort() {
  return new Promise((res, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => res(port));
    });
  });
}

/** Path of `name` on PATH or in /usr/sbin, undefined when there is none. */
function which(name) {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin'];
  return dirs.filter(Boolean).map((dir) => join(dir, name)).find((file) => existsSync(file));
}

/** Starts a broker process on `port`; resolves with it once it accepts connections. */
async function startBroker(port, rxmqtt) {
  const mosquitto = which('mosquitto');
  const [command, args] = mosquitto ? [mosquitto, ['-p', String(port)]] : [process.execPath, [rxmqtt, 'broker', '-p', String(port)]];
  const child = spawn(command, args, { stdio: 'ignore' });
  for (let attempt = 0; attempt < 100; attempt++) {
    const listening = await new Promise((res) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => res(true)).once('error', () => res(false));
      socket.once('connect', () => socket.destroy());
    });
    if (listening) return { child, name: mosquitto ? 'mosquitto' : 'rxmqtt broker' };
    await new Promise((res) => setTimeout(res, 50));
  }
  child.kill();
  throw new Error(`the broker (${command}) did not listen on port ${port}`);
}

/** Milliseconds from spawn to exit of one run; throws if the command fails. */
function timeOnce([command, ...args]) {
  const start = process.hrtime.bigint();
  const run = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (run.status !== 0) throw new Error(`${[command, ...args].join(' ')} exited ${run.status}: ${run.stderr}`);
  return ms;
}

const median = (sorted) => (sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2);

const scratch = mkdtempSync(join(root, '.rxmqtt-startup-'));
let broker;
try {
  await bundleCli(scratch);
  const rxmqtt = join(scratch, CLI_ENTRY);
  const port = await freePort();
  broker = await startBroker(port, rxmqtt);
  const at = ['-h', '127.0.0.1', '-p', String(port), '-t', 'startup/bench', '-m', 'hello'];

  const tools = [['rxmqtt', [process.execPath, rxmqtt]]];
  if (values.before) tools.push(['rxmqtt (before)', [process.execPath, resolve(values.before)]]);
  const mqttJs = join(root, 'node_modules/mqtt/build/bin/mqtt.js');
  if (existsSync(mqttJs)) tools.push(['MQTT.js', [process.execPath, mqttJs]]);
  const mosquittoPub = which('mosquitto_pub');

  const commands = [];
  for (const [tool, bin] of tools) {
    commands.push([`${tool} --version`, [...bin, '--version']]);
    commands.push([`${tool} pub -q 0`, [...bin, 'pub', ...at, '-q', '0']]);
    commands.push([`${tool} pub -q 1`, [...bin, 'pub', ...at, '-q', '1']]);
  }
  if (mosquittoPub) {
    // mosquitto_pub has no --version: --help prints it (and exits 1), so it is not timed.
    commands.push(['mosquitto_pub -q 0', [mosquittoPub, ...at, '-q', '0']]);
    commands.push(['mosquitto_pub -q 1', [mosquittoPub, ...at, '-q', '1']]);
  }

  for (let round = 0; round < warmup; round++) for (const [, command] of commands) timeOnce(command);
  const times = new Map(commands.map(([name]) => [name, []]));
  for (let round = 0; round < runs; round++) for (const [name, command] of commands) times.get(name).push(timeOnce(command));

  console.log(`broker: ${broker.name}; ${runs} runs each after ${warmup} warm-up rounds, interleaved; node ${process.version}`);
  const width = Math.max(...commands.map(([name]) => name.length));
  console.log(`${'command'.padEnd(width)}   min (s)  median (s)  max (s)`);
  for (const [name, ms] of times) {
    const sorted = [...ms].sort((a, b) => a - b);
    const s = (value) => (value / 1000).toFixed(3);
    console.log(`${name.padEnd(width)}   ${s(sorted[0]).padStart(7)}  ${s(median(sorted)).padStart(10)}  ${s(sorted.at(-1)).padStart(7)}`);
  }
} finally {
  broker?.child.kill();
  rmSync(scratch, { recursive: true, force: true });
}
