/**
 * What `npm pack` ships, and what an installed package does without the registry: the tarball's
 * file list, its package.json, its source maps, the bundle subpaths, and the `broker` command and
 * the demo when aedes (a devDependency, an optional peer) is not installed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { isolatedTmpdir, packWorkingTree, repoRoot, unpackInto, type Packed } from './packed.js';
import { brokenLinks } from '../helpers/markdown-links.js';
import { runNode } from '../helpers/run-node.js';
import { scaled } from '../helpers/wait.js';

let packed: Packed;
let project: string;
let pkg: string;

beforeAll(async () => {
  packed = await packWorkingTree();
  // Away from any node_modules above it, where Node would find an aedes after all.
  project = mkdtempSync(join(isolatedTmpdir(), 'rxmqtt-no-aedes-'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true }));
  pkg = unpackInto(project, packed.tarball, ['aedes']);
}, scaled(480_000)); // a full build (tsc twice, esbuild): minutes on a busy 2-core machine

afterAll(() => {
  packed?.remove();
  if (project) rmSync(project, { recursive: true, force: true });
});

const read = (path: string) => readFileSync(join(pkg, path), 'utf8');
const manifest = () => JSON.parse(read('package.json')) as Record<string, Record<string, unknown> | undefined>;

/** Runs node in the project. */
const node = (args: string[]) => runNode(args, project);

describe('the packed tarball', () => {
  it('holds the builds, README.md, LICENSE, CHANGELOG.md and package.json', () => {
    for (const file of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/esm/lib/index.js', 'dist/esm/lib/index.d.ts', 'dist/cjs/lib/index.js', 'dist/cli/rxmqtt.mjs']) {
      expect(packed.files).toContain(file);
    }
    for (const bundle of ['dist/rxmqtt.js', 'dist/rxmqtt.min.js', 'dist/rxmqtt.esm.js', 'dist/browser/rxmqtt.js']) expect(packed.files).toContain(bundle);
  });

  it('ships the guides, and every relative link of its README and guides resolves inside the package', () => {
    const pages = packed.files.filter((file) => file === 'README.md' || /^docs\/[^/]+\.md$/.test(file));
    expect(pages.length).toBeGreaterThanOrEqual(10);
    expect(brokenLinks(pkg, pages)).toEqual([]);
  });

  it('points the rxmqtt bin at the CLI bundle, which carries its own rxjs and yargs and leaves aedes outside', () => {
    const bin = (manifest().bin as Record<string, string>).rxmqtt!;
    expect(packed.files).toContain(bin.replace(/^\.\//, ''));
    const chunks = packed.files.filter((file) => /^dist\/cli\/.*\.mjs$/.test(file)).map(read);
    expect(chunks.filter((text) => /from\s*["'](rxjs|yargs|mqtt-packet|debug|ws)["']/.test(text))).toEqual([]);
    expect(chunks.some((text) => /import\(\s*["']aedes["']\s*\)/.test(text))).toBe(true);
  });

  it('holds no specs, benchmarks, scripts, TypeScript sources, test files or node_modules', () => {
    const unwanted = packed.files.filter(
      (file) =>
        /^(spec|bench|scripts|lib|operators|cli|examples|docs\/api)\//.test(file) ||
        file.includes('node_modules/') ||
        (/\.(ts|mts|cts)$/.test(file) && !/\.d\.(ts|mts|cts)$/.test(file)) ||
        /\.(spec|test)\.[cm]?[jt]s$/.test(file) ||
        /(^|\/)(tsconfig[^/]*\.json|jest\.config\.[^/]+|\.ci\/.*)$/.test(file),
    );
    expect(unwanted).toEqual([]);
  });

  it('ships the MIT license its package.json names', () => {
    expect(manifest().license).toBe('MIT');
    expect(read('LICENSE')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} rxmqtt contributors\n/);
  });

  it('names the repository, home page and issue tracker', () => {
    const { repository, homepage, bugs } = manifest() as Record<string, unknown>;
    expect(repository).toEqual({ type: 'git', url: 'git+https://github.com/rxmqtt/rxmqtt.git' });
    expect(homepage).toBe('https://github.com/rxmqtt/rxmqtt#readme');
    expect(bugs).toEqual({ url: 'https://github.com/rxmqtt/rxmqtt/issues' });
  });

  it('asks the app for rxjs (a peer) and never installs a broker with the library', () => {
    const { dependencies = {}, peerDependencies = {}, peerDependenciesMeta = {} } = manifest();
    expect(Object.keys(dependencies)).not.toContain('rxjs');
    expect(Object.keys(dependencies)).not.toContain('aedes');
    expect(peerDependencies.rxjs).toMatch(/^\^7\.\d+\.\d+$/);
    // Optional: only `rxmqtt broker` needs it, and npm installs no optional peer by itself.
    expect(peerDependenciesMeta.aedes).toEqual({ optional: true });
    // yargs is the CLI's: the library never loads it.
    const libraryImports = packed.files.filter((f) => /^dist\/(esm|cjs)\/(lib|operators)\/.*\.js$/.test(f)).filter((f) => /['"]yargs/.test(read(f)));
    expect(libraryImports).toEqual([]);
  });

  it('maps every built .js to its TypeScript with paths inside the package, never this machine’s', () => {
    const scripts = packed.files.filter((file) => /\.m?js$/.test(file));
    expect(scripts.filter((file) => !packed.files.includes(`${file}.map`))).toEqual([]);
    const outside: string[] = [];
    for (const file of packed.files.filter((f) => /\.m?js\.map$/.test(f))) {
      const map = JSON.parse(read(file)) as { sources: string[]; sourcesContent?: Array<string | null> };
      // Relative to the map, sources land in the package's own tree (lib/x.ts, node_modules/y as
      // the repository has them), never outside it: that would be where this machine keeps them.
      const repo = resolve('/pkg-root');
      for (const source of map.sources) {
        const where = resolve(repo, dirname(file), source);
        if (isAbsolute(source) || source.startsWith('file:') || relative(repo, where).startsWith('..')) outside.push(`${file}: ${source}`);
      }
      // The .ts files are not shipped: a debugger shows them from the map.
      expect(map.sourcesContent?.filter((text) => typeof text === 'string')).toHaveLength(map.sources.length);
    }
    expect(outside).toEqual([]);
  });

  it('contains no path of the machine it was built on', () => {
    const text = packed.files.filter((f) => /\.(js|map|json|md|ts)$/.test(f) || f === 'LICENSE');
    const leaking = text.filter((file) => [packed.stage, repoRoot].some((path) => read(file).includes(path)));
    expect(leaking).toEqual([]);
  });
});

describe('the bundle subpaths, as MQTT.js has mqtt/dist/mqtt, mqtt/dist/mqtt.min and mqtt/dist/mqtt.esm', () => {
  it('resolve rxmqtt/dist/rxmqtt and rxmqtt/dist/rxmqtt.min to the script-tag bundles defining the global rxmqtt', async () => {
    const source = `
      const { readFileSync } = require('node:fs');
      for (const id of ['rxmqtt/dist/rxmqtt', 'rxmqtt/dist/rxmqtt.min']) {
        const file = require.resolve(id);
        const global = new Function(readFileSync(file, 'utf8') + '; return rxmqtt;')();
        console.log(file.split('node_modules/').pop(), typeof global.connect, typeof global.MqttClient);
      }
    `;
    writeFileSync(join(project, 'iife.cjs'), source);
    const run = await node(['iife.cjs']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('rxmqtt/dist/rxmqtt.js function function\nrxmqtt/dist/rxmqtt.min.js function function\n');
  });

  it('resolve rxmqtt/dist/rxmqtt.esm to the self-contained ES module with a default export', async () => {
    const source = `
      import mqtt, { connectAsync } from 'rxmqtt/dist/rxmqtt.esm';
      console.log(import.meta.resolve('rxmqtt/dist/rxmqtt.esm').split('node_modules/').pop(), typeof mqtt.connect, typeof connectAsync);
    `;
    writeFileSync(join(project, 'esm.mjs'), source);
    const run = await node(['esm.mjs']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('rxmqtt/dist/rxmqtt.esm.js function function\n');
  });
});

describe('without aedes installed', () => {
  it('`rxmqtt broker` exits 2 (a usage error) with one line saying to npm install aedes', async () => {
    const run = await node([join(pkg, 'dist/cli/rxmqtt.mjs'), 'broker', '-p', '0']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^rxmqtt: the broker command needs the aedes package: run npm install aedes[^\n]*\n$/);
  });

  it('the demo exits 2 with one line saying to npm install aedes or pass a broker URL', async () => {
    const run = await node([join(pkg, 'dist/esm/examples/demo.js')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^demo: the embedded broker needs the aedes package: run npm install aedes, or pass a broker URL[^\n]*\n$/);
  });

  it('`rxmqtt sub` and `pub` still work (they never load aedes)', async () => {
    const run = await node([join(pkg, 'dist/cli/rxmqtt.mjs'), 'pub', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('rxmqtt pub');
  });
});
