#!/usr/bin/env node
// Socket syscalls per message (read, write, writev, epoll_pwait...) of one client in K1 (the
// publisher) or K4 (the subscriber, fed by a publisher of the same client), through a private
// mosquitto. Counts do not depend on how loaded the machine is, CPU figures do: this is how the
// "kernel decides" analysis (docs/benchmarks.md) was checked. Needs `perf` with access to the
// syscalls:* tracepoints (root, or kernel.perf_event_paranoid <= -1) and a build of rxmqtt
// (`node bench/run.mjs` makes .rxmqtt-bench-build/; the workers read RXMQTT_BENCH_LIB instead, and
// RXMQTT_BENCH_BASELINE for rxmqtt-base: a compiled tree inside this checkout, as run.mjs copies it).
//
//   node bench/syscalls.mjs --scenario K1|K4 --client rxmqtt|mqttjs|rxmqtt-base --qos 1 [--count 40000] [--reps 1]
//
// Each repetition runs the worker twice under `perf stat`, with `count` more measured messages the
// second time, and prints the difference divided by `count`: start-up, connect and warm-up cancel out.
// Node polls twice per blocking wait (libuv's idle-time metrics first poll with a zero timeout),
// so epoll_pwait is about twice the number of times the process went to sleep.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMosquitto } from './lib/broker.mjs';
import { args, int } from './lib/worker.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const SYSCALLS = ['read', 'write', 'writev', 'epoll_wait', 'epoll_pwait', 'recvfrom', 'sendto', 'sendmsg', 'recvmsg'];
const EVENTS = SYSCALLS.map((name) => `syscalls:sys_enter_${name}`).join(',');
const BASE_MESSAGES = 10_000; // the warm-up, and the measured count of the shorter run

const a = args({ scenario: 'K1', client: 'rxmqtt', qos: '1', count: '40000', reps: '1', window: '100' });
const scenario = a.scenario.toUpperCase();
if (scenario !== 'K1' && scenario !== 'K4') throw new Error('--scenario must be K1 or K4');

/** Runs `node bench/<script> ...` (under perf stat when `counted`); resolves with its result line and perf's counts. */
function runWorker(script, workerArgs, { counted, onLine } = {}) {
  const node = [process.execPath, join(BENCH, script), ...workerArgs];
  const [command, ...rest] = counted ? ['perf', 'stat', '-x,', '-e', EVENTS, '--', ...node] : node;
  return new Promise((resolve, reject) => {
    const child = spawn(command, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (data) => {
      out += data;
      onLine?.(out);
    });
    child.stderr.on('data', (data) => (err += data));
    child.once('error', reject);
    child.once('close', (code) => {
      const last = out.trim().split('\n').pop();
      if (code !== 0 || !last) return reject(new Error(`${script} failed (${code}): ${err.slice(-500)}`));
      resolve({ result: JSON.parse(last), counts: perfCounts(err) });
    });
  });
}

/** `perf stat -x,` lines: value,unit,event,... */
function perfCounts(text) {
  const counts = {};
  for (const line of text.split('\n')) {
    const [value, , event] = line.split(',');
    if (event?.startsWith('syscalls:sys_enter_')) counts[event.slice('syscalls:sys_enter_'.length)] = Number(value);
  }
  return counts;
}

/** One measured run of `count` messages after the warm-up; the counts are of the K1 publisher or the K4 subscriber. */
async function measure(port, count) {
  const common = ['--client', a.client, '--port', String(port), '--qos', a.qos, '--count', String(count), '--warmup', String(BASE_MESSAGES), '--size', '64'];
  const publisherArgs = (topic) => [...common, '--window', a.window, '--topic', topic];
  if (scenario === 'K1') return runWorker('k1-publish.mjs', publisherArgs('bench/k1'), { counted: true });
  let ready;
  const subscribed = new Promise((resolve) => (ready = resolve));
  const subscriber = runWorker('k2-receive.mjs', common, { counted: true, onLine: (out) => out.includes('"ready"') && ready() });
  await Promise.race([subscribed, subscriber]);
  const publisher = await runWorker('k1-publish.mjs', publisherArgs('bench/k4'));
  const received = await subscriber;
  return { ...received, publisher: publisher.result };
}

const broker = await startMosquitto();
try {
  const count = int(a.count);
  for (let rep = 0; rep < int(a.reps); rep++) {
    const short = await measure(broker.port, BASE_MESSAGES);
    const long = await measure(broker.port, BASE_MESSAGES + count);
    const perMessage = {};
    for (const name of Object.keys(long.counts)) {
      const value = (long.counts[name] - (short.counts[name] ?? 0)) / count;
      if (Math.abs(value) >= 0.005) perMessage[name] = Number(value.toFixed(3));
    }
    const record = { scenario, client: a.client, qos: int(a.qos), perMessage, usPerMsg: Number(long.result.usPerMsg.toFixed(2)), msgsPerSec: Math.round(long.result.msgsPerSec) };
    if (long.publisher) record.publisherUsPerMsg = Number(long.publisher.usPerMsg.toFixed(2));
    console.log(JSON.stringify(record));
  }
} finally {
  await broker.stop();
}
