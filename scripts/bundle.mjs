// Browser bundles with esbuild, from the TypeScript sources:
//   dist/rxmqtt.js       IIFE, global `rxmqtt` (for a <script> tag), readable
//   dist/rxmqtt.min.js   the same, minified
//   dist/rxmqtt.esm.js   one self-contained ES module (rxjs inside), minified
// (the package exports them as `rxmqtt/dist/rxmqtt`, `rxmqtt/dist/rxmqtt.min` and
// `rxmqtt/dist/rxmqtt.esm`, as MQTT.js does its own bundles)
//   dist/rxmqtt-shared-worker.js  the SharedWorker script of `acrossTabs({ worker })`: IIFE,
//                        minified, rxjs inside (`rxmqtt/dist/rxmqtt-shared-worker.js`; the app serves it)
//   dist/browser/*.js    ES modules for bundlers (the package's `browser` condition): rxjs stays
//                        an import, so an app shares one RxJS; Buffer, events and streams inside
// Each with a source map beside it (sources relative to dist/, their text included).
// (`buffer/`, `events/`: the trailing slash makes require.resolve find the npm package, not Node's.)
// Node-only files are swapped for browser ones (the `*.browser.ts` next to them); `Buffer` comes
// from the npm `buffer` package (payloads reach apps as Buffers: the whole API, kept by a
// well-kept library, not a stand-in of ours), `process` from scripts/browser-process.js,
// `node:events` from the npm `events`, `node:stream` from scripts/browser-stream.js, `debug` from
// scripts/browser-debug.cjs and mqtt-packet's `bl` from scripts/browser-bufferlist.cjs. Each stand-in is held to what it
// replaces by a spec in spec/browser/ (`node scripts/bundle-report.mjs` shows what each weighs).
// Run alone (`node scripts/bundle.mjs`) it prints the sizes.
import * as esbuild from 'esbuild';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const nodeModules = join(root, 'node_modules');
const realNodeModules = realpathSync(nodeModules);
/** require.resolve, but through node_modules as linked (see `preserveSymlinks` below), not its real path. */
const resolveHere = (id) => {
  const file = require.resolve(id);
  return file.startsWith(realNodeModules) ? nodeModules + file.slice(realNodeModules.length) : file;
};

/** lib files that have a browser twin (`x.ts` -> `x.browser.ts`). */
const SWAPPED = ['lib/transport/select', 'lib/stores/file-store', 'lib/platform/platform-scheduler', 'lib/platform/platform-defaults', 'lib/platform/page-lifecycle'];
const STREAM = join(root, 'scripts/browser-stream.js');
/** Node built-ins the library graph imports, and what stands in for each. */
const BUILTINS = { events: 'events/', 'node:events': 'events/', buffer: 'buffer/', 'node:buffer': 'buffer/', stream: STREAM, 'node:stream': STREAM };

const browserPlugin = {
  name: 'rxmqtt-browser',
  setup(build) {
    build.onResolve({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith('.')) return undefined;
      const target = join(args.resolveDir, args.path).slice(root.length + 1).replace(/\.js$/, '');
      return SWAPPED.includes(target) ? { path: join(root, `${target}.browser.ts`) } : undefined;
    });
    build.onResolve({ filter: /^(node:)?(events|stream|buffer)$/ }, (args) => ({ path: resolveHere(BUILTINS[args.path]) }));
    // mqtt-packet's parser needs a few methods of bl's BufferList, not its stream (which would pull
    // in readable-stream) nor the rest of the list (see browser-bufferlist.cjs).
    build.onResolve({ filter: /^bl$/ }, () => ({ path: join(root, 'scripts/browser-bufferlist.cjs') }));
    build.onResolve({ filter: /^process-nextick-args$/ }, () => ({ path: join(root, 'scripts/browser-nexttick.js') }));
    // rxmqtt's log.ts and mqtt-packet's parser need only `createDebug(namespace)` (see browser-debug.cjs).
    build.onResolve({ filter: /^debug$/ }, () => ({ path: join(root, 'scripts/browser-debug.cjs') }));
    // mqtt-packet's parser and writer log every step (58 calls, about ten per PUBLISH, each building
    // its arguments with logging off). The browser bundles drop those calls, marked pure, and their
    // strings (2 KB minified); rxmqtt's own logs stay. A statement that no longer starts a line with
    // `debug(` is simply kept.
    build.onLoad({ filter: /[\\/]mqtt-packet[\\/](parser|writeToStream)\.js$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace(/^(\s*)debug\(/gm, '$1/* @__PURE__ */ debug('),
      loader: 'js',
    }));
  },
};

export const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'browser',
  // The browsers are the floor; no ES level on top, which would lower class fields the floor runs natively.
  // Chrome 91, not 90: esbuild lowers optional chaining below 91 (a V8 bug in 90), about 4 KB.
  target: ['chrome91', 'firefox90', 'safari14'],
  // rxjs's ES2015 build (its `es2015` export condition): classes the browser floor runs natively,
  // instead of the ES5 build and its tslib helpers (about 9 KB smaller minified).
  conditions: ['es2015'],
  inject: [join(root, 'scripts/browser-globals.js')],
  define: { global: 'globalThis', 'process.env.NODE_ENV': '"production"' },
  plugins: [browserPlugin],
  legalComments: 'none',
  sourcemap: true,
  // Paths as the repository sees them (`node_modules/x`), not where a linked node_modules really
  // is: the maps' sources then stay inside the package's own tree on every machine.
  preserveSymlinks: true,
  logLevel: 'warning',
};

const iife = { format: 'iife', globalName: 'rxmqtt' };

/** Builds every browser bundle into `dist/`; resolves with the files written. */
export async function bundle() {
  const entry = join(root, 'lib/index.ts');
  await Promise.all([
    esbuild.build({ ...common, ...iife, entryPoints: [entry], outfile: join(root, 'dist/rxmqtt.js') }),
    esbuild.build({ ...common, ...iife, entryPoints: [entry], minify: true, outfile: join(root, 'dist/rxmqtt.min.js') }),
    esbuild.build({ ...common, entryPoints: [entry], format: 'esm', minify: true, outfile: join(root, 'dist/rxmqtt.esm.js') }),
    // A worker has no `document` nor `window`: the browser build's platform files cope (see page-lifecycle.browser.ts).
    esbuild.build({ ...common, format: 'iife', entryPoints: [join(root, 'lib/sharing/shared-worker.ts')], minify: true, outfile: join(root, 'dist/rxmqtt-shared-worker.js') }),
    esbuild.build({
      ...common,
      entryPoints: { rxmqtt: entry, operators: join(root, 'operators/index.ts') },
      format: 'esm',
      splitting: true,
      external: ['rxjs', 'rxjs/*'],
      outdir: join(root, 'dist/browser'),
    }),
  ]);
  return ['dist/rxmqtt.js', 'dist/rxmqtt.min.js', 'dist/rxmqtt.esm.js', 'dist/rxmqtt-shared-worker.js'];
}

/** Minified and gzipped (level 9) sizes of a file, in bytes. */
export function sizeOf(file) {
  const bytes = readFileSync(file);
  return { minified: statSync(file).size, gzipped: gzipSync(bytes, { level: 9 }).length };
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await bundle();
  const rows = [
    ['rxmqtt dist/rxmqtt.min.js', sizeOf(join(root, 'dist/rxmqtt.min.js'))],
    ['rxmqtt dist/rxmqtt-shared-worker.js', sizeOf(join(root, 'dist/rxmqtt-shared-worker.js'))],
  ];
  try {
    rows.push(['mqtt dist/mqtt.min.js', sizeOf(join(root, 'node_modules/mqtt/dist/mqtt.min.js'))]);
  } catch {
    // mqtt (a devDependency) is not installed: nothing to compare with.
  }
  for (const [name, size] of rows) console.log(`${name}: ${kb(size.minified)} minified, ${kb(size.gzipped)} gzipped`);
}
