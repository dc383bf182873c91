// Packet-id gate: `count` QoS 1 publishes issued at once (one synchronous loop). Passes when
// every callback is called exactly once without error, no packet id goes out on a PUBLISH while
// an earlier PUBLISH with that id is still unacknowledged, and at most 65,535 are in flight.
// In flight = sent ('packetsend' PUBLISH) and not yet acknowledged ('packetreceive' PUBACK), seen
// through the client's own packet events. Stops when all callbacks came, or after `stallMs`
// without a new callback (MQTT.js loses callbacks past 65,535 in flight, so it never finishes).
import { args, connectClient, emit, endClient, int, loadClient, makePayloads } from './lib/worker.mjs';

const a = args({ client: '', port: '', count: '100000', size: '64', stallMs: '5000', timeout: '50000' });
const count = int(a.count);
const result = { role: 'gate-ids', client: a.client, count, ok: false };

const calls = new Uint8Array(count);
const inFlight = new Map(); // packet id -> PUBLISHes sent with it and not acknowledged yet
let inFlightCount = 0;
let callbacks = 0;
let doubleCallbacks = 0;
let errors = 0;
let firstError;
let reusedIds = 0;
let maxInFlight = 0;
let sent = 0;
let lastProgress = performance.now();

function report(extra = {}) {
  Object.assign(result, { callbacks, missingCallbacks: count - callbacks, doubleCallbacks, errors, firstError, reusedIds, maxInFlight, publishesSent: sent }, extra);
  result.ok = !result.failure && result.missingCallbacks === 0 && doubleCallbacks === 0 && errors === 0 && reusedIds === 0 && maxInFlight <= 65_535;
  emit(result);
}

try {
  const mqtt = await loadClient(a.client);
  const payloads = makePayloads(count, int(a.size));
  const client = await connectClient(mqtt, int(a.port), `bench-gate-ids-${process.pid}`);
  client.on('error', (err) => (result.clientError ??= err.message));
  client.on('packetsend', (p) => {
    if (p.cmd !== 'publish' || p.qos !== 1) return;
    sent++;
    const outstanding = inFlight.get(p.messageId) ?? 0;
    if (outstanding > 0) reusedIds++;
    inFlight.set(p.messageId, outstanding + 1);
    if (++inFlightCount > maxInFlight) maxInFlight = inFlightCount;
  });
  client.on('packetreceive', (p) => {
    const outstanding = p.cmd === 'puback' ? inFlight.get(p.messageId) : 0;
    if (outstanding > 0) {
      inFlight.set(p.messageId, outstanding - 1);
      inFlightCount--;
    }
  });
  const t0 = performance.now();
  let finish;
  const done = new Promise((resolve) => (finish = resolve));
  for (let i = 0; i < count; i++) {
    client.publish('bench/gate-ids', payloads[i], { qos: 1 }, (err) => {
      lastProgress = performance.now();
      if (calls[i]++ > 0) doubleCallbacks++;
      else if (++callbacks === count) finish('done');
      if (err) {
        errors++;
        firstError ??= String(err.message ?? err);
      }
    });
  }
  const issueMs = performance.now() - t0;
  // The stall clock starts once every publish is issued: loading, connecting and the issuing loop
  // itself can take longer than stallMs on a busy machine, before any PUBACK could be read.
  lastProgress = Math.max(lastProgress, performance.now());
  const watch = setInterval(() => {
    if (performance.now() - lastProgress > int(a.stallMs)) finish('stalled');
    if (performance.now() - t0 > int(a.timeout)) finish('timeout');
  }, 100);
  const how = await done;
  clearInterval(watch);
  const wallMs = lastProgress - t0; // to the last callback, also when some never came
  report({ issueMs, wallMs, ...(how === 'done' ? {} : { gateFailure: `${how}: ${count - callbacks} of ${count} callbacks missing` }) });
  await endClient(client, 2000);
  process.exit(0);
} catch (err) {
  report({ failure: String(err?.stack ?? err) });
  process.exit(1);
}
