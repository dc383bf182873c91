// The ratio chart: the rows of the bench's table (lib/rows.mjs) as horizontal bars, one per
// scenario, broker, metric and opponent, drawn by vega-lite + vega into an SVG without a browser.
// Every bar is normalised so that below 1 means rxmqtt did better: rxmqtt / MQTT.js where lower
// is better (CPU, latency, memory, time, bytes), MQTT.js / rxmqtt for msgs/s.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import { bundleRatios } from '../scenarios/bundle.mjs';
import { METRICS } from '../scenarios/index.mjs';
import { readResults } from './results.mjs';
import { LABEL, ratioRows } from './rows.mjs';

const BETTER = 'rxmqtt better';
const WORSE = 'MQTT.js better';
const WIDTH = 520; // of the plot, in px
const TICKS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100];

const fmt = (value) => value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const positive = (value) => Number.isFinite(value) && value > 0;

/** One bar: `value` is the normalised ratio; `text` shows it (and the table's ratio where inverted). */
function bar(label, ratio, range, better) {
  const inverted = better === 'higher';
  const value = inverted ? 1 / ratio : ratio;
  const [a, b] = inverted ? range.map((r) => 1 / r) : range;
  const whisker = positive(a) && positive(b) ? { lo: Math.min(a, b), hi: Math.max(a, b) } : {};
  return { label, value, ...whisker, side: value <= 1 ? BETTER : WORSE, text: inverted ? `${fmt(value)} (1/${fmt(ratio)})` : fmt(value) };
}

/**
 * The bars of a results file, in table order, and notes on the rows left out.
 * @param {ReturnType<typeof readResults>} results
 */
export function chartRows({ env, groups, bundle }) {
  const bars = [];
  const notes = [];
  let gates = 0;
  for (const group of groups) {
    for (const row of ratioRows(group, METRICS, env.baseline)) {
      const metric = METRICS[row.key];
      const what = `${group.s.name} · ${group.broker}: ${metric.short ?? metric.label}${row.opponent === 'mqttjs' ? '' : ` vs ${LABEL[row.opponent]}`}`;
      if (!metric.better) gates++;
      else if (!positive(row.ratio)) notes.push(`${what}: no ratio (${row.rx.n} valid rxmqtt runs, ${row.other.n} ${LABEL[row.opponent]})`);
      else bars.push(bar(what, row.ratio, row.ratioRange, metric.better));
    }
  }
  if (bundle && !bundle.skipped) {
    const r = bundleRatios(bundle);
    bars.push(bar('browser bundle rxmqtt.min.js vs mqtt.min.js: minified bytes', r.min, [r.min, r.min], 'lower'));
    bars.push(bar('browser bundle rxmqtt.min.js vs mqtt.min.js: gzipped bytes', r.gzip, [r.gzip, r.gzip], 'lower'));
  }
  if (gates) notes.push('correctness gates (pass/fail, their figures show how a client fails) are in the table only');
  return { bars, notes };
}

/** When the run started: env.date, else the timestamp in the file name run.mjs gave it. */
function runDate(env, file) {
  const iso = env.date ?? basename(file ?? '').match(/^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})/)?.slice(1).join(':').replace(':', 'T');
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : 'date not recorded';
}

/** The vega-lite spec of the chart. */
export function chartSpec(bars, notes, env, file) {
  // The bars decide the scale; a whisker reaching further (a noisy run) is cut at the edge.
  const domain = [Math.min(1, ...bars.map((b) => b.value)) / 1.5, Math.max(1, ...bars.map((b) => b.value)) * 1.5];
  const x = { type: 'quantitative', scale: { type: 'log', domain, nice: false } };
  const y = { field: 'label', type: 'nominal', sort: null, title: null };
  const caption =
    `${env.mode} run, ${env.reps} reps per client, medians; rxmqtt ${env.commit}, ${runDate(env, file)}; ` +
    `1-min load average ${env.load} at start; node ${env.node}, MQTT.js ${env.mqtt}, ${env.cpu}`;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    padding: 12,
    title: {
      text: 'rxmqtt / MQTT.js, ratio of the medians: below 1 means rxmqtt did better',
      subtitle: [
        'CPU, latency, memory, time and bytes: rxmqtt ÷ MQTT.js; msgs/s: MQTT.js ÷ rxmqtt (the table\'s rxmqtt/MQTT.js in brackets).',
        'Log scale, bars from 1 (0.5 and 2 are as long). Whiskers: rxmqtt min ÷ MQTT.js max to rxmqtt max ÷ MQTT.js min, cut at the edge.',
        caption,
        ...notes.map((n) => `Not charted: ${n}.`),
      ],
      anchor: 'start',
      fontSize: 14,
      subtitleFontSize: 11,
      subtitlePadding: 6,
      offset: 12,
    },
    width: WIDTH,
    height: { step: 15 },
    data: { values: bars },
    config: { axis: { labelFontSize: 11, labelLimit: 700 }, legend: { orient: 'top', title: null, labelFontSize: 11 } },
    layer: [
      {
        name: 'bars',
        mark: { type: 'bar', height: 10 },
        encoding: {
          y,
          x: { ...x, field: 'value', axis: { title: 'ratio (below 1: rxmqtt better)', values: TICKS.filter((t) => t >= domain[0] && t <= domain[1]), format: '~g', grid: true } },
          x2: { datum: 1 },
          color: { field: 'side', type: 'nominal', scale: { domain: [BETTER, WORSE], range: ['#3b73b4', '#e8762b'] } },
        },
      },
      { name: 'whiskers', mark: { type: 'rule', color: '#333', clip: true }, encoding: { y, x: { ...x, field: 'lo' }, x2: { field: 'hi' } } },
      // The ratio in a column right of the plot, in line with its bar.
      { name: 'values', mark: { type: 'text', align: 'left', fontSize: 11 }, encoding: { y, x: { value: WIDTH + 10 }, text: { field: 'text' } } },
      { name: 'one', data: { values: [{ one: 1 }] }, mark: { type: 'rule', color: 'black', strokeWidth: 1.5 }, encoding: { x: { ...x, field: 'one' } } },
    ],
  };
}

// Advance widths of Arial/Helvetica (the usual sans-serif) in 1/1000 em, for the printable ASCII
// characters from the space on; other characters count as a digit.
const ADVANCE = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
  1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
  333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/**
 * Text width as a browser would lay it out in a sans-serif font. Without a canvas, vega guesses
 * 0.8 em per character, which makes long labels take twice their room; vega takes a function of
 * our own in `textMetrics.width` (as vl-convert does).
 */
function textWidth(item, text) {
  const line = text == null ? '' : String(text);
  let em = 0;
  for (const ch of line) em += ADVANCE[ch.charCodeAt(0) - 32] ?? 556;
  const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
  return ((em * size) / 1000) * (item.fontWeight === 'bold' || item.fontWeight >= 600 ? 1.08 : 1);
}

/** Renders a vega-lite spec to an SVG string. */
export async function renderSvg(spec) {
  vega.textMetrics.width = textWidth;
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Draws the chart of results file `jsonl` into `svgFile`.
 * @returns {Promise<{ bars: number, notes: string[] }>}
 * @throws when the file has no rxmqtt / MQTT.js ratio to draw
 */
export async function chartFile(jsonl, svgFile) {
  const results = readResults(readFileSync(jsonl, 'utf8'));
  const { bars, notes } = chartRows(results);
  if (!bars.length) throw new Error(`no rxmqtt / MQTT.js ratio to chart in ${jsonl}${notes.length ? ` (${notes.join('; ')})` : ''}`);
  writeFileSync(svgFile, await renderSvg(chartSpec(bars, notes, results.env, jsonl)));
  return { bars: bars.length, notes };
}
