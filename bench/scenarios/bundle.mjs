// Bundle size: rxmqtt's browser bundle (dist/rxmqtt.min.js, or --bundle PATH) next to MQTT.js's
// node_modules/mqtt/dist/mqtt.min.js, minified and gzipped (zlib, level 9). Skipped, with a note,
// when the rxmqtt bundle is missing (it is built by `npm run build`).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const sizes = (file) => {
  const bytes = readFileSync(file);
  return { file, min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
};

/** { rxmqtt, mqttjs } sizes, or { skipped } with the reason. */
export function bundleSizes(root, rxmqttBundle) {
  const rx = rxmqttBundle ?? join(root, 'dist', 'rxmqtt.min.js');
  const mq = join(root, 'node_modules', 'mqtt', 'dist', 'mqtt.min.js');
  if (!existsSync(rx)) return { skipped: `no rxmqtt bundle at ${rx} (run \`npm run build\`, or pass --bundle PATH)` };
  if (!existsSync(mq)) return { skipped: `no MQTT.js bundle at ${mq}` };
  return { rxmqtt: sizes(rx), mqttjs: sizes(mq) };
}

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
    `| rxmqtt/MQTT.js | ${fmt(b.rxmqtt.min / b.mqttjs.min, 2)} | ${fmt(b.rxmqtt.gzip / b.mqttjs.gzip, 2)} |`,
  ];
}
