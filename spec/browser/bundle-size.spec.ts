// A size budget for the browser bundle, measured as scripts/bundle.mjs reports it (minified file,
// gzip level 9), and compared with MQTT.js's own dist/mqtt.min.js measured the same way.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = resolve('.');
const BUNDLE = resolve(root, 'dist/rxmqtt.min.js');
const MQTT_JS = resolve(root, 'node_modules/mqtt/dist/mqtt.min.js');
/**
 * Today's 73 KB gzipped, plus room to grow; raise it on purpose, not by accident. Last raised from
 * 72 KB (and the ratios from 0.7) for the MQTT.js parity work of issue 21 (+7.4 KB minified: URL and
 * option parsing, the Store contract, subscribe batches, persistent sessions across end()).
 */
const GZIP_BUDGET = 76 * 1024;
/** Ceilings relative to MQTT.js's dist/mqtt.min.js, minified and gzipped. */
const MINIFIED_RATIO = 0.75;
const GZIPPED_RATIO = 0.73;

const gzipped = (file: string) => gzipSync(readFileSync(file), { level: 9 }).length;

describe('the browser bundle size', () => {
  beforeAll(() => {
    if (!existsSync(BUNDLE)) execFileSync(process.execPath, ['scripts/bundle.mjs'], { cwd: root, stdio: 'inherit' });
  });

  it(`stays under ${GZIP_BUDGET / 1024} KB gzipped`, () => {
    expect(gzipped(BUNDLE)).toBeLessThan(GZIP_BUDGET);
  });

  (existsSync(MQTT_JS) ? it : it.skip)('is smaller than MQTT.js dist/mqtt.min.js, minified and gzipped', () => {
    expect(readFileSync(BUNDLE).length).toBeLessThan(readFileSync(MQTT_JS).length * MINIFIED_RATIO);
    expect(gzipped(BUNDLE)).toBeLessThan(gzipped(MQTT_JS) * GZIPPED_RATIO);
  });
});
