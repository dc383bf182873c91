// Child-process plumbing for the driver: start a worker, wait for its {"ready":true} line and its
// result line, stop it with a grace period, and say what is wrong with a run.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './worker.mjs';

const BENCH = join(dirname(fileURLToPath(import.meta.url)), '..');
export const KILL_AFTER_MS = 60_000; // a worker still running then is killed and its run reported as failed
export const WORKER_TIMEOUT_MS = 50_000; // workers give up (and report what they have) a little earlier
export const READY_TIMEOUT_MS = 15_000;
export const DRAIN_GRACE_MS = 15_000; // how long a subscriber may take after its publisher finished

export const children = new Set();

/**
 * Starts `node [nodeArgs] bench/<script> ...args`; `ready` resolves true on its {"ready":true}
 * line (with that record's other fields in `readyInfo`), `done` on exit.
 */
export function runWorker(script, args, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, join(BENCH, script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let stderr = '';
  let result;
  let markReady;
  const handle = { child, readyInfo: undefined };
  handle.ready = new Promise((resolve) => (markReady = resolve));
  child.stdout.on('data', (data) => {
    out += data;
    for (let i = out.indexOf('\n'); i >= 0; i = out.indexOf('\n')) {
      const line = out.slice(0, i);
      out = out.slice(i + 1);
      try {
        const record = JSON.parse(line);
        if (record.ready) {
          handle.readyInfo = record;
          markReady(true);
        } else result = record;
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
  handle.done = new Promise((resolve) => {
    child.once('error', (err) => (stderr += `\nspawn error: ${err.message}`));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      markReady(false);
      resolve({ result, code, signal, timedOut, stderr: stderr.trim() });
    });
  });
  return handle;
}

export const sleep = (ms, value) => new Promise((resolve) => setTimeout(() => resolve(value), ms));

/** Waits for a worker's exit for `ms`, then SIGTERM (it reports what it has), then SIGKILL. */
export async function finishWorker(worker, ms) {
  const exited = await Promise.race([worker.done, sleep(ms, null)]);
  if (exited) return exited;
  worker.child.kill('SIGTERM');
  const afterTerm = await Promise.race([worker.done, sleep(3000, null)]);
  if (afterTerm) return afterTerm;
  worker.child.kill('SIGKILL');
  return worker.done;
}

/** What is wrong with one worker's run, as short sentences (empty: nothing). */
export function problemsOf(role, run) {
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
  if (r.misrouted) problems.push(`${role}: ${r.misrouted} messages delivered to the wrong filter`);
  if (r.reusedIds) problems.push(`${role}: ${r.reusedIds} packet ids reused while in flight`);
  if (r.maxInFlight > 65_535) problems.push(`${role}: ${r.maxInFlight} QoS 1 publishes in flight (cap 65,535)`);
  if (r.gateFailure) problems.push(`${role}: ${r.gateFailure}`);
  if (r.clientError) problems.push(`${role}: client error ${r.clientError}`);
  if (problems.length === 0 && (!r.ok || run.code !== 0)) problems.push(`${role}: not ok (${how})`);
  return problems;
}

/**
 * A subscriber worker `sub` (already started), fed by `startPublisher()` once the subscriber is
 * ready; the subscriber gets `drainMs` after the publisher exited to take in what it has not yet.
 */
export async function feed(sub, startPublisher, { readyMs = READY_TIMEOUT_MS, drainMs = DRAIN_GRACE_MS } = {}) {
  const ready = await Promise.race([sub.ready, sleep(readyMs, false)]);
  if (!ready) {
    const subRun = await finishWorker(sub, 0);
    return { problems: [`subscriber: not ready within ${readyMs / 1000} s`, ...problemsOf('subscriber', subRun)], pubRun: undefined, subRun };
  }
  const pubRun = await startPublisher().done;
  const subRun = await finishWorker(sub, drainMs);
  return { problems: [...problemsOf('publisher', pubRun), ...problemsOf('subscriber', subRun)], pubRun, subRun };
}
