/**
 * What compiles against rxmqtt's typings, and what must not, checked with the TypeScript compiler
 * API under `strict` (one Program for everything, nothing emitted):
 * - every `ts`/`js` block of README.md and of the guides (docs/*.md), extracted here, so the
 *   documentation cannot drift from the API;
 * - the MQTT.js v5 README examples (spec/types/mqttjs-readme.md), import changed to rxmqtt;
 * - spec/types/*.ts: calls that must compile, and `// @ts-expect-error` lines that must not;
 * - the export names of MQTT.js 5 against rxmqtt's (NOT_EXPORTED lists the internals left out).
 *
 * Code blocks import `rxmqtt` as an application does (mapped onto lib/ and operators/). A
 * `const x = require('m')` line is checked as the `import * as x from 'm'` it stands for; a block
 * of only imports lists alternatives, each line checked alone; a block with no import of its own
 * gets the usual imports, and every block may use the few names README fragments take as given
 * (`client`, `work`...: FRAGMENT_GLOBALS). Any diagnostic fails the spec with its file:line.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { scaled } from '../helpers/wait.js';

const root = resolve(dirname(expect.getState().testPath!), '../..');
const typesDir = join(root, 'spec', 'types');

/** What a fragment without imports of its own may use, as a README's surrounding prose has it. */
const FRAGMENT_IMPORTS = [
  "import * as mqtt from 'rxmqtt';",
  "import { connect, connectAsync, json, utf8, raw, FileStore, MqttClient } from 'rxmqtt';",
  "import { concatMap, map } from 'rxjs';",
].join(' ');

/** The names README fragments use without declaring them. */
const FRAGMENT_GLOBALS = `
import type { MqttClient } from 'rxmqtt';
declare global {
  const client: MqttClient;
  function work(message: { topic: string; payload: Buffer }): Promise<void>;
  const tokens: { fresh(): Promise<string> };
  const url: string;
  const reading: string;
  function markAccepted(reading: string): void;
  const ca: Buffer, cert: Buffer, key: Buffer;
  const passphrase: string;
}
export {};
`;

const COMPILER_OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  types: ['node'],
  skipLibCheck: true,
  esModuleInterop: true,
  // The package as an application imports it, without a build.
  paths: { rxmqtt: [join(root, 'lib', 'index.ts')], 'rxmqtt/operators': [join(root, 'operators', 'index.ts')] },
};

interface CodeBlock {
  /** The markdown file, repository-relative. */
  source: string;
  /** 1-based line in `source` of the block's first code line. */
  line: number;
  code: string[];
}

/** The fenced `ts`/`js` blocks of a markdown file. */
function codeBlocks(markdownPath: string): CodeBlock[] {
  const lines = readFileSync(markdownPath, 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  let open: CodeBlock | undefined;
  lines.forEach((text, i) => {
    if (open) {
      if (/^```\s*$/.test(text)) {
        blocks.push(open);
        open = undefined;
      } else open.code.push(text);
    } else if (/^```(ts|js|typescript|javascript)\s*$/.test(text)) {
      open = { source: rel(markdownPath), line: i + 2, code: [] };
    }
  });
  return blocks;
}

const REQUIRE = /^(\s*)(?:const|let|var)\s+(\w+)\s*=\s*require\((['"])([^'"]+)\3\)\s*;?/;
const IMPORT = /^\s*import\s/;
const isImportLine = (text: string): boolean => IMPORT.test(text) || REQUIRE.test(text);

/** One block as files to compile: (virtual file name, text, first line), lines kept in place. */
function blockFiles(block: CodeBlock): { text: string; line: number }[] {
  const code = block.code.map((text) => text.replace(REQUIRE, (_m, indent: string, name: string, _q, from: string) => `${indent}import * as ${name} from '${from}';`));
  const meaningful = code.filter((text) => text.trim() !== '' && !text.trim().startsWith('//'));
  if (meaningful.length > 1 && meaningful.every(isImportLine)) {
    // Alternatives (`require` or `import * as` or `import default`...): each line alone.
    return code.flatMap((text, i) => (isImportLine(text) ? [{ text: `${text}\nexport {};\n`, line: block.line + i }] : []));
  }
  // Imports are hoisted, so the added ones go last and the block's lines keep their numbers.
  const imports = code.some(isImportLine) ? '' : FRAGMENT_IMPORTS;
  return [{ text: `${code.join('\n')}\n${imports}\nexport {};\n`, line: block.line }];
}

const rel = (file: string): string => relative(root, file).split(sep).join('/');

interface VirtualFile {
  text: string;
  /** Where its first line comes from. */
  source: string;
  line: number;
}

/** Compiles every file in one Program; returns it and its diagnostics as `file:line: message`. */
function compile(realFiles: string[], virtualFiles: Map<string, VirtualFile>): { program: ts.Program; errors: string[] } {
  const host = ts.createCompilerHost(COMPILER_OPTIONS, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, language, onError, create) => {
    const virtual = virtualFiles.get(name);
    return virtual ? ts.createSourceFile(name, virtual.text, language, true) : getSourceFile.call(host, name, language, onError, create);
  };
  host.fileExists = (name) => virtualFiles.has(name) || fileExists.call(host, name);
  host.readFile = (name) => virtualFiles.get(name)?.text ?? readFile.call(host, name);
  const roots = [...realFiles, ...virtualFiles.keys()];
  const program = ts.createProgram({ rootNames: roots, options: COMPILER_OPTIONS, host });
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...roots.flatMap((name) => {
      const file = program.getSourceFile(name);
      return file ? [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)] : [];
    }),
  ];
  return { program, errors: diagnostics.map((d) => formatDiagnostic(d, virtualFiles)) };
}

/** The names a module exports, as the checker sees them from `fromFile`. */
function exportNames(program: ts.Program, fromFile: string, specifier: string): string[] {
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(fromFile)!;
  const declaration = file.statements.find(
    (s): s is ts.ImportDeclaration => ts.isImportDeclaration(s) && (s.moduleSpecifier as ts.StringLiteral).text === specifier,
  )!;
  const moduleSymbol = checker.getSymbolAtLocation(declaration.moduleSpecifier)!;
  return checker.getExportsOfModule(moduleSymbol).map((symbol) => symbol.name);
}

/**
 * MQTT.js exports that rxmqtt leaves out, and why. Everything else MQTT.js exports, rxmqtt
 * exports under the same name.
 */
const NOT_EXPORTED: Record<string, string> = {
  KeepaliveManager: 'internal timer class; rxmqtt keeps alive with the `keepalive` operator (rxmqtt/operators)',
  Timer: "KeepaliveManager's timer",
  PendingCommand: "MqttClient's internal ack table entry",
  IStream: "a stream builder's stream; rxmqtt's StreamBuilder returns a Duplex",
  PacketPump: "MQTT.js's internal packet loop",
  PacketHandler: "MQTT.js's internal packet handlers",
  Constructor: 'applyMixin helper type',
  applyMixin: 'internal mixin helper',
  nextTick: 'internal scheduling helper',
  MQTTJS_VERSION: "MQTT.js's own version string",
  ISecureClientOptions: 'TLS options are part of ClientOptions (node:tls ConnectionOptions); keyPath, certPath and caPaths are not read',
};

function formatDiagnostic(diagnostic: ts.Diagnostic, virtualFiles: Map<string, VirtualFile>): string {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  if (!diagnostic.file || diagnostic.start === undefined) return `TS${diagnostic.code}: ${message}`;
  const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  const virtual = virtualFiles.get(diagnostic.file.fileName);
  const where = virtual ? `${virtual.source}:${virtual.line + line}` : `${rel(diagnostic.file.fileName)}:${line + 1}`;
  return `${where}: TS${diagnostic.code}: ${message}`;
}

/** The blocks of a markdown file as virtual files beside it (`README.md.L58.ts`). */
function markdownFiles(markdownPath: string): Map<string, VirtualFile> {
  const files = new Map<string, VirtualFile>();
  for (const block of codeBlocks(markdownPath)) {
    for (const file of blockFiles(block)) {
      files.set(`${markdownPath}.L${file.line}.ts`, { text: file.text, source: block.source, line: file.line });
    }
  }
  return files;
}

const readme = markdownFiles(join(root, 'README.md'));
const docsDir = join(root, 'docs');
/** The guides, repository-relative (`docs/mqtt5.md`...). */
const guideNames = existsSync(docsDir) ? readdirSync(docsDir).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`) : [];
const guides = new Map(guideNames.flatMap((name) => [...markdownFiles(join(root, name))]));
const mqttjsReadme = markdownFiles(join(typesDir, 'mqttjs-readme.md'));
const typeCases = readdirSync(typesDir)
  .filter((name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'))
  .map((name) => join(typesDir, name));
const globals = new Map([[join(typesDir, 'fragment-globals.d.ts'), { text: FRAGMENT_GLOBALS, source: 'spec/types/types.spec.ts', line: 0 }]]);
/** Imports both packages, for the comparison of their export names. */
const exportsProbe = new Map([[join(typesDir, 'exports-probe.ts'), { text: "import * as mqttjs from 'mqtt';\nimport * as rxmqtt from 'rxmqtt';\nexport { mqttjs, rxmqtt };\n", source: 'exports-probe', line: 1 }]]);
/** Proves the checker reports: one known error, found by file and line. */
const canary = new Map([[join(typesDir, 'canary.L1.ts'), { text: "const n: number = 'one';\nexport {};\n", source: 'canary', line: 1 }]]);

let program: ts.Program;
let errors: string[];
beforeAll(() => {
  ({ program, errors } = compile(typeCases, new Map([...globals, ...readme, ...guides, ...mqttjsReadme, ...canary, ...exportsProbe])));
}, scaled(240_000));

const errorsIn = (source: string): string[] => errors.filter((e) => e.startsWith(`${source}:`));

describe('the typings, compiled under strict', () => {
  it('report a type error with its file and line (a wrong canary file is caught)', () => {
    expect(errorsIn('canary')).toEqual([expect.stringMatching(/^canary:1: TS2322: Type 'string' is not assignable to type 'number'/)]);
  });

  it('find the ts and js blocks of both READMEs and of the guides', () => {
    expect(readme.size).toBeGreaterThanOrEqual(2);
    expect(guideNames.length).toBeGreaterThanOrEqual(9);
    expect(guides.size).toBeGreaterThanOrEqual(40);
    expect(mqttjsReadme.size).toBeGreaterThanOrEqual(10);
  });

  it('compile every ts and js block of README.md', () => {
    expect(errorsIn('README.md')).toEqual([]);
  });

  it.each(guideNames)('compile every ts and js block of %s', (guide) => {
    expect(errorsIn(guide)).toEqual([]);
  });

  it('compile the MQTT.js README examples with only the import changed to rxmqtt', () => {
    expect(errorsIn('spec/types/mqttjs-readme.md')).toEqual([]);
  });

  it('export every name MQTT.js 5 exports, but for the internals listed in NOT_EXPORTED', () => {
    const [probe] = exportsProbe.keys();
    const ours = new Set(exportNames(program, probe!, 'rxmqtt'));
    const theirs = exportNames(program, probe!, 'mqtt');
    expect(theirs.length).toBeGreaterThan(40);
    expect(theirs.filter((name) => !ours.has(name) && !(name in NOT_EXPORTED))).toEqual([]);
    // NOT_EXPORTED lists only what is really left out: an entry rxmqtt exports after all is stale.
    expect(Object.keys(NOT_EXPORTED).filter((name) => ours.has(name) || !theirs.includes(name))).toEqual([]);
  });

  it('accept what spec/types/*.ts must compile and reject each // @ts-expect-error line', () => {
    expect(typeCases.length).toBeGreaterThan(0);
    const elsewhere = (e: string) => ['canary:', 'README.md:', 'docs/', 'spec/types/mqttjs-readme.md:'].every((prefix) => !e.startsWith(prefix));
    expect(errors.filter(elsewhere)).toEqual([]);
  });
});
