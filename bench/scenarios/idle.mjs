// K6 idle clients: memory per client and CPU per connect, all clients in one worker (k6-idle.mjs).
import { problemsOf, runWorker } from '../lib/runner.mjs';

export const metrics = {
  rssKB: { label: 'RSS KB per client', digits: 1, better: 'lower' },
  heapKB: { label: 'V8 heap KB per client', digits: 1, better: 'lower' },
  connectUs: { label: 'CPU µs per connect', digits: 0, better: 'lower' },
};

export function idleScenarios({ config, port }) {
  return [
    {
      id: 'K6',
      name: `K6 ${config.k6Clients.toLocaleString('en-US')} idle clients (50 at a time)`,
      metrics: ['rssKB', 'heapKB', 'connectUs'],
      async run(client) {
        const run = await runWorker('k6-idle.mjs', ['--client', client, '--port', String(port()), '--clients', String(config.k6Clients), '--batch', '50'], ['--expose-gc']).done;
        const r = run.result;
        return { sub: r, problems: problemsOf('idle', run), metrics: { rssKB: r?.rssPerClient / 1024, heapKB: r?.heapPerClient / 1024, connectUs: r?.cpuUsPerConnect } };
      },
    },
  ];
}
