// K3 routing subscriber: subscribes N filters (lib/k3-filters.mjs), then expects `warmup + count`
// messages from k1-publish.mjs --routes N, each on the topic of exactly one filter.
//   rxmqtt:        one client.topic(filter) stream per filter, all opened in one turn (rxmqtt sends
//                  them in as few SUBSCRIBEs as it may, and routes by trie)
//   mqttjs-naive:  one SUBSCRIBE with all filters; client.on('message') tests every filter
//   mqttjs-trie:   the same, routed by an app-side trie
// The subscribe phase (first SUBSCRIBE to last SUBACK) is measured on its own and reported with
// {"ready":true}; the per-message figures start at message warmup + 1, as in K2. With --expose-gc
// (the scenario passes it) the heap one subscription holds is measured too: heapUsed after a full
// gc, after the subscribe phase minus before it, over N (MQTT.js: the app-side matcher included).
// bench/k3-heap.mjs breaks that figure down by object type.
import { k3FilterOf, k3Filters, naiveRouter, trieRouter } from './lib/k3-filters.mjs';
import { receiveTally } from './lib/tally.mjs';
import { args, connectClient, cpuMicros, emit, endClient, int, isRxmqtt, loadClient } from './lib/worker.mjs';

const a = args({ client: '', port: '', filters: '1', count: '20000', warmup: '2000', size: '64', timeout: '50000' });
const n = int(a.filters);
const count = int(a.count);
const warmup = int(a.warmup);
const size = int(a.size);
const total = warmup + count;
const result = { role: 'subscriber', client: a.client, filters: n, count, warmup, size, ok: false };

// A message is misrouted when the filter that delivered it is not the one its topic was made for.
const tally = receiveTally({ warmup, count, size }, (seq, f) => k3FilterOf(seq, n) !== f);
const report = tally.reporter(result);

/** Filter `f` delivered `payload`. */
const onMessage = (f, payload) => tally.record(payload, f);

/** Subscribes every filter; resolves once every SUBACK arrived. */
function subscribeAll(client, filters) {
  return new Promise((resolve, reject) => {
    if (isRxmqtt(a.client)) {
      // One code per filter, whether the filters went out in one SUBSCRIBE or many.
      let codes = 0;
      const subacks = client.packetsIn$.subscribe((packet) => {
        if (packet.cmd !== 'suback' || (codes += packet.granted.length) < filters.length) return;
        queueMicrotask(() => subacks.unsubscribe());
        resolve();
      });
      filters.forEach((filter, f) => client.topic(filter, { qos: 0 }).subscribe({ next: (m) => onMessage(f, m.payload), error: reject }));
    } else {
      const route = (a.client === 'mqttjs-naive' ? naiveRouter : trieRouter)(filters, onMessage);
      client.on('message', route);
      client.subscribe(filters, { qos: 0 }, (err) => (err ? reject(err) : resolve()));
    }
  });
}

/** heapUsed after a full gc, or undefined without --expose-gc. */
function heapAfterGc() {
  if (typeof globalThis.gc !== 'function') return undefined;
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

process.on('SIGTERM', () => {
  report({ failure: 'stopped (SIGTERM) before every message arrived' });
  process.exit(1);
});

try {
  if (!['rxmqtt', 'rxmqtt-base', 'mqttjs-naive', 'mqttjs-trie'].includes(a.client)) throw new Error(`--client must be rxmqtt, rxmqtt-base, mqttjs-naive or mqttjs-trie, not ${a.client}`);
  const mqtt = await loadClient(isRxmqtt(a.client) ? a.client : 'mqttjs');
  const { filters } = k3Filters(n);
  const client = await connectClient(mqtt, int(a.port), `bench-k3-${process.pid}`);
  client.on('error', (err) => (result.clientError ??= err.message));
  const timer = setTimeout(() => {
    report({ failure: `timeout after ${a.timeout} ms` });
    process.exit(1);
  }, int(a.timeout));
  const heap0 = heapAfterGc();
  const cpu0 = cpuMicros();
  const t0 = performance.now();
  await subscribeAll(client, filters);
  Object.assign(result, { subscribeMs: performance.now() - t0, subscribeCpuUs: cpuMicros() - cpu0 });
  // After the SUBACK handling (and anything it scheduled) is done with.
  await new Promise((resolve) => setImmediate(resolve));
  if (heap0 !== undefined) result.heapPerSubscription = (heapAfterGc() - heap0) / n;
  emit({ ready: true, subscribeMs: result.subscribeMs });
  if (total > 0) await tally.done;
  clearTimeout(timer);
  report();
  await endClient(client);
  process.exit(0);
} catch (err) {
  report({ failure: String(err?.stack ?? err) });
  process.exit(1);
}
