// Builds the ESM tree (library, operators, CLI, examples) and a CommonJS copy of the library so
// that both `import` and `require('rxmqtt')` work from an installed package.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

const tsc = (project) => execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project], { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });
tsc('tsconfig.build.json');
tsc('tsconfig.cjs.json');
mkdirSync('dist/cjs', { recursive: true });
writeFileSync('dist/cjs/package.json', JSON.stringify({ type: 'commonjs' }) + '\n');

// The browser bundles (dist/rxmqtt*.js, dist/browser/) come from the sources, after the tsc output.
const { bundle } = await import('./bundle.mjs');
await bundle();
