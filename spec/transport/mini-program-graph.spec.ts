// The mini-program transports must stay free of Node socket code: a WeChat or Alipay bundle that
// includes them must not drag in `ws`, `net` or `tls`. Walks the runtime imports (not
// `import type`) of lib/transport/mini-program.ts through the source files.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The runtime import specifiers of a TypeScript file. */
function runtimeImports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  for (const match of source.matchAll(/^import\s+(type\s+)?[^'"]*?from\s+'([^']+)';/gms)) if (!match[1]) specifiers.push(match[2]);
  for (const match of source.matchAll(/^import\s+'([^']+)';/gm)) specifiers.push(match[1]);
  return specifiers;
}

/** Every package or built-in reached from `entry` through relative runtime imports. */
function externalImports(entry: string): string[] {
  const seen = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of runtimeImports(file)) {
      if (specifier.startsWith('.')) visit(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else external.add(specifier);
    }
  };
  visit(resolve(entry));
  return [...external].sort();
}

describe('mini-program transports', () => {
  it('import no Node socket code: only the debug package, through the logger', () => {
    expect(externalImports('lib/transport/mini-program.ts')).toEqual(['debug']);
  });

  it('finds the ws import of the Node WebSocket transport (the walk sees what it must refuse)', () => {
    expect(externalImports('lib/transport/ws.ts')).toEqual(expect.arrayContaining(['ws']));
  });
});
