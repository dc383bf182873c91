#!/usr/bin/env node
// rxmqtt vs MQTT.js benchmark driver: builds rxmqtt into .rxmqtt-bench-build/, starts a private
// mosquitto, runs every scenario in child processes (rxmqtt and MQTT.js alternately, A B A B...),
// prints a markdown table of medians and writes every run to bench/results/<timestamp>.jsonl.
//
//   node bench/run.mjs [--quick] [--reps N] [--only K1,K2,K4,codec] [--payload 64,1024] [--no-build] [--update-readme]
//   BENCH_QUICK=1 node bench/run.mjs
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MOSQUITTO, startMosquitto } from './lib/broker.mjs';
import { summary } from './lib/stats.mjs';
import { BUILD_DIR, ROOT } from './lib/worker.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const CLIENTS = ['rxmqtt', 'mqttjs'];
const LABEL = { rxmqtt: 'rxmqtt', mqttjs: 'MQTT.js' };
const KILL_AFTER_MS = 60_000; // a worker still running then is killed and its run reported as failed
const WORKER_TIMEOUT_MS = 50_000; // workers give up (and report what they have) a little earlier
const READY_TIMEOUT_MS = 15_000;
const DRAIN_GRACE_MS = 15_000; // how long a subscriber may take after its publisher finished

const argv = process.argv.slice(2);
const flag = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const reps = Math.max(1, Number(flag('--reps') ?? 5));
const only = flag('--only')?.toLowerCase().split(',');
const config = quick
  ? { count: 20_000, warmup: 20_000, sizes: [64], codecMs: 500 }
  : { count: 100_000, warmup: 20_000, sizes: [64, 1024], codecMs: 2_000 };
// --payload 64,1024: the payload sizes of K1/K2/K4 (default: 64 in quick mode, 64 and 1024 in full mode).
if (flag('--payload')) config.sizes = flag('--payload').split(',').map(Number);
const WINDOW = 100;

// ---------------------------------------------------------------- child processes

const children = new Set();
let broker;

/** Starts `node bench/<script> ...args`; `ready` resolves true on its {"ready":true} line, `done` on exit. */
function runWorker(script, args) {
  const child = spawn(process.execPath, [join(BENCH, script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let stderr = '';
  let result;
  let markReady;
  const ready = new Promise((resolve) => (markReady = resolve));
  child.stdout.on('data', (data) => {
    out += data;
    for (let i = out.indexOf('\n'); i >= 0; i = out.indexOf('\n')) {
      const line = out.slice(0, i);
      out = out.slice(i + 1);
      try {
        const record = JSON.parse(line);
        if (record.ready) markReady(true);
        else result = record;
      } catch {
        stderr = (stderr + `[stdout] ${line}\n`).slice(-3000);
      }
    }
  });
  child.stderr.on('data', (data) => (stderr = (stderr + data).slice(-3000)));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, KILL_AFTER_MS);
  const done = new Promise((resolve) => {
    child.once('error', (err) => (stderr += `\nspawn error: ${err.message}`));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      markReady(false);
      resolve({ result, code, signal, timedOut, stderr: stderr.trim() });
    });
  });
  return { child, ready, done };
}

const sleep = (ms, value) => new Promise((resolve) => setTimeout(() => resolve(value), ms));

/** Waits for a worker's exit for `ms`, then SIGTERM (it reports what it has), then SIGKILL. */
async function finishWorker(worker, ms) {
  const exited = await Promise.race([worker.done, sleep(ms, null)]);
  if (exited) return exited;
  worker.child.kill('SIGTERM');
  const afterTerm = await Promise.race([worker.done, sleep(3000, null)]);
  if (afterTerm) return afterTerm;
  worker.child.kill('SIGKILL');
  return worker.done;
}

async function cleanup() {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  await broker?.stop();
}

process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  if (broker?.alive()) process.kill(broker.pid, 'SIGKILL');
});
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping workers and mosquitto`);
    cleanup().finally(() => process.exit(code));
  });
}

// ---------------------------------------------------------------- correctness

/** What is wrong with one worker's run, as short sentences (empty: nothing). */
function problemsOf(role, run) {
  const r = run.result;
  const how = run.timedOut ? `killed after ${KILL_AFTER_MS / 1000} s` : `exit ${run.code ?? run.signal}`;
  if (!r) return [`${role}: no result (${how}): ${run.stderr.split('\n').slice(-3).join(' | ') || 'no output'}`];
  const problems = [];
  if (r.failure) problems.push(`${role}: ${r.failure.split('\n')[0]}`);
  if (r.missingCallbacks) problems.push(`${role}: ${r.missingCallbacks} publish callbacks never called`);
  if (r.doubleCallbacks) problems.push(`${role}: ${r.doubleCallbacks} publish callbacks called twice`);
  if (r.errors) problems.push(`${role}: ${r.errors} publish errors (${r.firstError})`);
  if (r.lost) problems.push(`${role}: ${r.lost} messages lost`);
  if (r.duplicates) problems.push(`${role}: ${r.duplicates} duplicate messages`);
  if (r.malformed) problems.push(`${role}: ${r.malformed} malformed messages`);
  if (r.outOfOrder) problems.push(`${role}: ${r.outOfOrder} messages out of order`);
  if (r.clientError) problems.push(`${role}: client error ${r.clientError}`);
  if (problems.length === 0 && (!r.ok || run.code !== 0)) problems.push(`${role}: not ok (${how})`);
  return problems;
}

// ---------------------------------------------------------------- scenarios

const common = (port, size) => ['--port', String(port), '--count', String(config.count), '--warmup', String(config.warmup), '--size', String(size), '--timeout', String(WORKER_TIMEOUT_MS)];

async function runPublisher(client, qos, size, topic) {
  const pub = await runWorker('k1-publish.mjs', ['--client', client, '--qos', String(qos), '--window', String(WINDOW), '--topic', topic, ...common(broker.port, size)]).done;
  return { pub: pub.result, problems: problemsOf('publisher', pub), metrics: { pubUs: pub.result?.usPerMsg } };
}

/** A subscriber of `subClient`, fed by a publisher of `pubClient` once the subscriber holds its SUBACK. */
async function runPair(subClient, pubClient, qos, size, topic) {
  const sub = runWorker('k2-receive.mjs', ['--client', subClient, '--qos', String(qos), ...common(broker.port, size)]);
  const ready = await Promise.race([sub.ready, sleep(READY_TIMEOUT_MS, false)]);
  if (!ready) {
    const subRun = await finishWorker(sub, 0);
    return { problems: [`subscriber: not ready within ${READY_TIMEOUT_MS / 1000} s`, ...problemsOf('subscriber', subRun)], metrics: {} };
  }
  const pubRun = await runWorker('k1-publish.mjs', ['--client', pubClient, '--qos', String(qos), '--window', String(WINDOW), '--topic', topic, ...common(broker.port, size)]).done;
  const subRun = await finishWorker(sub, DRAIN_GRACE_MS);
  const p = pubRun.result;
  const s = subRun.result;
  return {
    pub: p,
    sub: s,
    problems: [...problemsOf('publisher', pubRun), ...problemsOf('subscriber', subRun)],
    metrics: { pubUs: p?.usPerMsg, subUs: s?.usPerMsg, rate: s?.msgsPerSec },
  };
}

const M = {
  pubUs: { label: 'publisher CPU µs/msg', unit: 'µs', digits: 2 },
  subUs: { label: 'subscriber CPU µs/msg', unit: 'µs', digits: 2 },
  rate: { label: 'end-to-end msgs/s', unit: '/s', digits: 0 },
};

const scenarios = [];
for (const size of config.sizes) {
  for (const qos of [0, 1, 2]) {
    scenarios.push({
      id: 'K1',
      name: `K1 publish QoS ${qos}${qos ? ` (window ${WINDOW})` : ''}, ${size} B`,
      metrics: ['pubUs'],
      run: (client) => runPublisher(client, qos, size, 'bench/k1'),
    });
  }
}
for (const size of config.sizes) {
  scenarios.push({
    id: 'K2',
    name: `K2 receive QoS 0, ${size} B (MQTT.js publisher)`,
    metrics: ['subUs'],
    run: (client) => runPair(client, 'mqttjs', 0, size, 'bench/k2'),
  });
}
for (const qos of [1, 2]) {
  scenarios.push({
    id: 'K4',
    name: `K4 end-to-end QoS ${qos} (window ${WINDOW}), 64 B`,
    metrics: ['rate', 'pubUs', 'subUs'],
    run: (client) => runPair(client, client, qos, 64, 'bench/k4'),
  });
}

// ---------------------------------------------------------------- build, environment

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function build() {
  const stamp = join(BUILD_DIR, '.stamp');
  const sources = ['lib', 'operators', 'cli', 'examples', 'tsconfig.json', 'tsconfig.build.json'].map((p) => newestMtime(join(ROOT, p)));
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= Math.max(...sources)) {
    console.error(`build: ${BUILD_DIR} is up to date`);
    return;
  }
  console.error(`build: tsc -p tsconfig.build.json --outDir ${BUILD_DIR}`);
  rmSync(BUILD_DIR, { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', BUILD_DIR], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (tsc.status !== 0) throw new Error(`rxmqtt build failed (${tsc.status ?? tsc.signal}):\n${tsc.stdout}${tsc.stderr}`);
  writeFileSync(stamp, new Date().toISOString() + '\n');
}

function environment() {
  const version = (pkg) => JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  const git = (...args) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim();
  const mosquitto = spawnSync(MOSQUITTO, ['-h'], { encoding: 'utf8' }).stdout?.split('\n')[0] ?? '?';
  return {
    node: process.version,
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    commit: `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'lib') ? ' (lib/ has uncommitted changes)' : ''}`,
    mqtt: version('mqtt'),
    mqttPacket: version('mqtt-packet'),
    mosquitto: mosquitto.replace(/^mosquitto version /, ''),
    load: loadavg()[0].toFixed(1),
    mode: quick ? 'quick' : 'full',
    reps,
    count: config.count,
    warmup: config.warmup,
    window: WINDOW,
  };
}

// ---------------------------------------------------------------- report

const fmt = (value, digits) =>
  Number.isFinite(value) ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '—';
const cell = (s, digits) => (s.n ? `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})` : 'no valid run');

function table(results, env) {
  const lines = [
    `${env.mode} run, ${env.reps} reps per client, ${env.count.toLocaleString('en-US')} measured messages after ${env.warmup.toLocaleString('en-US')} warmup; ` +
      `node ${env.node}, MQTT.js ${env.mqtt}, mqtt-packet ${env.mqttPacket}, mosquitto ${env.mosquitto}, ${env.cpu}, rxmqtt ${env.commit}; ` +
      `1-min load average ${env.load} at start, ${loadavg()[0].toFixed(1)} at end${Number(env.load) > cpus().length * 0.75 ? ' (**the machine was busy: figures are noisy**)' : ''}`,
    '',
    '| scenario | metric | rxmqtt median (min–max) | MQTT.js median (min–max) | rxmqtt/MQTT.js | check |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  const violations = [];
  for (const s of scenarios.filter((x) => results.has(x))) {
    const runs = results.get(s);
    const bad = CLIENTS.map((c) => [c, runs.filter((r) => r.client === c && r.problems.length)]).filter(([, b]) => b.length);
    const check = bad.length
      ? `**FAIL** ${bad.map(([c, b]) => `${LABEL[c]} ${b.length}/${reps}: ${[...new Set(b.flatMap((r) => r.problems))].slice(0, 2).join('; ')}`).join('; ')}`
      : `ok (${runs.length} runs)`;
    for (const [, b] of bad) for (const r of b) violations.push(`${s.name} — ${LABEL[r.client]} rep ${r.rep}: ${r.problems.join('; ')}`);
    s.metrics.forEach((key, i) => {
      const stats = Object.fromEntries(
        CLIENTS.map((c) => [c, summary(runs.filter((r) => r.client === c && !r.problems.length).map((r) => r.metrics[key]).filter(Number.isFinite))]),
      );
      const ratio = stats.rxmqtt.median / stats.mqttjs.median;
      const d = M[key].digits;
      lines.push(`| ${i === 0 ? s.name : ''} | ${M[key].label} | ${cell(stats.rxmqtt, d)} | ${cell(stats.mqttjs, d)} | ${fmt(ratio, 2)} | ${i === 0 ? check : ''} |`);
    });
  }
  return { lines, violations };
}

function codecTable(runs) {
  const ok = runs.filter((r) => r.ok);
  const g = summary(ok.map((r) => r.generatePerSec));
  const p = summary(ok.map((r) => r.parsePerSec));
  return [
    '',
    `Codec ceiling (mqtt-packet ${runs[0]?.wireBytes ?? '?'}-byte QoS 0 PUBLISH with a 64 B payload, one process, ${ok.length}/${runs.length} runs ok):`,
    '',
    '| operation | packets/s median (min–max) |',
    '| --- | --- |',
    `| generate | ${cell(g, 0)} |`,
    `| parse | ${cell(p, 0)} |`,
  ];
}

function updateReadme(text) {
  const file = join(BENCH, 'README.md');
  const readme = readFileSync(file, 'utf8');
  const begin = '<!-- bench:begin -->';
  const end = '<!-- bench:end -->';
  const a = readme.indexOf(begin);
  const b = readme.indexOf(end);
  if (a < 0 || b < a) throw new Error('bench/README.md has no bench:begin/bench:end markers');
  writeFileSync(file, `${readme.slice(0, a + begin.length)}\n${text}\n${readme.slice(b)}`);
}

// ---------------------------------------------------------------- main

async function main() {
  const started = performance.now();
  if (!argv.includes('--no-build')) build();
  const env = environment();
  const resultsDir = join(BENCH, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const resultsFile = join(resultsDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`);
  const record = (obj) => appendFileSync(resultsFile, JSON.stringify(obj) + '\n');
  record({ type: 'env', ...env });

  broker = await startMosquitto();
  console.error(`mosquitto ${env.mosquitto} on 127.0.0.1:${broker.port} (pid ${broker.pid}); results -> ${resultsFile}`);

  const selected = scenarios.filter((s) => !only || only.includes(s.id.toLowerCase()));
  const results = new Map();
  for (const s of selected) {
    const runs = [];
    results.set(s, runs);
    for (let rep = 1; rep <= reps; rep++) {
      for (const client of CLIENTS) {
        if (!broker.alive()) throw new Error(`mosquitto died: ${broker.log()}`);
        const t0 = performance.now();
        const run = { client, rep, ...(await s.run(client)) };
        runs.push(run);
        record({ type: 'run', scenario: s.name, id: s.id, client, rep, metrics: run.metrics, problems: run.problems, pub: run.pub, sub: run.sub });
        const shown = s.metrics.map((k) => `${M[k].label} ${fmt(run.metrics[k], M[k].digits)}`).join(', ');
        console.error(`[${s.name}] ${rep}/${reps} ${LABEL[client].padEnd(7)} ${shown}  (${((performance.now() - t0) / 1000).toFixed(1)} s)${run.problems.length ? `  !!! ${run.problems.join('; ')}` : ''}`);
      }
    }
  }

  const codecRuns = [];
  if (!only || only.includes('codec')) {
    for (let rep = 1; rep <= reps; rep++) {
      const run = await runWorker('codec.mjs', ['--size', '64', '--ms', String(config.codecMs)]).done;
      const r = run.result ?? { ok: false, failure: run.stderr };
      codecRuns.push(r);
      record({ type: 'codec', rep, ...r });
      console.error(`[codec] ${rep}/${reps} generate ${fmt(r.generatePerSec, 0)}/s, parse ${fmt(r.parsePerSec, 0)}/s`);
    }
  }

  await cleanup();
  const { lines, violations } = table(results, env);
  const wallS = (performance.now() - started) / 1000;
  const out = [...lines, ...(codecRuns.length ? codecTable(codecRuns) : []), '', `Wall time ${wallS.toFixed(0)} s.`];
  if (violations.length) out.push('', `**CORRECTNESS VIOLATIONS (${violations.length} runs):**`, ...violations.map((v) => `- ${v}`));
  const text = out.join('\n');
  console.log(`\n${text}`);
  record({ type: 'summary', wallS, violations, table: text });
  if (argv.includes('--update-readme')) updateReadme(text);
  if (violations.length) console.error(`\n!!! ${violations.length} runs violated correctness checks (see above)`);
  return violations.length || codecRuns.some((r) => !r.ok) ? 1 : 0;
}

main()
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  })
  .catch(async (err) => {
    console.error(`bench failed: ${err?.stack ?? err}`);
    await cleanup();
    process.exit(1);
  });
