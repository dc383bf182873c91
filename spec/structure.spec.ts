/**
 * The layout rules of the source tree, checked by reading the .ts files (fs and the TypeScript
 * parser only: no build, nothing outside the repository). See docs/architecture.md.
 *
 * Imports are read from the syntax tree, so comments and strings never count. An import is
 * type-only when it is `import type` / `export type`, or when every name in its braces carries
 * `type` (TypeScript erases those, as `verbatimModuleSyntax` is off); the rest are runtime imports.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

// The repository root, from this file's own path (no import.meta: it also runs without ESM, as `npx jest spec/structure.spec.ts`).
const root = resolve(dirname(expect.getState().testPath!), '..');
const MAX_LINES = 300;
/** The operators lib/ must take from operators/ instead of keeping its own copy. */
const SHARED_OPERATORS = ['retryBackoff', 'keepalive', 'decodePayload', 'awaitAck'];

interface Import {
  specifier: string;
  line: number;
  typeOnly: boolean;
  /** `import('x')`: evaluated later, so it cannot close a load-time cycle. */
  dynamic: boolean;
  /** Runtime names taken from the module (the exported name, before any `as`). */
  names: string[];
}

interface Source {
  /** Repository-relative path with forward slashes, e.g. `lib/session/session.ts`. */
  path: string;
  text: string;
  imports: Import[];
  sourceFile: ts.SourceFile;
}

const rel = (file: string): string => relative(root, file).split(sep).join('/');

function listTs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return listTs(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function readImports(sourceFile: ts.SourceFile): Import[] {
  const imports: Import[] = [];
  const declarationFile = sourceFile.isDeclarationFile;
  const add = (node: ts.Node, specifier: ts.Expression | undefined, typeOnly: boolean, names: string[], dynamic = false): void => {
    if (!specifier || !ts.isStringLiteralLike(specifier)) return;
    const line = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line + 1;
    imports.push({ specifier: specifier.text, line, typeOnly: typeOnly || declarationFile, dynamic, names: typeOnly ? [] : names });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const onlyTypeNames = !!clause && !clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly);
      const names = (named ?? []).filter((e) => !e.isTypeOnly).map((e) => (e.propertyName ?? e.name).text);
      add(node, node.moduleSpecifier, !!clause?.isTypeOnly || onlyTypeNames, names);
    } else if (ts.isExportDeclaration(node)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      const onlyTypeNames = !!named && named.length > 0 && named.every((e) => e.isTypeOnly);
      add(node, node.moduleSpecifier, node.isTypeOnly || onlyTypeNames, []);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression, node.isTypeOnly, []);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node, node.arguments[0], false, [], true);
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return imports;
}

function load(file: string): Source {
  const text = readFileSync(file, 'utf8');
  const sourceFile = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  return { path: rel(file), text, imports: readImports(sourceFile), sourceFile };
}

const sources = ['lib', 'operators', 'cli'].flatMap((dir) => listTs(join(root, dir))).sort().map(load);
const byPath = new Map(sources.map((s) => [s.path, s]));
const lib = sources.filter((s) => s.path.startsWith('lib/'));

/** `./x.js` -> `./x.ts`, `./dir/index.js` -> `./dir/index.ts`, `./dir` -> `./dir/index.ts`; undefined when nothing matches. */
function resolveRelative(from: string, specifier: string): string | undefined {
  const target = resolve(root, dirname(from), specifier);
  const stem = target.replace(/\.(js|ts)$/, '');
  const found = [`${stem}.ts`, join(target, 'index.ts')].find((f) => existsSync(f) && statSync(f).isFile());
  return found && rel(found);
}

const isRelative = (specifier: string): boolean => specifier.startsWith('./') || specifier.startsWith('../');

/** Runtime, static edges between the scanned files. */
function runtimeEdges(source: Source): string[] {
  return source.imports
    .filter((i) => !i.typeOnly && !i.dynamic && isRelative(i.specifier))
    .map((i) => resolveRelative(source.path, i.specifier))
    .filter((target): target is string => !!target && byPath.has(target));
}

/** Strongly connected components (Tarjan); each one with more than one file, or a file importing itself, is a cycle. */
function findCycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return components;
}

/** One concrete loop through `start` inside its component (breadth-first, so the shortest one). */
function loopThrough(start: string, component: Set<string>, graph: Map<string, string[]>): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(previous.get(path[0])!);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

const where = (source: Source, i: Import): string => `${source.path}:${i.line} imports '${i.specifier}'${i.typeOnly ? ' (type-only)' : ''}`;

const isPureCore = (path: string): boolean => path.startsWith('lib/session/') || /^lib\/connection\/lifecycle[^/]*\.ts$/.test(path);
const builtins = new Set(builtinModules);
/** Sockets, streams, logging and Node: what a pure machine must not touch. */
function isForbiddenInPureCore(specifier: string): boolean {
  const bare = specifier.split('/')[0];
  return bare === 'rxjs' || ['net', 'tls', 'ws', 'debug'].includes(bare) || specifier.startsWith('node:') || builtins.has(bare);
}

/** Calls that read the clock or start a timer: `Date.now(`, `setTimeout(`, `setInterval(` (also as `globalThis.x(`). */
function clockAndTimerCalls(source: Source): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression.getText(source.sourceFile).replace(/\s+/g, '');
      if (/(^|\.)(Date\.now|setTimeout|setInterval)$/.test(callee)) {
        const line = source.sourceFile.getLineAndCharacterOfPosition(node.getStart(source.sourceFile)).line + 1;
        found.push(`${source.path}:${line} calls ${callee}(`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source.sourceFile);
  return found;
}

describe('the source tree', () => {
  it('finds the lib/, operators/ and cli/ sources it checks', () => {
    expect(lib.length).toBeGreaterThan(50);
    expect(byPath.has('lib/session/session.ts')).toBe(true);
    expect(byPath.has('lib/connection/lifecycle.ts')).toBe(true);
  });

  it('resolves every relative import to a .ts file, so the checks below see every edge', () => {
    const unresolved = sources
      .filter((s) => !s.sourceFile.isDeclarationFile)
      .flatMap((s) => s.imports.filter((i) => isRelative(i.specifier) && !resolveRelative(s.path, i.specifier)).map((i) => where(s, i)));
    expect(unresolved).toEqual([]);
  });

  it('has no runtime import cycle among lib/, operators/ and cli/ (type-only imports do not count)', () => {
    const graph = new Map(sources.map((s) => [s.path, runtimeEdges(s)]));
    const cycles = findCycles(graph).map((component) => {
      const loop = loopThrough(component[0], new Set(component), graph).join(' -> ');
      return component.length > 2 ? `${loop}  (one loop in a cycle of ${component.length} files: ${component.join(', ')})` : loop;
    });
    if (cycles.length > 0) throw new Error(`${cycles.length} runtime import cycle(s):\n  ${cycles.join('\n  ')}`);
  });

  it(`keeps every lib/ file at ${MAX_LINES} lines or fewer`, () => {
    const offenders = lib
      .map((s) => ({ path: s.path, lines: s.text.split('\n').length }))
      .filter((f) => f.lines > MAX_LINES)
      .sort((a, b) => b.lines - a.lines)
      .map((f) => `${f.path}: ${f.lines} lines`);
    if (offenders.length > 0) throw new Error(`lib/ files over ${MAX_LINES} lines:\n  ${offenders.join('\n  ')}`);
  });

  it('imports the retryBackoff, keepalive, decodePayload and awaitAck operators from operators/ into lib/', () => {
    const imported = new Map<string, string[]>();
    for (const s of lib) {
      for (const i of s.imports) {
        const target = !i.typeOnly && isRelative(i.specifier) ? resolveRelative(s.path, i.specifier) : undefined;
        if (!target?.startsWith('operators/')) continue;
        for (const name of i.names) imported.set(name, [...(imported.get(name) ?? []), s.path]);
      }
    }
    const missing = SHARED_OPERATORS.filter((name) => !imported.has(name));
    if (missing.length > 0) {
      const present = [...imported].map(([name, files]) => `${name} (${files.join(', ')})`);
      throw new Error(
        `lib/ has no runtime import of ${missing.join(', ')} from operators/` +
          `\n  lib/ imports from operators/: ${present.length > 0 ? present.join('; ') : 'nothing'}`,
      );
    }
  });

  it('imports mqtt-packet only under lib/protocol/', () => {
    const isMqttPacket = (i: Import): boolean => i.specifier === 'mqtt-packet' || i.specifier.startsWith('mqtt-packet/');
    const outside = sources
      .filter((s) => !s.path.startsWith('lib/protocol/'))
      .flatMap((s) => s.imports.filter(isMqttPacket).map((i) => where(s, i)));
    if (outside.length > 0) throw new Error(`mqtt-packet imported outside lib/protocol/:\n  ${outside.join('\n  ')}`);
  });

  it('keeps lib/session/ and lib/connection/lifecycle*.ts free of rxjs, net, tls, ws, debug and node:*', () => {
    const pure = lib.filter((s) => isPureCore(s.path));
    expect(pure.length).toBeGreaterThan(2);
    const found = pure.flatMap((s) => s.imports.filter((i) => isForbiddenInPureCore(i.specifier)).map((i) => where(s, i)));
    if (found.length > 0) throw new Error(`pure cores import IO, streams or logging:\n  ${found.join('\n  ')}`);
  });

  it('keeps lib/session/ and lib/connection/lifecycle*.ts off the clock and timers (time is an input)', () => {
    const found = lib.filter((s) => isPureCore(s.path)).flatMap(clockAndTimerCalls);
    if (found.length > 0) throw new Error(`pure cores read the clock or start timers:\n  ${found.join('\n  ')}`);
  });

  it('has a spec/ folder named after every lib/ folder (spec mirrors lib)', () => {
    const folders = readdirSync(join(root, 'lib'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    const missing = folders.filter((name) => !existsSync(join(root, 'spec', name)) || !statSync(join(root, 'spec', name)).isDirectory()).sort();
    if (missing.length > 0) throw new Error(`lib/ folders with no spec/ folder of the same name: ${missing.map((m) => `lib/${m}/`).join(', ')}`);
  });
});
