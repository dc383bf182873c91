/**
 * The packed package works from another project with every import style of the MQTT.js README:
 * `require`, `import * as`, named imports and the default import, plus `rxmqtt/operators`.
 * Builds and packs the real tarball (`npm pack` runs the build, in a copy of the working tree:
 * see packed.ts), unpacks it into a scratch project and runs small scripts there with plain `node`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAedes, type AedesHandle } from '../helpers/aedes.js';
import { startWsBroker, type WsBroker } from '../transport/ws-broker.js';
import { isolatedTmpdir, packWorkingTree, repoRoot as root, unpackInto, type Packed } from './packed.js';
import { HANG_DEADLINE_MS, scaled } from '../helpers/wait.js';

let packed: Packed;
let project: string;
let broker: AedesHandle;
let wsBroker: WsBroker;

beforeAll(async () => {
  packed = await packWorkingTree();
  project = mkdtempSync(join(isolatedTmpdir(), 'rxmqtt-pack-'));
  // The package's dependencies, and the rxjs the scratch project's own scripts import (as an app
  // using the Observable API would), come from this checkout instead of the registry.
  unpackInto(project, packed.tarball);
  broker = await startAedes();
  wsBroker = await startWsBroker();
}, scaled(480_000)); // a full build (tsc twice, esbuild): minutes on a busy 2-core machine

afterAll(async () => {
  await broker?.close();
  await wsBroker?.close();
  packed?.remove();
  if (project) rmSync(project, { recursive: true, force: true });
});

/** Runs `source` as a file named `name` in the scratch project; resolves with its stdout. */
async function run(name: string, source: string, args: string[] = [broker.url], nodeFlags: string[] = []): Promise<string> {
  const file = join(project, name);
  writeFileSync(file, source);
  // Asynchronous: the broker lives in this process and must keep serving while the script runs.
  const { stdout } = await promisify(execFile)(process.execPath, [...nodeFlags, file, ...args], { cwd: project, encoding: 'utf8', timeout: HANG_DEADLINE_MS });
  return stdout.trim();
}

// Each script connects, round-trips one QoS 1 message through the broker and prints it.
const roundTrip = (mqtt: string) => `
  const client = ${mqtt}.connect(process.argv[2]);
  client.on('connect', () => client.subscribe('pkg/test', { qos: 1 }, () => client.publish('pkg/test', 'hello', { qos: 1 })));
  client.on('message', (topic, payload) => { console.log(topic + ' ' + payload.toString()); client.end(); });
`;

describe('the packed package', () => {
  it('works with require()', async () => {
    expect(await run('require.cjs', `const mqtt = require('rxmqtt');${roundTrip('mqtt')}`)).toBe('pkg/test hello');
  });

  it('works with import * as mqtt', async () => {
    expect(await run('star.mjs', `import * as mqtt from 'rxmqtt';${roundTrip('mqtt')}`)).toBe('pkg/test hello');
  });

  it('works with a default import', async () => {
    expect(await run('default.mjs', `import mqtt from 'rxmqtt';${roundTrip('mqtt')}`)).toBe('pkg/test hello');
  });

  it('works with named imports and the Observable API', async () => {
    const source = `
      import { connectAsync } from 'rxmqtt';
      import { filterTopic } from 'rxmqtt/operators';
      import { firstValueFrom } from 'rxjs';
      const client = await connectAsync(process.argv[2]);
      const first = firstValueFrom(client.topic('pkg/+').pipe(filterTopic('pkg/named')));
      await client.subscribeAsync('pkg/+');
      await client.publishAsync('pkg/named', 'observable', { qos: 1 });
      const message = await first;
      console.log(message.topic + ' ' + message.payload.toString());
      await client.endAsync();
    `;
    expect(await run('named.mjs', source)).toBe('pkg/named observable');
  });

  it('ships type declarations for both module systems', async () => {
    const source = `
      const { existsSync } = require('node:fs');
      const pkg = require('rxmqtt/package.json');
      const files = [pkg.exports['.'].import.types, pkg.exports['.'].require.types, pkg.exports['./operators'].import.types];
      console.log(files.every((f) => existsSync(require.resolve('rxmqtt/package.json').replace('package.json', f))));
    `;
    expect(await run('types.cjs', source)).toBe('true');
  });
});

/**
 * A browser app's bundler resolves `rxmqtt` through the `browser` export condition: esbuild with
 * `platform: 'browser'` and no polyfills (it fails on any Node built-in) must build it, and the
 * only packages in the output are rxmqtt's browser build, rxjs and tslib (rxjs's helper).
 */
describe('the packed package in a browser bundler', () => {
  const app = `
    import mqtt from 'rxmqtt';
    import { filterTopic } from 'rxmqtt/operators';
    import { firstValueFrom } from 'rxjs';
    const client = mqtt.connect(process.argv[2]);
    const first = firstValueFrom(client.topic('web/+').pipe(filterTopic('web/app')));
    client.on('connect', () => client.subscribe('web/+', () => client.publish('web/app', 'bundled', { qos: 1 })));
    first.then((m) => { console.log(m.topic + ' ' + new TextDecoder().decode(m.payload)); client.end(); });
  `;
  const buildScript = `
    import * as esbuild from ${JSON.stringify(join(root, 'node_modules/esbuild/lib/main.js'))};
    const result = await esbuild.build({
      entryPoints: ['app.mjs'], bundle: true, platform: 'browser', format: 'esm', outfile: 'out/app.js',
      metafile: true, logLevel: 'silent', define: { 'process.argv': 'globalThis.__argv' },
    });
    const packageOf = (f) => (f.includes('node_modules/') ? f.split('node_modules/').pop().split('/')[0] : 'app');
    const packages = new Set(Object.keys(result.metafile.inputs).map(packageOf));
    console.log([...packages].sort().join(' '));
  `;

  it('builds with esbuild for the browser without Node built-ins or polyfills', async () => {
    writeFileSync(join(project, 'app.mjs'), app);
    expect(await run('build-app.mjs', buildScript, [])).toBe('app rxjs rxmqtt tslib');
  });

  it('runs the bundled app against a WebSocket broker (Node 20: --experimental-websocket)', async () => {
    writeFileSync(join(project, 'app.mjs'), app);
    await run('build-app.mjs', buildScript, []);
    const runner = `globalThis.__argv = process.argv; await import('./out/app.js');`;
    const flags = typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function' ? [] : ['--experimental-websocket'];
    expect(await run('run-app.mjs', runner, [`ws://127.0.0.1:${wsBroker.port}`], flags)).toBe('web/app bundled');
  });
});
