/**
 * The guides cover every public feature: each value rxmqtt exports (functions, classes, constants,
 * error classes), each operator, each connect option, each member of the Observable API on
 * `MqttClient` is named, in code font, in README.md or a guide (docs/*.md).
 * Names are read from the code with the TypeScript compiler, so a new export or option without a
 * word in the documentation fails here. (The API reference, `npm run docs`, documents every
 * exported type; spec/docs/api-reference.spec.ts holds it to that.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { scaled } from '../helpers/wait.js';

const root = resolve(dirname(expect.getState().testPath!), '../..');
const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

/** Every name written in code font in the pages: `connect`, `client.topic()`, `reconnect: false`... */
function namesInCodeFont(): Set<string> {
  const names = new Set<string>();
  for (const page of pages) {
    const text = readFileSync(join(root, page), 'utf8');
    const spans = [...text.matchAll(/`([^`\n]+)`/g)].map((match) => match[1]!);
    const blocks = [...text.matchAll(/^```[a-z]*\n([\s\S]*?)^```/gm)].map((match) => match[1]!);
    for (const code of [...spans, ...blocks]) for (const word of code.match(/[\w$-]+/g) ?? []) names.add(word);
  }
  return names;
}

let program: ts.Program;
let checker: ts.TypeChecker;
beforeAll(() => {
  const entries = ['lib/index.ts', 'operators/index.ts', 'lib/options/client-options.ts', 'lib/compat/observable-surface.ts'].map((file) => join(root, file));
  program = ts.createProgram(entries, { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, skipLibCheck: true, types: ['node'] });
  checker = program.getTypeChecker();
}, scaled(120_000));

const moduleExports = (file: string): ts.Symbol[] => checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(join(root, file))!)!);
const resolved = (symbol: ts.Symbol): ts.Symbol => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);

/** The value exports of a module (not types): what an app calls or constructs. */
const valueExports = (file: string): string[] => moduleExports(file).filter((symbol) => resolved(symbol).flags & ts.SymbolFlags.Value).map((symbol) => symbol.name).filter((name) => name !== 'default');

/** The public properties an exported interface or class of `file` declares itself (inherited ones left out). */
function membersOf(file: string, name: string): string[] {
  const symbol = moduleExports(file).find((candidate) => candidate.name === name);
  if (!symbol) throw new Error(`${file} exports no ${name}`);
  const hidden = ts.ModifierFlags.Private | ts.ModifierFlags.Protected;
  return checker
    .getPropertiesOfType(checker.getDeclaredTypeOfSymbol(resolved(symbol)))
    .filter((property) => property.declarations?.some((declaration) => declaration.getSourceFile().fileName === join(root, file) && !(ts.getCombinedModifierFlags(declaration) & hidden)))
    .map((property) => property.name)
    .filter((member) => !member.startsWith('#'));
}

describe('the guides name', () => {
  let documented: Set<string>;
  beforeAll(() => {
    documented = namesInCodeFont();
  });
  const undocumented = (names: string[]): string[] => names.filter((name) => !documented.has(name));

  it('every value rxmqtt exports', () => {
    const names = valueExports('lib/index.ts');
    expect(names.length).toBeGreaterThan(30);
    expect(undocumented(names)).toEqual([]);
  });

  it('every operator of rxmqtt/operators', () => {
    const names = valueExports('operators/index.ts');
    expect(names.length).toBeGreaterThanOrEqual(7);
    expect(undocumented(names)).toEqual([]);
  });

  it('every connect option', () => {
    const names = membersOf('lib/options/client-options.ts', 'ClientOptions');
    expect(names.length).toBeGreaterThan(40);
    expect(undocumented(names)).toEqual([]);
  });

  it('every member of the Observable API on MqttClient', () => {
    const names = membersOf('lib/compat/observable-surface.ts', 'ObservableSurface');
    expect(names.length).toBeGreaterThan(10);
    expect(undocumented(names)).toEqual([]);
  });
});
