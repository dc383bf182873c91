// K3 routing: one subscriber with 1, 100 and 10,000 filters, fed by an MQTT.js publisher that
// spreads its messages over the filters' topics (k1-publish.mjs --routes N, QoS 0).
import { feed, runWorker, WORKER_TIMEOUT_MS } from '../lib/runner.mjs';

export const metrics = {
  k3Rate: { label: 'delivered msgs/s', digits: 0, better: 'higher' },
  k3Us: { label: 'subscriber CPU µs/msg', digits: 2, better: 'lower' },
  k3SubMs: { label: 'subscribe phase ms (not in the figures above)', short: 'subscribe phase ms', digits: 0, better: 'lower' },
  k3HeapB: { label: 'heap B per subscription (after gc; MQTT.js: with the app-side matcher)', short: 'heap B per subscription', digits: 0, better: 'lower' },
};

export const K3_CLIENTS = ['rxmqtt', 'mqttjs-naive', 'mqttjs-trie'];

export function routingScenarios({ config, port }) {
  const common = () => ['--port', String(port()), '--count', String(config.k3Count), '--warmup', String(config.k3Warmup), '--size', '64', '--timeout', String(WORKER_TIMEOUT_MS)];
  return [1, 100, 10_000].map((n) => ({
    id: 'K3',
    name: `K3 routing, ${n.toLocaleString('en-US')} filter${n > 1 ? 's' : ''}`,
    clients: K3_CLIENTS,
    metrics: ['k3Rate', 'k3Us', 'k3SubMs', 'k3HeapB'],
    async run(client) {
      // --expose-gc: the worker measures the heap a subscription holds after a full gc.
      const sub = runWorker('k3-route.mjs', ['--client', client, '--filters', String(n), ...common()], ['--expose-gc']);
      const publisher = () => runWorker('k1-publish.mjs', ['--client', 'mqttjs', '--qos', '0', '--window', '100', '--routes', String(n), ...common()]);
      // The naive matcher with 10,000 filters takes in ~6k msgs/s, long after the publisher is done:
      // the subscriber's own timeout (WORKER_TIMEOUT_MS) bounds it, not the usual drain grace.
      const { problems, pubRun, subRun } = await feed(sub, publisher, { readyMs: 40_000, drainMs: WORKER_TIMEOUT_MS });
      const s = subRun.result;
      return { pub: pubRun?.result, sub: s, problems, metrics: { k3Rate: s?.msgsPerSec, k3Us: s?.usPerMsg, k3SubMs: s?.subscribeMs, k3HeapB: s?.heapPerSubscription } };
    },
  }));
}
