// Correctness gates from issue #9, run for both clients: the packet-id wrap gate (gate-ids.mjs)
// and the backpressure-linear gate (gate-backpressure.mjs). Only an rxmqtt failure fails the bench.
import { problemsOf, runWorker, WORKER_TIMEOUT_MS } from '../lib/runner.mjs';

// No `better` on these: a gate is pass/fail, and its figures show how a failing client fails, so
// they are in the table but not in the ratio chart.
export const metrics = {
  idsMs: { label: 'ms until the last callback', digits: 0 },
  idsMax: { label: 'max QoS 1 publishes in flight', digits: 0 },
  idsCallbacks: { label: 'callbacks called', digits: 0 },
  bpSmallMs: { label: 'ms for the 10k burst', digits: 0 },
  bpMs: { label: 'ms for the 40k burst', digits: 0 },
  bpRatio: { label: 'time/msg 40k ÷ 10k (linear ≈ 1)', digits: 2 },
};

export function gateScenarios({ port }) {
  return [
    {
      id: 'gates',
      gate: true,
      name: 'Gate: 100,000 QoS 1 publishes at once (packet-id wrap)',
      metrics: ['idsMs', 'idsMax', 'idsCallbacks'],
      async run(client) {
        const run = await runWorker('gate-ids.mjs', ['--client', client, '--port', String(port()), '--count', '100000', '--timeout', String(WORKER_TIMEOUT_MS - 5000)]).done;
        const r = run.result;
        return { pub: r, problems: problemsOf('publisher', run), metrics: { idsMs: r?.wallMs, idsMax: r?.maxInFlight, idsCallbacks: r?.callbacks } };
      },
    },
    {
      id: 'gates',
      gate: true,
      name: 'Gate: 40,000 QoS 0 publishes at once under backpressure (linear)',
      metrics: ['bpSmallMs', 'bpMs', 'bpRatio'],
      async run(client) {
        const run = await runWorker('gate-backpressure.mjs', ['--client', client, '--port', String(port()), '--count', '40000', '--timeout', '20000']).done;
        const r = run.result;
        return { pub: r, problems: problemsOf('publisher', run), metrics: { bpSmallMs: r?.smallMs, bpMs: r?.countMs, bpRatio: r?.perMsgRatio } };
      },
    },
  ];
}
