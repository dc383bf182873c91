// K5 latency publish -> receive at a steady rate, QoS 0, 1, 2 (k5-latency.mjs: both clients in one process).
import { problemsOf, runWorker, WORKER_TIMEOUT_MS } from '../lib/runner.mjs';

export const metrics = {
  p50: { label: 'latency p50 µs', digits: 0, better: 'lower' },
  p99: { label: 'latency p99 µs', digits: 0, better: 'lower' },
  max: { label: 'latency max µs', digits: 0, better: 'lower' },
};

export function latencyScenarios({ config, port }) {
  return [0, 1, 2].map((qos) => ({
    id: 'K5',
    name: `K5 latency QoS ${qos}, ${config.k5Rate.toLocaleString('en-US')} msg/s for ${config.k5Ms / 1000} s, 64 B`,
    metrics: ['p50', 'p99', 'max'],
    async run(client) {
      const args = ['--client', client, '--port', String(port()), '--qos', String(qos), '--rate', String(config.k5Rate), '--warmupMs', String(config.k5WarmupMs), '--ms', String(config.k5Ms), '--timeout', String(WORKER_TIMEOUT_MS)];
      const run = await runWorker('k5-latency.mjs', args).done;
      const r = run.result;
      return { sub: r, problems: problemsOf('latency', run), metrics: { p50: r?.p50Us, p99: r?.p99Us, max: r?.maxUs } };
    },
  }));
}
