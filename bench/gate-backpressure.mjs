// Backpressure-linear gate: `count` QoS 0 publishes with callbacks, issued at once (one
// synchronous loop, so the socket's write buffer fills and the client must queue), timed to the
// last callback. Run for count/4 and count (after an unmeasured count/4 warmup): linear cost
// keeps the time per message about the same (ratio ~1); quadratic cost quadruples it (~4). The
// gate passes when every callback came exactly once and the ratio is at most `maxRatio`.
import { args, connectClient, emit, endClient, int, loadClient, makePayloads } from './lib/worker.mjs';

const a = args({ client: '', port: '', count: '40000', size: '64', maxRatio: '2', timeout: '50000' });
const count = int(a.count);
const small = Math.max(1, Math.floor(count / 4));
const result = { role: 'gate-backpressure', client: a.client, count, small, maxRatio: Number(a.maxRatio), ok: false };
let missingCallbacks = 0;
let doubleCallbacks = 0;
let errors = 0;
let firstError;

/** Publishes `n` QoS 0 messages at once; resolves with ms to the last callback (or rejects after the timeout). */
function burst(client, payloads, n) {
  return new Promise((resolve, reject) => {
    const calls = new Uint8Array(n);
    let done = 0;
    const t0 = performance.now();
    const timer = setTimeout(() => {
      missingCallbacks += n - done;
      reject(new Error(`${n - done} of ${n} callbacks missing after ${a.timeout} ms`));
    }, int(a.timeout));
    for (let i = 0; i < n; i++) {
      client.publish('bench/gate-bp', payloads[i], { qos: 0 }, (err) => {
        if (calls[i]++ > 0) return void doubleCallbacks++;
        if (err) {
          errors++;
          firstError ??= String(err.message ?? err);
        }
        if (++done === n) {
          clearTimeout(timer);
          resolve(performance.now() - t0);
        }
      });
    }
  });
}

try {
  const mqtt = await loadClient(a.client);
  const payloads = makePayloads(count, int(a.size));
  const client = await connectClient(mqtt, int(a.port), `bench-gate-bp-${process.pid}`);
  client.on('error', (err) => (result.clientError ??= err.message));
  await burst(client, payloads, small); // warmup
  const smallMs = await burst(client, payloads, small);
  const countMs = await burst(client, payloads, count);
  const ratio = countMs / count / (smallMs / small);
  Object.assign(result, { smallMs, countMs, perMsgRatio: ratio, missingCallbacks, doubleCallbacks, errors, firstError });
  if (ratio > result.maxRatio) result.gateFailure = `time per message grew ${ratio.toFixed(1)}x from ${small} to ${count} messages (limit ${a.maxRatio}x)`;
  result.ok = !result.gateFailure && !doubleCallbacks && !errors;
  emit(result);
  await endClient(client, 2000);
  process.exit(0);
} catch (err) {
  emit({ ...result, missingCallbacks, doubleCallbacks, errors, firstError, failure: String(err?.stack ?? err) });
  process.exit(1);
}
