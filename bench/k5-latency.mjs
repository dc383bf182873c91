// K5 latency: a publisher client and a subscriber client of the same library, in this one
// process, so both ends read the same monotonic clock (process.hrtime.bigint() is per process;
// wall-clock stamps across processes would add clock-origin error of the order of the latency
// itself). The publisher sends `rate` msg/s on a 1 ms timer (each tick sends the messages due
// by then: 2 per tick at 2k/s), for `warmupMs` unmeasured, then `ms` measured. Each payload
// carries its sequence number and its send time; latency = receive time at the subscriber's
// app callback - the time just before publish(). Prints p50, p99 and max in µs.
// Before the paced phase, a burst of `burst` messages (100 in flight at a time, not measured)
// JIT-compiles both ends, as the 20,000 warmup messages of the other scenarios do: with only the
// 1 s paced warmup, the first measured seconds were dominated by compilation stalls (most of the
// >400 µs outliers of both clients fell in the first measured second).
import { args, connectClient, emit, endClient, int, isRxmqtt, loadClient } from './lib/worker.mjs';

const a = args({ client: '', port: '', qos: '0', rate: '2000', warmupMs: '1000', ms: '5000', size: '64', burst: '20000', timeout: '50000' });
const qos = int(a.qos);
const rate = int(a.rate);
const size = Math.max(16, int(a.size));
const warmupCount = Math.round((rate * int(a.warmupMs)) / 1000);
const total = warmupCount + Math.round((rate * int(a.ms)) / 1000);
const result = { role: 'latency', client: a.client, qos, rate, size, warmup: warmupCount, count: total - warmupCount, ok: false };

const latencies = new Float64Array(total - warmupCount); // µs, by sequence number - warmupCount
const seen = new Uint8Array(total);
let unique = 0;
let duplicates = 0;
let malformed = 0;
let errors = 0;
let callbacks = 0;
let firstError;

const BURST_BYTES = 8;

/** Publishes `n` small messages, 100 at a time (the next hundred once every callback came). */
async function sendBurst(client, n) {
  const payload = Buffer.alloc(BURST_BYTES, 0x62);
  for (let i = 0; i < n; i += 100) {
    const k = Math.min(100, n - i);
    await new Promise((resolve) => {
      let left = k;
      for (let j = 0; j < k; j++) client.publish('bench/k5', payload, { qos }, () => --left === 0 && setImmediate(resolve));
    });
  }
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

function report(extra = {}) {
  const sorted = Float64Array.from(latencies.filter((_, i) => seen[warmupCount + i])).sort();
  Object.assign(result, { unique, lost: total - unique, duplicates, malformed, errors, firstError, missingCallbacks: total - callbacks }, extra);
  if (sorted.length) Object.assign(result, { p50Us: percentile(sorted, 50), p99Us: percentile(sorted, 99), maxUs: sorted[sorted.length - 1], meanUs: sorted.reduce((s, x) => s + x, 0) / sorted.length });
  result.ok = !result.failure && result.lost === 0 && duplicates === 0 && malformed === 0 && errors === 0 && result.missingCallbacks === 0;
  emit(result);
}

try {
  const mqtt = await loadClient(a.client);
  const sub = await connectClient(mqtt, int(a.port), `bench-k5-sub-${process.pid}`);
  const pub = await connectClient(mqtt, int(a.port), `bench-k5-pub-${process.pid}`);
  for (const c of [sub, pub]) c.on('error', (err) => (result.clientError ??= err.message));
  let finish;
  const done = new Promise((resolve) => (finish = resolve));
  const burst = int(a.burst);
  let burstReceived = 0;
  let burstDone;
  const burstComplete = new Promise((resolve) => (burstDone = resolve));
  const onMessage = (payload) => {
    const now = process.hrtime.bigint();
    // Burst messages are BURST_BYTES long (never `size`, which is at least 16).
    if (payload.length === BURST_BYTES) {
      if (++burstReceived === burst) burstDone();
      return;
    }
    const seq = payload.length === size ? payload.readUInt32BE(0) : total;
    if (seq >= total) malformed++;
    else if (seen[seq]) duplicates++;
    else {
      seen[seq] = 1;
      if (seq >= warmupCount) latencies[seq - warmupCount] = Number(now - payload.readBigUInt64BE(8)) / 1000;
      if (++unique === total) finish();
    }
  };
  await new Promise((resolve, reject) => {
    if (isRxmqtt(a.client)) {
      const subacks = sub.packetsIn$.subscribe((packet) => {
        if (packet.cmd !== 'suback') return;
        queueMicrotask(() => subacks.unsubscribe());
        resolve();
      });
      sub.topic('bench/k5', { qos }).subscribe({ next: (m) => onMessage(m.payload), error: reject });
    } else {
      sub.on('message', (_topic, payload) => onMessage(payload));
      sub.subscribe('bench/k5', { qos }, (err) => (err ? reject(err) : resolve()));
    }
  });
  const timer = setTimeout(() => {
    report({ failure: `timeout after ${a.timeout} ms` });
    process.exit(1);
  }, int(a.timeout));

  await sendBurst(pub, burst);
  if (burst > 0) await burstComplete;

  let sent = 0;
  const start = process.hrtime.bigint();
  const tick = setInterval(() => {
    const due = Math.min(total, Math.floor((Number(process.hrtime.bigint() - start) * rate) / 1e9));
    while (sent < due) {
      const payload = Buffer.alloc(size, 0x61);
      payload.writeUInt32BE(sent, 0);
      payload.writeBigUInt64BE(process.hrtime.bigint(), 8);
      sent++;
      pub.publish('bench/k5', payload, { qos }, (err) => {
        callbacks++;
        if (err) {
          errors++;
          firstError ??= String(err.message ?? err);
        }
      });
    }
    if (sent === total) clearInterval(tick);
  }, 1);
  await done;
  result.sendSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  await new Promise((resolve) => setTimeout(resolve, 100)); // the last QoS 2 callbacks
  clearTimeout(timer);
  report();
  await Promise.all([endClient(pub), endClient(sub)]);
  process.exit(0);
} catch (err) {
  report({ failure: String(err?.stack ?? err) });
  process.exit(1);
}
