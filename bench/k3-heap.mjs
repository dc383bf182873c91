#!/usr/bin/env node
// What one subscription costs in heap, by object type: N topic() streams (rxmqtt) or one
// subscribe() of N filters plus an app-side trie (MQTT.js), subscribed against a mosquitto of its
// own (a broker in this process would count its own subscription state). Takes a heap snapshot
// after gc before and after the subscribe phase and prints the difference grouped by constructor,
// so what is per stream (and could be shared, lazy or flattened) shows up by name.
//
//   node --expose-gc bench/k3-heap.mjs [--client rxmqtt|mqttjs-trie] [--lib DIR] [--filters 10000] [--top 25]
//
// --lib is a built rxmqtt tree (the directory holding lib/index.js; default .rxmqtt-bench-build,
// which `node bench/run.mjs` builds). Not part of `bench/run.mjs`: K3's heap column comes from
// k3-route.mjs; this is the tool that explains it.
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
import { k3Filters, trieRouter } from './lib/k3-filters.mjs';
import { startMosquitto } from './lib/broker.mjs';
import { args, BUILD_DIR, connectClient, int } from './lib/worker.mjs';

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
const a = args({ client: 'rxmqtt', lib: BUILD_DIR, filters: '10000', top: '25' });
const n = int(a.filters);

const broker = await startMosquitto();
try {
  const mqtt = a.client === 'rxmqtt' ? (await import(pathToFileURL(join(a.lib, 'lib', 'index.js')).href)).default : (await import('mqtt')).default;
  const client = await connectClient(mqtt, broker.port, `bench-k3-heap-${process.pid}`);
  const { filters } = k3Filters(n);
  const before = snapshot('before');
  const t0 = performance.now();
  const kept = await subscribeAll(client, filters);
  const subscribeMs = performance.now() - t0;
  // Let the SUBACK handling and any end-of-turn work settle before measuring.
  await new Promise((resolve) => setImmediate(resolve));
  const after = snapshot('after');
  report(before, after, subscribeMs);
  kept.length = 0;
  client.end(true);
} finally {
  await broker.stop();
}

/** Subscribes every filter; resolves once every filter's SUBACK code is in, with what must stay alive. */
function subscribeAll(client, filters) {
  return new Promise((resolve, reject) => {
    const kept = [];
    if (a.client === 'rxmqtt') {
      let codes = 0;
      const subacks = client.packetsIn$.subscribe((packet) => {
        if (packet.cmd !== 'suback' || (codes += packet.granted.length) < filters.length) return;
        queueMicrotask(() => subacks.unsubscribe());
        resolve(kept);
      });
      for (const filter of filters) kept.push(client.topic(filter, { qos: 0 }).subscribe({ error: reject }));
    } else {
      kept.push(trieRouter(filters, () => {}));
      client.subscribe(filters, { qos: 0 }, (err) => (err ? reject(err) : resolve(kept)));
    }
  });
}

/** Sizes and counts by `type:name` of a heap snapshot taken after gc. */
function snapshot(label) {
  globalThis.gc();
  globalThis.gc();
  const file = writeHeapSnapshot(join(tmpdir(), `k3-heap-${process.pid}-${label}.heapsnapshot`));
  const { snapshot: meta, nodes, strings } = JSON.parse(readFileSync(file, 'utf8'));
  rmSync(file);
  const fields = meta.meta.node_fields;
  const types = meta.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const groups = new Map();
  let total = 0;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]];
    // Strings and numbers by type only: their names are their contents.
    const name = type === 'object' || type === 'closure' || type === 'array' ? strings[nodes[i + nameAt]] : '';
    const size = nodes[i + sizeAt];
    const key = process.env.K3_HEAP_SIZES && type === 'array' ? `${type}:${name}:${size}` : `${type}:${name}`;
    const group = groups.get(key) ?? { count: 0, size: 0 };
    group.count++;
    group.size += size;
    groups.set(key, group);
    total += size;
  }
  return { groups, total, heapUsed: process.memoryUsage().heapUsed };
}

function report(before, after, subscribeMs) {
  const rows = [];
  for (const [key, group] of after.groups) {
    const was = before.groups.get(key) ?? { count: 0, size: 0 };
    if (group.size !== was.size) rows.push({ key, count: group.count - was.count, bytes: group.size - was.size });
  }
  rows.sort((x, y) => y.bytes - x.bytes);
  const perSub = (bytes) => (bytes / n).toFixed(1);
  console.log(`${a.client}: ${n} subscriptions, subscribe phase ${subscribeMs.toFixed(0)} ms`);
  console.log(`snapshot self sizes: +${after.total - before.total} B (${perSub(after.total - before.total)} B per subscription); heapUsed +${after.heapUsed - before.heapUsed} B`);
  console.log('bytes\tB/sub\tcount\tcount/sub\ttype:constructor');
  for (const row of rows.slice(0, int(a.top))) console.log(`${row.bytes}\t${perSub(row.bytes)}\t${row.count}\t${(row.count / n).toFixed(2)}\t${row.key}`);
}
