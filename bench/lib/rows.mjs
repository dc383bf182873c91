// The rows of the bench's table, computed once for the table (run.mjs) and the chart
// (lib/chart.mjs): per scenario, broker, metric and opponent, the median (min–max) of each
// client's figures and the ratio of the medians, rxmqtt / opponent.
import { summary } from './stats.mjs';
import { isRxmqtt } from './worker.mjs';

export const CLIENTS = ['rxmqtt', 'mqttjs'];
export const LABEL = { rxmqtt: 'rxmqtt', 'rxmqtt-base': 'rxmqtt (baseline)', mqttjs: 'MQTT.js', 'mqttjs-naive': 'MQTT.js + naive matcher', 'mqttjs-trie': 'MQTT.js + trie' };

/** The clients of scenario `s`, in run order: rxmqtt, then the baseline (with --baseline), then the opponents. */
export const clientsOf = (s, baseline) => (s.clients ?? CLIENTS).flatMap((c) => (c === 'rxmqtt' && baseline ? [c, 'rxmqtt-base'] : [c]));

/**
 * Median (min–max) of client `c`'s figure `key` in `runs`: valid runs only, except in gates,
 * where every run counts (a failing run's figures are the point).
 */
export const statOf = (s, runs, c, key) =>
  summary(runs.filter((r) => r.client === c && (s.gate || !r.problems.length)).map((r) => r.metrics[key]).filter(Number.isFinite));

/**
 * The table rows of one scenario on one broker: one per metric and opponent (K3 has two).
 * `ratio` is rxmqtt's median / the opponent's median (NaN without figures on either side);
 * `ratioRange` the widest ratios the two min–max ranges allow: [rxmqtt min / opponent max,
 * rxmqtt max / opponent min].
 * @param {{ s: { metrics: string[], gate?: boolean, clients?: string[] }, runs: object[] }} group
 * @param {Record<string, { label: string }>} metrics
 * @param {string | undefined} baseline the --baseline directory, if the run had one
 */
export function ratioRows({ s, runs }, metrics, baseline) {
  const opponents = clientsOf(s, baseline).filter((c) => !isRxmqtt(c));
  const rows = [];
  for (const key of s.metrics) {
    const rx = statOf(s, runs, 'rxmqtt', key);
    const base = baseline ? statOf(s, runs, 'rxmqtt-base', key) : undefined;
    for (const opponent of opponents) {
      const other = statOf(s, runs, opponent, key);
      rows.push({
        key,
        opponent,
        label: opponents.length > 1 ? `${metrics[key].label}, vs ${LABEL[opponent]}` : metrics[key].label,
        rx,
        base,
        other,
        ratio: rx.median / other.median,
        ratioBase: base ? rx.median / base.median : undefined,
        ratioRange: [rx.min / other.max, rx.max / other.min],
      });
    }
  }
  return rows;
}
