// Builds the ESM tree (library, operators, examples) and a CommonJS copy of the library so
// that both `import` and `require('rxmqtt')` work from an installed package, then the bundles:
// the browser ones (scripts/bundle.mjs) and the `rxmqtt` command (scripts/cli-bundle.mjs).
// Every .js gets a source map with its TypeScript inlined (`inlineSources`): the package ships no
// .ts, so a stack trace or a debugger in an app shows our source only through the map. Map paths
// are relative to the map (`../../../lib/x.ts`), never this machine's.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

const tsc = (project) =>
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project, '--sourceMap', '--inlineSources'], { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });
tsc('tsconfig.build.json');
tsc('tsconfig.cjs.json');
mkdirSync('dist/cjs', { recursive: true });
writeFileSync('dist/cjs/package.json', JSON.stringify({ type: 'commonjs' }) + '\n');

// The browser bundles (dist/rxmqtt*.js, dist/browser/) come from the sources, after the tsc output.
const { bundle } = await import('./bundle.mjs');
const { bundleCli } = await import('./cli-bundle.mjs');
await Promise.all([bundle(), bundleCli()]);
