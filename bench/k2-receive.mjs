// Subscriber worker (K2, and the receiving side of K4). Subscribes to bench/# (rxmqtt through
// client.topic(), MQTT.js through client.on('message')), prints {"ready":true} once the SUBACK
// arrived, then expects `warmup + count` messages whose first 4 payload bytes are a sequence
// number. Measures CPU from the first measured message (number warmup + 1) to the last, and
// prints one JSON line. On SIGTERM or its own timeout it prints what it has (lost > 0).
import { receiveTally } from './lib/tally.mjs';
import { args, connectClient, emit, endClient, int, isRxmqtt, loadClient } from './lib/worker.mjs';

const a = args({ client: '', port: '', qos: '0', count: '20000', warmup: '2000', size: '64', filter: 'bench/#', timeout: '50000' });
const qos = int(a.qos);
const count = int(a.count);
const warmup = int(a.warmup);
const size = int(a.size);
const total = warmup + count;
const result = { role: 'subscriber', client: a.client, qos, count, warmup, size, ok: false };

const tally = receiveTally({ warmup, count, size });
const report = tally.reporter(result);

const onMessage = (_topic, payload) => tally.record(payload);

process.on('SIGTERM', () => {
  report({ failure: 'stopped (SIGTERM) before every message arrived' });
  process.exit(1);
});

try {
  const mqtt = await loadClient(a.client);
  const client = await connectClient(mqtt, int(a.port), `bench-sub-${process.pid}`);
  client.on('error', (err) => (result.clientError ??= err.message));
  const subscribed = new Promise((resolve, reject) => {
    if (isRxmqtt(a.client)) {
      const suback = client.packetsIn$.subscribe((packet) => {
        if (packet.cmd !== 'suback') return;
        queueMicrotask(() => suback.unsubscribe());
        resolve();
      });
      client.topic(a.filter, { qos }).subscribe({ next: (m) => onMessage(m.topic, m.payload), error: reject });
    } else {
      client.on('message', onMessage);
      client.subscribe(a.filter, { qos }, (err) => (err ? reject(err) : resolve()));
    }
  });
  const timer = setTimeout(() => {
    report({ failure: `timeout after ${a.timeout} ms` });
    process.exit(1);
  }, int(a.timeout));
  await subscribed;
  emit({ ready: true });
  if (total > 0) await tally.done;
  clearTimeout(timer);
  report();
  await endClient(client);
  process.exit(0);
} catch (err) {
  report({ failure: String(err?.stack ?? err) });
  process.exit(1);
}
