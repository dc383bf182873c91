// What every scenario worker shares: argument parsing, loading the client under test, connecting
// with a deadline, CPU accounting, and printing one JSON line.
import { parseArgs } from 'node:util';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUILD_DIR = join(ROOT, '.rxmqtt-bench-build');

/** Parses `--name value` flags; every value is a string, `defaults` gives the rest. */
export function args(defaults) {
  const options = Object.fromEntries(Object.keys(defaults).map((k) => [k, { type: 'string' }]));
  const { values } = parseArgs({ options, strict: true });
  return { ...defaults, ...values };
}

/** Clients that speak rxmqtt's API: our build, and `rxmqtt-base` (the `--baseline DIR` build). */
export const isRxmqtt = (name) => name === 'rxmqtt' || name === 'rxmqtt-base';

/**
 * The module under test: `{ connect }` of rxmqtt (our own build), of the baseline build (from
 * RXMQTT_BENCH_BASELINE, which run.mjs sets for `--baseline DIR`), or MQTT.js.
 */
export async function loadClient(name) {
  const rxmqttFrom = async (dir) => (await import(pathToFileURL(join(dir, 'lib', 'index.js')).href)).default;
  if (name === 'rxmqtt') return rxmqttFrom(process.env.RXMQTT_BENCH_LIB ?? BUILD_DIR);
  if (name === 'rxmqtt-base') {
    if (!process.env.RXMQTT_BENCH_BASELINE) throw new Error('--client rxmqtt-base needs RXMQTT_BENCH_BASELINE (run.mjs --baseline DIR sets it)');
    return rxmqttFrom(process.env.RXMQTT_BENCH_BASELINE);
  }
  if (name === 'mqttjs') return (await import('mqtt')).default;
  throw new Error(`--client must be rxmqtt, rxmqtt-base or mqttjs, not ${name}`);
}

/** Connects with the same options for both clients; rejects after `timeoutMs`. */
export function connectClient(mqtt, port, clientId, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId, clean: true, reconnectPeriod: 0, keepalive: 60 });
    const timer = setTimeout(() => {
      client.end(true);
      reject(new Error(`no CONNACK within ${timeoutMs} ms`));
    }, timeoutMs);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Ends the client, waiting `timeoutMs` at most. */
export function endClient(client, timeoutMs = 5000) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.end(true);
      resolve(false);
    }, timeoutMs);
    client.end(false, {}, () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** User + system CPU of this process so far, in µs. */
export function cpuMicros() {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** `count` payloads of `size` bytes (>= 4), carved from one allocation; the first 4 bytes hold the sequence number. */
export function makePayloads(count, size) {
  if (size < 4) throw new Error('payload size must be at least 4 bytes');
  const all = Buffer.alloc(count * size, 0x61);
  const payloads = new Array(count);
  for (let i = 0; i < count; i++) {
    payloads[i] = all.subarray(i * size, (i + 1) * size);
    payloads[i].writeUInt32BE(i, 0);
  }
  return payloads;
}

export function emit(record) {
  process.stdout.write(JSON.stringify(record) + '\n');
}

export const int = (value) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`not a non-negative integer: ${value}`);
  return n;
};
