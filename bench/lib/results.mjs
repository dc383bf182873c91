// Reads a results file (bench/results/<timestamp>.jsonl, written by run.mjs) back into what the
// driver held when it printed its table: the env record, and per scenario and broker, in table
// order, the scenario's definition and its runs.
import { allScenarios } from '../scenarios/index.mjs';

// Any config gives the definitions: only names depend on it, and a results file names its scenarios.
const DEFINITIONS = allScenarios({ config: { sizes: [64], k5Rate: 0, k5Ms: 0, k6Clients: 0 }, port: () => 0 });

/**
 * The definition of the scenario `id` whose metrics the runs carry (the two gates share an id;
 * K2 and K4 runs carry all three K4 figures, so the id decides there).
 */
function definitionOf(id, runs) {
  const candidates = DEFINITIONS.filter((d) => d.id === id);
  if (!candidates.length) throw new Error(`unknown scenario id ${id}`);
  const keys = new Set(runs.flatMap((r) => Object.keys(r.metrics ?? {})));
  return candidates.find((d) => d.metrics.every((k) => keys.has(k))) ?? candidates[0];
}

/**
 * @param {string} text the JSON lines; a line that does not parse (a run cut short mid-write) is skipped
 * @returns {{ env: object, groups: { s: object, broker: string, runs: object[] }[], bundle?: object, summary?: object }}
 */
export function readResults(text) {
  const records = text
    .split('\n')
    .filter((line) => line.trim())
    .flatMap((line) => {
      try {
        return [JSON.parse(line)];
      } catch {
        return [];
      }
    });
  const env = records.find((r) => r.type === 'env');
  if (!env) throw new Error('no env record: not a bench results file');
  const runs = records.filter((r) => r.type === 'run');
  // The driver runs one broker after the other, each through the scenarios in table order; the
  // table lists scenarios in that order, with each scenario's brokers next to each other.
  const names = [...new Set(runs.map((r) => r.scenario))];
  const brokers = [...new Set(runs.map((r) => r.broker))];
  const groups = [];
  for (const name of names) {
    for (const broker of brokers) {
      const own = runs.filter((r) => r.scenario === name && r.broker === broker);
      if (own.length) groups.push({ s: { ...definitionOf(own[0].id, own), name }, broker, runs: own });
    }
  }
  return { env, groups, bundle: records.find((r) => r.type === 'bundle'), summary: records.find((r) => r.type === 'summary') };
}
