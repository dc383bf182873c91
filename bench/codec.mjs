// Codec ceiling: how many 64 B QoS 0 PUBLISH packets mqtt-packet (used by both clients) can
// generate, and parse, per second in one process. Each is timed for `ms` after a short warmup.
import mqttPacket from 'mqtt-packet';
import { args, emit, int } from './lib/worker.mjs';

const a = args({ size: '64', ms: '1000' });
const ms = int(a.ms);
const packet = { cmd: 'publish', topic: 'bench/codec', payload: Buffer.alloc(int(a.size), 0x61), qos: 0, retain: false, dup: false };

/** Runs `fn(chunk)` in chunks until `ms` elapsed (and at most 1e9 operations); returns ops/s. */
function rate(fn, chunk = 10_000) {
  fn(chunk); // warmup
  let ops = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms && ops < 1e9) {
    fn(chunk);
    ops += chunk;
    t = performance.now();
  }
  return (ops / (t - t0)) * 1000;
}

let sink = 0;
const generatePerSec = rate((n) => {
  for (let i = 0; i < n; i++) sink += mqttPacket.generate(packet).length;
});

const wire = mqttPacket.generate(packet);
const parser = mqttPacket.parser({ protocolVersion: 4 });
let parsed = 0;
parser.on('packet', () => parsed++);
parser.on('error', (err) => {
  throw err;
});
const parsePerSec = rate((n) => {
  for (let i = 0; i < n; i++) parser.parse(wire);
});

emit({ role: 'codec', size: int(a.size), wireBytes: wire.length, generatePerSec, parsePerSec, parsed, ok: parsed > 0 && sink > 0 });
