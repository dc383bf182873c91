// K1 publish CPU, K2 receive CPU, K4 end-to-end QoS 1/2: k1-publish.mjs and k2-receive.mjs.
import { feed, runWorker, WORKER_TIMEOUT_MS, problemsOf } from '../lib/runner.mjs';

export const metrics = {
  pubUs: { label: 'publisher CPU µs/msg', digits: 2, better: 'lower' },
  subUs: { label: 'subscriber CPU µs/msg', digits: 2, better: 'lower' },
  rate: { label: 'end-to-end msgs/s', digits: 0, better: 'higher' },
};

const WINDOW = 100;

export function throughputScenarios({ config, port }) {
  const common = (size) => ['--port', String(port()), '--count', String(config.count), '--warmup', String(config.warmup), '--size', String(size), '--timeout', String(WORKER_TIMEOUT_MS)];
  const publisher = (client, qos, size, topic) =>
    runWorker('k1-publish.mjs', ['--client', client, '--qos', String(qos), '--window', String(WINDOW), '--topic', topic, ...common(size)]);

  async function runPublisher(client, qos, size, topic) {
    const pub = await publisher(client, qos, size, topic).done;
    return { pub: pub.result, problems: problemsOf('publisher', pub), metrics: { pubUs: pub.result?.usPerMsg } };
  }

  /** A subscriber of `subClient`, fed by a publisher of `pubClient` once the subscriber holds its SUBACK. */
  async function runPair(subClient, pubClient, qos, size, topic) {
    const sub = runWorker('k2-receive.mjs', ['--client', subClient, '--qos', String(qos), ...common(size)]);
    const { problems, pubRun, subRun } = await feed(sub, () => publisher(pubClient, qos, size, topic));
    const p = pubRun?.result;
    const s = subRun.result;
    return { pub: p, sub: s, problems, metrics: { pubUs: p?.usPerMsg, subUs: s?.usPerMsg, rate: s?.msgsPerSec } };
  }

  const scenarios = [];
  for (const size of config.sizes) {
    for (const qos of [0, 1, 2]) {
      scenarios.push({
        id: 'K1',
        name: `K1 publish QoS ${qos}${qos ? ` (window ${WINDOW})` : ''}, ${size} B`,
        metrics: ['pubUs'],
        run: (client) => runPublisher(client, qos, size, 'bench/k1'),
      });
    }
  }
  for (const size of config.sizes) {
    scenarios.push({
      id: 'K2',
      name: `K2 receive QoS 0, ${size} B (MQTT.js publisher)`,
      metrics: ['subUs'],
      run: (client) => runPair(client, 'mqttjs', 0, size, 'bench/k2'),
    });
  }
  for (const qos of [1, 2]) {
    scenarios.push({
      id: 'K4',
      name: `K4 end-to-end QoS ${qos} (window ${WINDOW}), 64 B`,
      metrics: ['rate', 'pubUs', 'subUs'],
      run: (client) => runPair(client, client, qos, 64, 'bench/k4'),
    });
  }
  return scenarios;
}
