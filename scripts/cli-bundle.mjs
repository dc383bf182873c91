// Bundles the `rxmqtt` command into dist/cli/ with esbuild:
//   dist/cli/rxmqtt.mjs        the entry (package.json `bin`): argument dispatch only
//   dist/cli/chunks/*.mjs      code split at each dynamic import(): yargs, each command, and
//                              the library with rxjs, loaded only by the commands that use them
// Starting Node on one file that resolves nothing is what makes a short run fast: resolving and
// reading the hundreds of files of rxjs, yargs and the library costs more than running them.
// The CLI is an application, so it carries its own rxjs, yargs, mqtt-packet, debug and ws; aedes
// stays outside (an optional peer that only `rxmqtt broker` imports, and says so when missing).
// Each file has a source map beside it, with sources relative to it and their text included.
// Run alone (`node scripts/cli-bundle.mjs [outdir]`) it prints the files and their sizes.
import * as esbuild from 'esbuild';
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Maps dependencies to the JavaScript they ship: their own source maps can name TypeScript the
 * package leaves out (get-caller-file's index.ts), which would leave a hole in ours.
 */
const shippedDependencySources = {
  name: 'rxmqtt-cli-shipped-dependency-sources',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/].*\.[cm]?js$/ }, async (args) => ({
      contents: (await readFile(args.path, 'utf8')).replace(/^\/\/# sourceMappingURL=.*$/gm, ''),
      loader: 'js',
    }));
  },
};

/**
 * Picks the smaller builds of two dependencies. rxjs's `node` export condition is its CommonJS
 * build, which esbuild cannot tree-shake: its ES2015 modules instead (a third of the size).
 * mqtt-packet needs only bl's BufferList, not bl's stream (which would pull in readable-stream).
 */
const leanDependencies = {
  name: 'rxmqtt-cli-lean-dependencies',
  setup(build) {
    build.onResolve({ filter: /^rxjs$/ }, () => ({ path: join(root, 'node_modules/rxjs/dist/esm/index.js') }));
    build.onResolve({ filter: /^bl$/ }, () => ({ path: join(root, 'node_modules/bl/BufferList.js') }));
  },
};

/** The entry file's name inside the output directory. */
export const CLI_ENTRY = 'rxmqtt.mjs';

/**
 * Builds the CLI into `outdir` (default dist/cli); resolves with the files written, relative to
 * `outdir`.
 */
export async function bundleCli(outdir = join(root, 'dist/cli')) {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { rxmqtt: join(root, 'cli/index.ts') },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    splitting: true,
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    external: ['aedes'],
    plugins: [leanDependencies, shippedDependencySources],
    // The CommonJS packages inside (debug, ws, mqtt-packet) require Node built-ins, which an ES
    // module can only do through a require of its own.
    banner: { js: "import { createRequire as __rxmqttCreateRequire } from 'node:module'; const require = __rxmqttCreateRequire(import.meta.url);" },
    // Less to parse on every start; the maps keep stack traces readable.
    minify: true,
    legalComments: 'none',
    sourcemap: true,
    // Paths as the repository sees them (`node_modules/x`), not where a linked node_modules
    // really is: the maps' sources then stay inside the package's own tree on every machine.
    preserveSymlinks: true,
    metafile: true,
    logLevel: 'warning',
  });
  return Object.keys(result.metafile.outputs).map((file) => relative(outdir, resolve(root, file)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const outdir = resolve(process.argv[2] ?? join(root, 'dist/cli'));
  for (const file of await bundleCli(outdir)) {
    if (!file.endsWith('.map')) console.log(`${file}: ${(statSync(join(outdir, file)).size / 1024).toFixed(1)} KB`);
  }
}
