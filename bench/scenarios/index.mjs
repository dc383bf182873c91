// Every scenario of the bench, in table order, and the metrics they report (label, digits, and
// `better`: which way rxmqtt / MQTT.js is good; a metric without one is not charted). run.mjs
// runs these; bench/lib/results.mjs finds a results file's scenarios among them.
import { gateScenarios, metrics as gateMetrics } from './gates.mjs';
import { idleScenarios, metrics as idleMetrics } from './idle.mjs';
import { latencyScenarios, metrics as latencyMetrics } from './latency.mjs';
import { routingScenarios, metrics as routingMetrics } from './routing.mjs';
import { throughputScenarios, metrics as throughputMetrics } from './throughput.mjs';

export const METRICS = { ...throughputMetrics, ...routingMetrics, ...latencyMetrics, ...idleMetrics, ...gateMetrics };

/** @param {{ config: object, port: () => number }} ctx */
export const allScenarios = (ctx) => [
  ...throughputScenarios(ctx),
  ...routingScenarios(ctx),
  ...latencyScenarios(ctx),
  ...idleScenarios(ctx),
  ...gateScenarios(ctx),
];
