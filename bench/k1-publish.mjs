// Publisher worker (K1, and the load side of K2/K4). Publishes `warmup` then `count` messages
// with at most `window` callbacks outstanding, and prints one JSON line: CPU µs per measured
// message, from the first measured publish to the last publish callback.
//   QoS 1/2: a new publish is issued from each callback (a sliding window).
//   QoS 0:   batches of `window` publishes; the next batch starts (setImmediate) once every
//            callback of the current one has fired. MQTT.js calls QoS 0 callbacks synchronously
//            when the socket buffer has room, so a sliding window would recurse without bound.
// --routes N (K3) spreads the messages over the topics of K3's N filters.
import { k3FilterOf, k3Filters } from './lib/k3-filters.mjs';
import { args, connectClient, cpuMicros, emit, endClient, int, loadClient, makePayloads } from './lib/worker.mjs';

const a = args({ client: '', port: '', qos: '0', count: '20000', warmup: '2000', size: '64', window: '100', topic: 'bench/k1', routes: '0', timeout: '50000' });
const qos = int(a.qos);
const count = int(a.count);
const warmup = int(a.warmup);
const window = Math.max(1, int(a.window));
const total = warmup + count;
// --routes N (K3): message i goes to the topic of K3 filter k3FilterOf(i, N) instead of --topic.
const routes = int(a.routes);
const routeTopics = routes ? k3Filters(routes).topics : [];
const topicOf = routes ? (i) => routeTopics[k3FilterOf(i, routes)] : () => a.topic;
const result = { role: 'publisher', client: a.client, qos, count, warmup, size: int(a.size), window, ok: false };

const calls = new Uint8Array(total); // callbacks seen per message
let callbacks = 0;
let doubleCallbacks = 0;
let errors = 0;
let firstError;
let mark; // { cpu, t } at the first measured publish

function report(extra) {
  let missing = 0;
  for (let i = 0; i < total; i++) if (calls[i] === 0) missing++;
  Object.assign(result, { callbacks, missingCallbacks: missing, doubleCallbacks, errors, firstError, maxRssMB: process.resourceUsage().maxRSS / 1024 }, extra);
  result.ok = !result.failure && missing === 0 && doubleCallbacks === 0 && errors === 0;
  emit(result);
}

/** Publishes messages [from, to); resolves with { cpu, t } taken inside the last callback. */
function publishRange(client, payloads, from, to) {
  return new Promise((resolve) => {
    const n = to - from;
    let next = from;
    let done = 0;
    let batchLeft = 0;
    const send = () => {
      const i = next++;
      client.publish(topicOf(i), payloads[i], { qos }, (err) => {
        if (calls[i]++ > 0) doubleCallbacks++;
        else {
          callbacks++;
          done++;
        }
        if (err) {
          errors++;
          firstError ??= String(err.message ?? err);
        }
        if (done === n) resolve({ cpu: cpuMicros(), t: performance.now() });
        else if (qos > 0) {
          if (next < to) send();
        } else if (--batchLeft === 0) setImmediate(batch);
      });
    };
    const batch = () => {
      const end = Math.min(next + window, to);
      batchLeft = end - next;
      while (next < end) send();
    };
    if (n === 0) resolve({ cpu: cpuMicros(), t: performance.now() });
    else if (qos > 0) for (let k = 0; k < window && next < to; k++) send();
    else batch();
  });
}

function deadline(ms) {
  return new Promise((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
}

try {
  const mqtt = await loadClient(a.client);
  const payloads = makePayloads(total, result.size);
  const client = await connectClient(mqtt, int(a.port), `bench-pub-${process.pid}`);
  client.on('error', (err) => {
    errors++;
    firstError ??= `client error: ${err.message}`;
  });
  const timeout = deadline(int(a.timeout));
  const warm = await Promise.race([publishRange(client, payloads, 0, warmup), timeout]);
  if (warm === 'timeout') {
    report({ failure: `timeout during warmup after ${a.timeout} ms` });
    process.exit(1);
  }
  mark = { cpu: cpuMicros(), t: performance.now() };
  const end = await Promise.race([publishRange(client, payloads, warmup, total), timeout]);
  if (end === 'timeout') {
    report({ failure: `timeout after ${a.timeout} ms` });
    process.exit(1);
  }
  const cpuUs = end.cpu - mark.cpu;
  const wallMs = end.t - mark.t;
  report({ cpuUs, wallMs, usPerMsg: cpuUs / count, msgsPerSec: (count / wallMs) * 1000, startWall: performance.timeOrigin + mark.t });
  await endClient(client);
  process.exit(0);
} catch (err) {
  report({ failure: String(err?.stack ?? err) });
  process.exit(1);
}
