// Bundle size: rxmqtt's browser bundle (dist/rxmqtt.min.js, or --bundle PATH) next to MQTT.js's
// node_modules/mqtt/dist/mqtt.min.js, minified and gzipped (zlib, level 9); the tree-shaken topic
// app (scripts/bundle-report.mjs: `connect` + `client.topic()`, rxjs external, bundled from
// dist/browser/ by esbuild), which has no MQTT.js counterpart (MQTT.js does not tree-shake: its
// min.js is the comparison); and, from esbuild's metafile, the largest contributors to the IIFE
// and to the topic app. Skipped, with a note, when the rxmqtt bundle is missing (it is built by
// `npm run build`).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const gzip = (bytes) => gzipSync(bytes, { level: 9 }).length;

const sizes = (file) => {
  const bytes = readFileSync(file);
  return { file, min: bytes.length, gzip: gzip(bytes) };
};

/** How many contributors each list shows. */
const TOP = 14;

/** { rxmqtt, mqttjs, app, iifeContributors, appContributors } sizes, or { skipped } with the reason. */
export async function bundleSizes(root, rxmqttBundle) {
  const rx = rxmqttBundle ?? join(root, 'dist', 'rxmqtt.min.js');
  const mq = join(root, 'node_modules', 'mqtt', 'dist', 'mqtt.min.js');
  if (!existsSync(rx)) return { skipped: `no rxmqtt bundle at ${rx} (run \`npm run build\`, or pass --bundle PATH)` };
  if (!existsSync(mq)) return { skipped: `no MQTT.js bundle at ${mq}` };
  const report = await import(pathToFileURL(join(root, 'scripts', 'bundle-report.mjs')).href);
  const out = { rxmqtt: sizes(rx), mqttjs: sizes(mq) };
  if (existsSync(join(root, 'dist', 'browser', 'rxmqtt.js'))) {
    const app = await report.buildTopicApp();
    out.app = { file: 'connect + topic() app', min: app.length, gzip: gzip(app) };
  }
  const [iife, topicApp] = await Promise.all([report.analyseIife(), report.analyseTopicApp()]);
  out.iifeContributors = iife.contributors.slice(0, TOP);
  out.appContributors = topicApp.contributors.slice(0, TOP);
  return out;
}

/** Markdown lines: one contributor list. */
const contributorLines = (title, contributors, fmt) => [
  '',
  `${title} (esbuild metafile, minified bytes in the output, largest ${contributors.length}):`,
  '',
  '| package or folder | minified bytes |',
  '| --- | --- |',
  ...contributors.map(([name, bytes]) => `| ${name} | ${fmt(bytes, 0)} |`),
];

/** rxmqtt's bundle size / MQTT.js's, minified and gzipped: the ratio row of the table, and bars of the chart. */
export const bundleRatios = (b) => ({ min: b.rxmqtt.min / b.mqttjs.min, gzip: b.rxmqtt.gzip / b.mqttjs.gzip });

export function bundleTable(b, fmt) {
  if (b.skipped) return ['', `Bundle size: skipped, ${b.skipped}.`];
  return [
    '',
    'Bundle size (browser build, minified; gzip: zlib level 9):',
    '',
    '| bundle | minified bytes | gzipped bytes |',
    '| --- | --- | --- |',
    `| rxmqtt \`${b.rxmqtt.file.split('/').slice(-2).join('/')}\` | ${fmt(b.rxmqtt.min, 0)} | ${fmt(b.rxmqtt.gzip, 0)} |`,
    `| MQTT.js \`mqtt/dist/mqtt.min.js\` | ${fmt(b.mqttjs.min, 0)} | ${fmt(b.mqttjs.gzip, 0)} |`,
    `| rxmqtt/MQTT.js | ${fmt(bundleRatios(b).min, 2)} | ${fmt(bundleRatios(b).gzip, 2)} |`,
    ...(b.app ? [`| rxmqtt tree-shaken \`connect\` + \`topic()\` app, rxjs external (no MQTT.js counterpart) | ${fmt(b.app.min, 0)} | ${fmt(b.app.gzip, 0)} |`] : []),
    ...contributorLines('Largest contributors to the IIFE `dist/rxmqtt.min.js`, built from the sources', b.iifeContributors, fmt),
    ...contributorLines('Largest contributors to the `connect` + `topic()` app, built from the sources', b.appContributors, fmt),
  ];
}
