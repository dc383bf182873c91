/**
 * The packed tarball installed from the npm registry into an empty app that already has the oldest
 * rxjs our peer range accepts, as `npm install rxmqtt rxjs` leaves it: one RxJS in the tree (the
 * app's), so the app's `instanceof Observable` holds for rxmqtt's streams, and no broker (aedes)
 * among the production packages.
 *
 * Needs the registry: skipped with a note when it cannot be reached, unless
 * RXMQTT_REQUIRE_REGISTRY=1 (then it fails instead).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isolatedTmpdir, packWorkingTree, repoRoot, type Packed } from './packed.js';
import { HANG_DEADLINE_MS, scaled } from '../helpers/wait.js';

const peerRange = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { peerDependencies: Record<string, string> }).peerDependencies.rxjs;
/** `^7.2.0` -> `7.2.0`: the oldest rxjs an app may bring. */
const oldestRxjs = peerRange.replace(/^\^/, '');

function registryReachable(): boolean {
  try {
    execFileSync('npm', ['view', `rxjs@${oldestRxjs}`, 'version'], { stdio: 'pipe', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

function describeWithRegistry(name: string, fn: () => void): void {
  if (registryReachable()) {
    describe(name, fn);
  } else if (process.env.RXMQTT_REQUIRE_REGISTRY === '1') {
    describe(name, () => {
      it('reaches the npm registry', () => {
        throw new Error('the npm registry is required (RXMQTT_REQUIRE_REGISTRY=1) but `npm view rxjs` failed');
      });
    });
  } else {
    console.warn(`the npm registry cannot be reached: skipping "${name}" (set RXMQTT_REQUIRE_REGISTRY=1 to fail instead)`);
    describe.skip(name, fn);
  }
}

const exec = promisify(execFile);
let packed: Packed;
let project: string;

/** Runs npm in the app; resolves with its stdout, also when it exits non-zero (`npm ls` does on a problem). */
async function npm(args: string[]): Promise<string> {
  try {
    return (await exec('npm', args, { cwd: project, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (error) {
    return (error as { stdout: string }).stdout;
  }
}

/**
 * Every installed `name@version` path of a `npm ls --json` tree, e.g. `rxmqtt>rxjs@7.8.2`. An
 * optional peer that is not installed (aedes) is listed with no version: it is left out.
 */
function paths(tree: { dependencies?: Record<string, { version?: string; dependencies?: object }> }, prefix = ''): string[] {
  const installed = Object.entries(tree.dependencies ?? {}).filter(([, node]) => node.version !== undefined);
  return installed.flatMap(([name, node]) => [
    `${prefix}${name}@${node.version}`,
    ...paths(node as Parameters<typeof paths>[0], `${prefix}${name}>`),
  ]);
}

describeWithRegistry(`the packed package installed beside the app's rxjs@${oldestRxjs}`, () => {
  beforeAll(async () => {
    packed = await packWorkingTree();
    // Away from any node_modules above it: the app must see exactly what npm installed.
    project = mkdtempSync(join(isolatedTmpdir(), 'rxmqtt-app-'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    // Pinned, as apps often pin their RxJS (Angular's `~7.x`): npm cannot swap it for a newer one,
    // so a package that wants another rxjs gets a nested copy of its own.
    await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--save-exact', `rxjs@${oldestRxjs}`], { cwd: project });
    // The app already has its RxJS; a second install adds rxmqtt, as `npm install rxmqtt` would.
    await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', packed.tarball], { cwd: project });
  }, scaled(900_000)); // a full build, then two installs from the network (registry speed varies widely)

  afterAll(() => {
    packed?.remove();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('keeps one rxjs in the tree: the app’s, which rxmqtt uses', async () => {
    const tree = JSON.parse(await npm(['ls', 'rxjs', '--all', '--json']));
    expect(paths(tree).filter((path) => /(^|>)rxjs@/.test(path))).toEqual([`rxjs@${oldestRxjs}`, `rxmqtt>rxjs@${oldestRxjs}`]);
    expect(existsSync(join(project, 'node_modules/rxmqtt/node_modules/rxjs'))).toBe(false);
  });

  it('gives the app Observables of its own rxjs, from import and from require', async () => {
    const esm = `
      import { connect } from 'rxmqtt';
      import { Observable } from 'rxjs';
      const client = connect('mqtt://127.0.0.1:1', { manualConnect: true });
      console.log(client.topic('x') instanceof Observable, client.state$ instanceof Observable);
      client.end(true);
    `;
    const cjs = `
      const { connect } = require('rxmqtt');
      const { Observable } = require('rxjs');
      const client = connect('mqtt://127.0.0.1:1', { manualConnect: true });
      console.log(client.topic('x') instanceof Observable, client.state$ instanceof Observable);
      client.end(true);
    `;
    writeFileSync(join(project, 'app.mjs'), esm);
    writeFileSync(join(project, 'app.cjs'), cjs);
    for (const app of ['app.mjs', 'app.cjs']) {
      const { stdout } = await exec(process.execPath, [app], { cwd: project, encoding: 'utf8', timeout: HANG_DEADLINE_MS });
      expect([app, stdout.trim()]).toEqual([app, 'true true']);
    }
  });

  it('installs no broker: aedes is nowhere among the production packages', async () => {
    const tree = JSON.parse(await npm(['ls', '--omit=dev', '--all', '--json']));
    const all = paths(tree);
    expect(all).toContain(`rxjs@${oldestRxjs}`);
    expect(all.filter((path) => /(^|>)aedes(-[a-z]+)?@/.test(path))).toEqual([]);
    expect(existsSync(join(project, 'node_modules/aedes'))).toBe(false);
  });
});
