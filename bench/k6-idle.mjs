// K6 idle clients: connects `clients` clients of one library to the broker, `batch` at a time
// (each batch waits for its CONNACKs), lets them sit idle for 1 s, and reports per client: RSS
// and V8 heap growth over a baseline taken after the library's first client had connected and
// ended (so module loading is not counted), both after gc() (run with --expose-gc), and the CPU
// of the connect phase per connect. Also how much the V8 young generation grew per client: RSS counts
// its committed pages, and V8 grows it with the allocation rate of the connect phase (to 16 MB or
// so for 1,000 clients of either library), which is not memory an idle client holds.
import { getHeapSpaceStatistics } from 'node:v8';
import { args, connectClient, cpuMicros, emit, int, loadClient } from './lib/worker.mjs';

const a = args({ client: '', port: '', clients: '1000', batch: '50' });
const n = int(a.clients);
const batch = Math.max(1, int(a.batch));
const result = { role: 'idle', client: a.client, clients: n, batch, gc: typeof globalThis.gc === 'function', ok: false };

const settle = async () => {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  for (let i = 0; i < 3; i++) globalThis.gc?.();
  await new Promise((resolve) => setImmediate(resolve));
  const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
  return { ...process.memoryUsage(), young };
};

try {
  const mqtt = await loadClient(a.client);
  const first = await connectClient(mqtt, int(a.port), `bench-k6-warm-${process.pid}`);
  first.end(true);
  const before = await settle();
  const clients = [];
  const cpu0 = cpuMicros();
  const t0 = performance.now();
  for (let i = 0; i < n; i += batch) {
    const ids = Array.from({ length: Math.min(batch, n - i) }, (_, k) => `bench-k6-${process.pid}-${i + k}`);
    clients.push(...(await Promise.all(ids.map((id) => connectClient(mqtt, int(a.port), id)))));
  }
  const connectCpuUs = cpuMicros() - cpu0;
  const connectMs = performance.now() - t0;
  let closed = 0;
  for (const c of clients) c.on('close', () => closed++);
  const after = await settle();
  Object.assign(result, {
    connected: clients.length,
    closedWhileIdle: closed,
    rssPerClient: (after.rss - before.rss) / n,
    heapPerClient: (after.heapUsed - before.heapUsed) / n,
    externalPerClient: (after.external - before.external) / n,
    youngGenPerClient: (after.young - before.young) / n,
    cpuUsPerConnect: connectCpuUs / n,
    connectMs,
    before: { rss: before.rss, heapUsed: before.heapUsed },
    after: { rss: after.rss, heapUsed: after.heapUsed },
  });
  result.ok = clients.length === n && closed === 0 && result.gc;
  if (!result.gc) result.failure = 'run without --expose-gc';
  if (closed) result.failure = `${closed} clients closed while idle`;
  emit(result);
  for (const c of clients) c.end(true);
  process.exit(0);
} catch (err) {
  emit({ ...result, failure: String(err?.stack ?? err) });
  process.exit(1);
}
