// What the browser bundles are made of, from esbuild's metafile: the minified bytes each npm
// package or lib/ folder puts into
//   the IIFE             dist/rxmqtt.min.js, built in memory as scripts/bundle.mjs builds it
//   the topic app        TOPIC_APP below: an app that imports only `connect` and subscribes with
//                        `client.topic()`, bundled with tree shaking and minified for the browser,
//                        rxjs external (a peer dependency: the app's own copy)
// The topic app's size is measured against dist/browser/rxmqtt.js (what an app's bundler takes
// through the package's `browser` condition); its contributors against the sources (the same
// graph and options, where each input still has its own file). Run alone
// (`node scripts/bundle-report.mjs`) it prints both lists.
import * as esbuild from 'esbuild';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { common } from './bundle.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The smallest useful RxJS app: connect, one topic() stream, nothing of the MQTT.js facade used. */
export const TOPIC_APP = `import { connect } from 'rxmqtt';
const client = connect(globalThis.brokerUrl);
client.topic('a/+').subscribe((message) => globalThis.onMessage?.(message.topic, new TextDecoder().decode(message.payload)));
`;

/** `rxmqtt` resolved to `target` (dist/browser/rxmqtt.js or lib/index.ts), as an app's bundler would. */
const rxmqttAt = (target) => ({
  name: 'rxmqtt-self',
  setup(build) {
    build.onResolve({ filter: /^rxmqtt$/ }, () => ({ path: join(root, target) }));
  },
});

const appOptions = { stdin: { contents: TOPIC_APP, resolveDir: root, loader: 'js' }, format: 'esm', external: ['rxjs', 'rxjs/*'], treeShaking: true };

/**
 * The topic app bundled as an app would bundle it (esbuild, browser, minified, tree shaken,
 * rxjs external) from dist/browser/rxmqtt.js, which must exist (scripts/bundle.mjs).
 * @returns the minified code
 */
export async function buildTopicApp() {
  const result = await esbuild.build({
    ...appOptions,
    absWorkingDir: root,
    bundle: true,
    minify: true,
    platform: 'browser',
    write: false,
    logLevel: 'warning',
    plugins: [rxmqttAt('dist/browser/rxmqtt.js')],
  });
  return result.outputFiles[0].contents;
}

/**
 * `node_modules/<package>` (scoped too), a browser stand-in of scripts/ by its file (each replaces
 * a package), else the folder of a file of this repository.
 */
const groupOf = (input) => input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? (input.startsWith('scripts/') ? input : input.replace(/\/[^/]*$/, '/'));

/**
 * Builds in memory and sums each input's bytes in the minified output per package or folder.
 * @returns { minified, gzipped, contributors: [name, bytes][] largest first, files: [path, bytes][] largest first }
 */
async function analyse(options) {
  const result = await esbuild.build({ ...common, ...options, sourcemap: false, minify: true, metafile: true, write: false });
  const code = result.outputFiles[0].contents;
  const output = Object.values(result.metafile.outputs)[0];
  const groups = new Map();
  const files = [];
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    groups.set(groupOf(input), (groups.get(groupOf(input)) ?? 0) + bytesInOutput);
    files.push([input, bytesInOutput]);
  }
  const largestFirst = (a, b) => b[1] - a[1];
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length, contributors: [...groups].sort(largestFirst), files: files.sort(largestFirst) };
}

/** The IIFE dist/rxmqtt.min.js, analysed (see analyse). */
export const analyseIife = () => analyse({ entryPoints: [join(root, 'lib/index.ts')], format: 'iife', globalName: 'rxmqtt' });

/** The topic app built from the sources, analysed (see analyse). */
export const analyseTopicApp = () => analyse({ ...appOptions, plugins: [rxmqttAt('lib/index.ts'), ...common.plugins] });

/** Markdown lines: the largest `top` contributors of one analysed bundle. */
export function contributorTable(title, analysis, top = 12) {
  const total = analysis.contributors.reduce((sum, [, bytes]) => sum + bytes, 0);
  return [
    '',
    `${title}: ${analysis.minified} bytes minified, ${analysis.gzipped} gzipped; largest contributors (minified bytes in the output):`,
    '',
    '| package or folder | minified bytes | share |',
    '| --- | --- | --- |',
    ...analysis.contributors.slice(0, top).map(([name, bytes]) => `| ${name} | ${bytes} | ${((100 * bytes) / total).toFixed(1)}% |`),
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [iife, app] = await Promise.all([analyseIife(), analyseTopicApp()]);
  const lines = [...contributorTable('IIFE dist/rxmqtt.min.js', iife, 30), ...contributorTable('topic app (connect + client.topic(), rxjs external), from the sources', app, 30)];
  console.log(lines.join('\n'));
}
