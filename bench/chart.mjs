#!/usr/bin/env node
// Draws the rxmqtt / MQTT.js ratio chart of a bench results file (the rows of its table; see
// bench/lib/chart.mjs) as an SVG. run.mjs draws one after every run; this redraws any.
//
//   node bench/chart.mjs bench/results/<timestamp>.jsonl [--out FILE]   (default: the .jsonl's name, .svg)
import { chartFile } from './lib/chart.mjs';

const argv = process.argv.slice(2);
const outAt = argv.indexOf('--out');
const out = outAt >= 0 ? argv[outAt + 1] : undefined;
const input = argv.find((a, i) => !a.startsWith('--') && (outAt < 0 || i !== outAt + 1));
if (!input || (outAt >= 0 && !out)) {
  console.error('usage: node bench/chart.mjs RESULTS.jsonl [--out FILE.svg]');
  process.exit(2);
}
const svgFile = out ?? input.replace(/(\.jsonl)?$/, '.svg');
try {
  const { bars, notes } = await chartFile(input, svgFile);
  for (const note of notes) console.error(`not charted: ${note}`);
  console.log(`${svgFile} (${bars} bars)`);
} catch (err) {
  console.error(`chart: ${err?.message ?? err}`);
  process.exit(1);
}
