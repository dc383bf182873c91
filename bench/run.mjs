#!/usr/bin/env node
// rxmqtt vs MQTT.js benchmark driver: builds rxmqtt into .rxmqtt-bench-build/, starts a private
// broker (mosquitto, then aedes in its own node process), runs every scenario
// (bench/scenarios/*.mjs) against it in child processes (the clients alternately, A B A B...),
// prints a markdown table of medians, writes every run to bench/results/<timestamp>.jsonl and
// draws the table's rxmqtt / MQTT.js ratios into bench/results/<timestamp>.svg (bench/chart.mjs
// draws one from any results file).
//
//   node bench/run.mjs [--quick] [--reps N] [--only K1,K2,K3,K4,K5,K6,gates,codec,bundle]
//                      [--broker mosquitto,aedes] [--payload 64,1024] [--bundle PATH]
//                      [--baseline DIR] [--no-build] [--update-readme]
//   BENCH_QUICK=1 node bench/run.mjs
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MOSQUITTO, startAedes, startMosquitto } from './lib/broker.mjs';
import { children, runWorker } from './lib/runner.mjs';
import { clientsOf as clientsWith, LABEL, ratioRows } from './lib/rows.mjs';
import { summary } from './lib/stats.mjs';
import { BUILD_DIR, isRxmqtt, ROOT } from './lib/worker.mjs';
import { bundleSizes, bundleTable } from './scenarios/bundle.mjs';
import { allScenarios, METRICS as M } from './scenarios/index.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));

const argv = process.argv.slice(2);
const flag = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const reps = Math.max(1, Number(flag('--reps') ?? 5));
const only = flag('--only')?.toLowerCase().split(',');
const config = quick
  ? { count: 20_000, warmup: 20_000, sizes: [64], codecMs: 500, k3Count: 20_000, k3Warmup: 10_000, k5Rate: 2000, k5WarmupMs: 1000, k5Ms: 2000, k6Clients: 300 }
  : { count: 100_000, warmup: 20_000, sizes: [64, 1024], codecMs: 2_000, k3Count: 100_000, k3Warmup: 10_000, k5Rate: 2000, k5WarmupMs: 1000, k5Ms: 5000, k6Clients: 1000 };
// --payload 64,1024: the payload sizes of K1/K2 (default: 64 in quick mode, 64 and 1024 in full mode).
if (flag('--payload')) config.sizes = flag('--payload').split(',').map(Number);

// --broker mosquitto|aedes|mosquitto,aedes: every selected scenario runs once per broker named.
// Without it, full mode runs both; quick mode runs mosquitto for everything and aedes only for
// AEDES_QUICK_IDS, which keeps a quick run to a few minutes.
const BROKERS = { mosquitto: startMosquitto, aedes: startAedes };
const AEDES_QUICK_IDS = ['K1', 'K2', 'K4'];
const brokerNames = flag('--broker')?.toLowerCase().split(',') ?? ['mosquitto', 'aedes'];
for (const b of brokerNames) {
  if (!BROKERS[b]) {
    console.error(`--broker: unknown broker ${b} (mosquitto, aedes, or mosquitto,aedes)`);
    process.exit(2);
  }
}
// --baseline DIR: a compiled rxmqtt tree (DIR/lib/index.js, e.g. an older commit's dist/esm) run as a
// third client, `rxmqtt-base`, right after rxmqtt wherever rxmqtt runs. DIR is copied into
// .rxmqtt-bench-baseline/ so that it resolves this checkout's node_modules (the same rxjs and
// mqtt-packet as the new build); workers load it from RXMQTT_BENCH_BASELINE.
const baselineDir = flag('--baseline') && resolve(flag('--baseline'));
if (baselineDir && !existsSync(join(baselineDir, 'lib', 'index.js'))) {
  console.error(`--baseline: no lib/index.js in ${baselineDir}`);
  process.exit(2);
}
const BASELINE_COPY = join(ROOT, '.rxmqtt-bench-baseline');
const clientsOf = (s) => clientsWith(s, baselineDir);
const brokerRunsAll = (name) => !quick || name === 'mosquitto' || flag('--broker') !== undefined;

// ---------------------------------------------------------------- scenarios

let broker; // the broker the scenarios currently run against (one at a time)
const live = new Set(); // every broker started and not yet stopped, for cleanup and exit
const ctx = { config, port: () => broker.port };
const scenarios = allScenarios(ctx);

// Scenarios a broker cannot run, with the reason printed instead (none known: the bench speaks
// MQTT 3.1.1, which aedes 1.x supports fully). Keyed by broker, then scenario id.
const UNSUPPORTED = { aedes: {} };

async function cleanup() {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  await Promise.all([...live].map((b) => b.stop()));
  live.clear();
}

process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  for (const b of live) if (b.alive()) process.kill(b.pid, 'SIGKILL');
});
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping workers and brokers`);
    cleanup().finally(() => process.exit(code));
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

function environment(started) {
  const version = (pkg) => JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  const git = (...args) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim();
  const mosquitto = spawnSync(MOSQUITTO, ['-h'], { encoding: 'utf8' }).stdout?.split('\n')[0] ?? '?';
  return {
    date: started.toISOString(),
    node: process.version,
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    commit: `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'lib') ? ' (lib/ has uncommitted changes)' : ''}`,
    mqtt: version('mqtt'),
    mqttPacket: version('mqtt-packet'),
    mosquitto: mosquitto.replace(/^mosquitto version /, ''),
    aedes: version('aedes'),
    ...(baselineDir ? { baseline: baselineDir } : {}),
    brokers: brokerNames.join(','),
    load: loadavg()[0].toFixed(1),
    mode: quick ? 'quick' : 'full',
    reps,
    count: config.count,
    warmup: config.warmup,
  };
}

// ---------------------------------------------------------------- report

const fmt = (value, digits) =>
  Number.isFinite(value) ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '—';
const cell = (s, digits) => (s.n ? `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})` : 'no valid run');

function table(results, env) {
  const lines = [
    `${env.mode} run, ${env.reps} reps per client, ${env.count.toLocaleString('en-US')} measured messages after ${env.warmup.toLocaleString('en-US')} warmup ` +
      `(K3: ${config.k3Count.toLocaleString('en-US')} after ${config.k3Warmup.toLocaleString('en-US')}; K5: ${config.k5Ms / 1000} s after ${config.k5WarmupMs / 1000} s; K6: ${config.k6Clients.toLocaleString('en-US')} clients); ` +
      `node ${env.node}, MQTT.js ${env.mqtt}, mqtt-packet ${env.mqttPacket}, ${brokersText(results, env)}, ${env.cpu}, rxmqtt ${env.commit}; ` +
      `${env.baseline ? `rxmqtt (baseline) from ${env.baseline}; ` : ''}1-min load average ${env.load} at start, ${loadavg()[0].toFixed(1)} at end${Number(env.load) > cpus().length * 0.75 ? ' (**the machine was busy: figures are noisy**)' : ''}`,
    '',
    env.baseline
      ? '| scenario | metric | rxmqtt median (min–max) | rxmqtt (baseline) median (min–max) | MQTT.js median (min–max) | rxmqtt/MQTT.js | rxmqtt/baseline | check |'
      : '| scenario | metric | rxmqtt median (min–max) | MQTT.js median (min–max) | rxmqtt/MQTT.js | check |',
    env.baseline ? '| --- | --- | --- | --- | --- | --- | --- | --- |' : '| --- | --- | --- | --- | --- | --- |',
  ];
  const violations = [];
  const expected = []; // gate failures of MQTT.js: what the gate is there to show
  for (const { s, broker: brokerName, runs } of results.values()) {
    const name = `${s.name} · ${brokerName}`;
    const clients = clientsOf(s);
    const verdicts = clients.map((c) => [c, runs.filter((r) => r.client === c), runs.filter((r) => r.client === c && r.problems.length)]);
    const failText = (c, b, all) => `${LABEL[c]} ${b.length}/${all.length}: ${[...new Set(b.flatMap((r) => r.problems))].slice(0, 2).join('; ')}`;
    let check;
    if (s.gate) check = verdicts.map(([c, all, b]) => (b.length ? `${isRxmqtt(c) ? '**FAIL** ' : 'fail '}${failText(c, b, all)}` : `${LABEL[c]} pass ${all.length}/${all.length}`)).join('; ');
    else if (verdicts.some(([, , b]) => b.length)) check = `**FAIL** ${verdicts.filter(([, , b]) => b.length).map(([c, all, b]) => failText(c, b, all)).join('; ')}`;
    else check = `ok (${runs.length} runs)`;
    for (const [c, , bad] of verdicts) {
      for (const r of bad) (s.gate && !isRxmqtt(c) ? expected : violations).push(`${name} — ${LABEL[r.client]} rep ${r.rep}: ${r.problems.join('; ')}`);
    }
    let first = true;
    for (const { key, label, rx, base, other, ratio, ratioBase } of ratioRows({ s, runs }, M, env.baseline)) {
      const d = M[key].digits;
      const vsBase = base ? [cell(base, d), cell(other, d), fmt(ratio, 2), fmt(ratioBase, 2)] : [cell(other, d), fmt(ratio, 2)];
      lines.push(`| ${first ? name : ''} | ${label} | ${cell(rx, d)} | ${vsBase.join(' | ')} | ${first ? check : ''} |`);
      first = false;
    }
  }
  return { lines, violations, expected };
}

/** The brokers that ran, with versions, for the table's environment line. */
function brokersText(results, env) {
  const ran = new Set([...results.values()].map((r) => r.broker));
  const parts = [];
  if (ran.has('mosquitto')) parts.push(`mosquitto ${env.mosquitto}`);
  if (ran.has('aedes')) parts.push(`aedes ${env.aedes} (own node process)`);
  return parts.join(', ') || 'no broker';
}

/** [broker, scenarios] pairs to run, and the notes on what is skipped where. */
function plan() {
  const selected = scenarios.filter((s) => !only || only.includes(s.id.toLowerCase()));
  const notes = [];
  const pairs = brokerNames.map((name) => {
    const list = selected.filter((s) => {
      const why = UNSUPPORTED[name]?.[s.id];
      if (why) notes.push(`${s.name}: skipped on ${name}: ${why}`);
      return !why && (brokerRunsAll(name) || AEDES_QUICK_IDS.includes(s.id));
    });
    if (list.length < selected.length && !brokerRunsAll(name)) notes.push(`quick mode: ${name} runs ${AEDES_QUICK_IDS.join(', ')} only (--broker ${name} runs everything on it)`);
    return [name, list];
  });
  return { pairs: pairs.filter(([, list]) => list.length), notes: [...new Set(notes)] };
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

/** --update-readme: the run's table replaces the one between the markers in docs/benchmarks.md. */
function updateReadme(text) {
  const file = join(ROOT, 'docs', 'benchmarks.md');
  const readme = readFileSync(file, 'utf8');
  const begin = '<!-- bench:begin -->';
  const end = '<!-- bench:end -->';
  const a = readme.indexOf(begin);
  const b = readme.indexOf(end);
  if (a < 0 || b < a) throw new Error('docs/benchmarks.md has no bench:begin/bench:end markers');
  writeFileSync(file, `${readme.slice(0, a + begin.length)}\n${text}\n${readme.slice(b)}`);
}

/** The ratio chart beside the results file; a chart that fails says why and leaves the run's outcome alone. */
async function drawChart(resultsFile) {
  const svgFile = resultsFile.replace(/\.jsonl$/, '.svg');
  try {
    const { chartFile } = await import('./lib/chart.mjs');
    const { notes } = await chartFile(resultsFile, svgFile);
    for (const note of notes) console.error(`chart: ${note}`);
    console.error(`chart: ${svgFile}`);
  } catch (err) {
    console.error(`chart: not drawn: ${err?.message ?? err}`);
  }
}

// ---------------------------------------------------------------- main

async function main() {
  const started = performance.now();
  if (!argv.includes('--no-build')) build();
  if (baselineDir) {
    rmSync(BASELINE_COPY, { recursive: true, force: true });
    cpSync(baselineDir, BASELINE_COPY, { recursive: true });
    process.env.RXMQTT_BENCH_BASELINE = BASELINE_COPY; // inherited by every worker
    console.error(`baseline: ${baselineDir} -> ${BASELINE_COPY} (client rxmqtt-base)`);
  }
  const startedAt = new Date();
  const env = environment(startedAt);
  const resultsDir = join(BENCH, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const resultsFile = join(resultsDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.jsonl`);
  const record = (obj) => appendFileSync(resultsFile, JSON.stringify(obj) + '\n');
  record({ type: 'env', ...env });

  const { pairs, notes } = plan();
  for (const note of notes) console.error(`note: ${note}`);
  // Keyed `broker/scenario index` and filled in scenario order, then broker order, so that the
  // table shows a scenario's mosquitto and aedes rows next to each other.
  const results = new Map();
  for (const [i, s] of scenarios.entries()) {
    for (const [name, list] of pairs) if (list.includes(s)) results.set(`${name}/${i}`, { s, broker: name, runs: [] });
  }
  // One broker at a time, all of its scenarios, then the next: an idle second broker would not
  // cost much, but a broker that is not running cannot take CPU from the one being measured.
  for (const [name, list] of pairs) {
    broker = await BROKERS[name]();
    live.add(broker);
    console.error(`${name} ${name === 'aedes' ? env.aedes : env.mosquitto} on 127.0.0.1:${broker.port} (pid ${broker.pid}); results -> ${resultsFile}`);
    for (const s of list) {
      const { runs } = results.get(`${name}/${scenarios.indexOf(s)}`);
      for (let rep = 1; rep <= reps; rep++) {
        for (const client of clientsOf(s)) {
          if (!broker.alive()) throw new Error(`${name} died: ${broker.log()}`);
          const t0 = performance.now();
          const cpu0 = broker.cpuMs();
          const run = { client, rep, ...(await s.run(client)) };
          const wallMs = performance.now() - t0;
          // Broker CPU over the whole run (connects and warmup included): near 100% of the wall
          // time means the broker, not the client, set the pace.
          const brokerCpuMs = broker.cpuMs() - cpu0;
          runs.push(run);
          record({ type: 'run', scenario: s.name, id: s.id, broker: name, client, rep, metrics: run.metrics, problems: run.problems, brokerCpuMs, wallMs, pub: run.pub, sub: run.sub });
          const shown = s.metrics.map((k) => `${M[k].label} ${fmt(run.metrics[k], M[k].digits)}`).join(', ');
          const cpu = Number.isFinite(brokerCpuMs) ? `, ${name} CPU ${fmt((100 * brokerCpuMs) / wallMs, 0)}%` : '';
          console.error(`[${s.name} · ${name}] ${rep}/${reps} ${LABEL[client].padEnd(baselineDir ? 17 : 7)} ${shown}  (${(wallMs / 1000).toFixed(1)} s${cpu})${run.problems.length ? `  !!! ${run.problems.join('; ')}` : ''}`);
        }
      }
    }
    await broker.stop();
    live.delete(broker);
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
  const { lines, violations, expected } = table(results, env);
  const wallS = (performance.now() - started) / 1000;
  const bundle = !only || only.includes('bundle') ? await bundleSizes(ROOT, flag('--bundle')) : undefined;
  if (bundle) record({ type: 'bundle', ...bundle });
  const out = [...lines, ...notes.map((n) => `\nNote: ${n}.`), ...(codecRuns.length ? codecTable(codecRuns) : []), ...(bundle ? bundleTable(bundle, fmt) : []), '', `Wall time ${wallS.toFixed(0)} s.`];
  if (expected.length) {
    // One line per gate and client: how many runs failed, and the first one's problems.
    const byGate = new Map();
    for (const e of expected) byGate.set(e.replace(/ rep \d+:.*/, ''), [...(byGate.get(e.replace(/ rep \d+:.*/, '')) ?? []), e]);
    out.push('', `MQTT.js gate failures (the gates exist because MQTT.js fails them; they do not fail the bench):`);
    for (const [gate, list] of byGate) out.push(`- ${gate}: ${list.length} runs, e.g. ${list[0].replace(/^.* rep \d+: /, '')}`);
  }
  if (violations.length) out.push('', `**CORRECTNESS VIOLATIONS (${violations.length} runs):**`, ...violations.map((v) => `- ${v}`));
  const text = out.join('\n');
  console.log(`\n${text}`);
  record({ type: 'summary', wallS, violations, expected, table: text });
  if (argv.includes('--update-readme')) updateReadme(text);
  await drawChart(resultsFile);
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
