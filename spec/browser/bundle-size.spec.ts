// Size budgets for the browser bundles, measured as scripts/bundle.mjs reports them (minified file,
// gzip level 9): the IIFE dist/rxmqtt.min.js, compared with MQTT.js's own dist/mqtt.min.js measured
// the same way, and the tree-shaken app of scripts/bundle-report.mjs (`connect` + `client.topic()`,
// bundled by esbuild from dist/browser/ with rxjs external). Sizes are deterministic: a budget
// that fails means the bundle grew; `node scripts/bundle-report.mjs` lists what it is made of.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = resolve('.');
const BUNDLE = resolve(root, 'dist/rxmqtt.min.js');
const BROWSER_MODULE = resolve(root, 'dist/browser/rxmqtt.js');
const MQTT_JS = resolve(root, 'node_modules/mqtt/dist/mqtt.min.js');
/**
 * Today's 71.6 KB gzipped (73,317 bytes), plus room to grow; raise it on purpose, not by accident.
 * Issue 18 asked for 50 KB and got 1.1 KB net (from 72.7): the inbound PUBLISH fast path (3 KB
 * minified) and the SUBSCRIBE batching (2.4 KB) came in while debug and ms gave way to
 * scripts/browser-debug.cjs, bl to browser-bufferlist.cjs, and mqtt-packet's debug() calls went. The `buffer` package stays
 * (payloads reach apps as Buffers, so its whole API is theirs: a well-kept library, not a stand-in
 * of ours). The rest is the library's own code (about 145 KB of 230 KB minified), mqtt-packet
 * (31 KB), buffer (28 KB with base64-js and ieee754), rxjs (18 KB) and the facade's `events` (6 KB).
 */
// Issue 19: the IIFE carries every export, for pages that load it with a script tag, so it holds
// the new pieces too: acrossTabs() (lib/sharing/, 11.6 KB minified), IndexedDBStore, the page
// lifecycle, offline publishes stored at once, the SharedWorker path and error classes that name
// themselves: 73,142 -> 80,900 bytes gzipped. Apps that bundle
// rxmqtt pay only for what they import (the topic app's budget below).
const GZIP_BUDGET = 80.5 * 1024;
/**
 * The topic app: today's 65.3 KB gzipped (66,840 bytes; from 66.4), plus room. Issue 18 asked
 * for 30 KB: `connect` is MQTT.js's, so the app holds the whole client (session, connection, options, the
 * MQTT.js facade), everything the IIFE holds but rxjs; an Observable-only entry would save only
 * about 3 KB gzipped (the facade and `events`, which mqtt-packet's parser needs anyway).
 */
// Issue 19 promised apps that do not import its new pieces at most 5 KB gzipped more than before
// it (66,840 bytes): today 68,576 (the page lifecycle, on by default, and offline publishes put
// into the store at once, which connect() cannot leave out; acrossTabs() and IndexedDBStore are
// tree-shaken away).
const TOPIC_APP_GZIP_BUDGET = 66_840 + 5 * 1024;
/** Ceilings relative to MQTT.js's dist/mqtt.min.js, minified and gzipped. */
// (0.75 and 0.73 before issue 19; 0.78 and 0.77 with its pieces in the IIFE.)
const MINIFIED_RATIO = 0.79;
const GZIPPED_RATIO = 0.77;

const gzipped = (bytes: Buffer) => gzipSync(bytes, { level: 9 }).length;

describe('the browser bundle size', () => {
  beforeAll(() => {
    if (!existsSync(BUNDLE) || !existsSync(BROWSER_MODULE)) execFileSync(process.execPath, ['scripts/bundle.mjs'], { cwd: root, stdio: 'inherit' });
  });

  it(`stays under ${GZIP_BUDGET / 1024} KB gzipped`, () => {
    expect(gzipped(readFileSync(BUNDLE))).toBeLessThan(GZIP_BUDGET);
  });

  (existsSync(MQTT_JS) ? it : it.skip)('is smaller than MQTT.js dist/mqtt.min.js, minified and gzipped', () => {
    expect(readFileSync(BUNDLE).length).toBeLessThan(readFileSync(MQTT_JS).length * MINIFIED_RATIO);
    expect(gzipped(readFileSync(BUNDLE))).toBeLessThan(gzipped(readFileSync(MQTT_JS)) * GZIPPED_RATIO);
  });

  it(`keeps a tree-shaken connect + topic() app, rxjs external, under ${(TOPIC_APP_GZIP_BUDGET / 1024).toFixed(1)} KB gzipped`, () => {
    const app = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `import { buildTopicApp } from './scripts/bundle-report.mjs'; process.stdout.write(await buildTopicApp());`],
      { cwd: root, maxBuffer: 1 << 24 },
    );
    expect(app.toString()).toContain('from"rxjs"');
    expect(gzipped(app)).toBeLessThan(TOPIC_APP_GZIP_BUDGET);
  });
});
