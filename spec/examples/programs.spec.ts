/**
 * Every program in examples/ runs, against the embedded broker, and prints what its comment says.
 * Each is compiled from its TypeScript as it is now (esbuild, into the gitignored
 * `.rxmqtt-examples/` at the repository root, so its imports of rxjs and the other packages resolve
 * as from the repository), run with node as a user runs it, and judged by its output and exit code.
 * The demo (`npm start`) starts its own aedes broker; the others get the URL of one this spec
 * starts, as their usage line says. A new example without an entry in EXPECTED fails the spec.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { startAedes, type AedesHandle } from '../helpers/aedes.js';
import { runNode } from '../helpers/run-node.js';
import { scaled } from '../helpers/wait.js';

const root = resolve(dirname(expect.getState().testPath!), '../..');
const outDir = join(root, '.rxmqtt-examples');

interface Expected {
  /** Whether the program gets the spec's broker URL (else it starts its own broker). */
  brokerUrl: boolean;
  /** Lines its stdout must contain, in this order (other lines may come between). */
  lines: Array<string | RegExp>;
}

const EXPECTED: Record<string, Expected> = {
  'demo.ts': {
    brokerUrl: false,
    lines: [
      /^broker: embedded aedes at mqtt:\/\/127\.0\.0\.1:\d+$/,
      'published demo/kitchen/temperature = 21.5 at qos 0',
      'published demo/cellar/temperature = 12 at qos 2',
      'done: 4 of 4 readings received',
    ],
  },
  'observable.ts': {
    brokerUrl: true,
    lines: ['state: connecting', 'state: connected', 'published 2 readings', /^(kitchen: 21\.5|cellar: 12) °C$/, /^(kitchen: 21\.5|cellar: 12) °C$/, 'cleared', 'state: closed'],
  },
  'mqttjs-style.ts': { brokerUrl: true, lines: ['presence: Hello mqtt'] },
  'worker.ts': {
    brokerUrl: true,
    lines: [...Array.from({ length: 10 }, (_, i) => `jobs/${i} -> JOB ${i}`), 'worker: 10 jobs done'],
  },
};

const programs = readdirSync(join(root, 'examples')).filter((name) => name.endsWith('.ts'));

/** Compiles one example with its imports of lib/ bundled in and the packages left to node. */
async function compile(name: string): Promise<string> {
  const outfile = join(outDir, name.replace(/\.ts$/, '.mjs'));
  await build({ entryPoints: [join(root, 'examples', name)], outfile, bundle: true, packages: 'external', platform: 'node', format: 'esm', target: 'node20', logLevel: 'error' });
  return outfile;
}

/** The expected lines that are missing from `stdout`, in order. */
function missing(stdout: string, lines: Array<string | RegExp>): Array<string | RegExp> {
  const output = stdout.split('\n');
  let at = 0;
  return lines.filter((line) => {
    const found = output.findIndex((text, i) => i >= at && (typeof line === 'string' ? text === line : line.test(text)));
    if (found < 0) return true;
    at = found + 1;
    return false;
  });
}

let broker: AedesHandle;
beforeAll(async () => {
  mkdirSync(outDir, { recursive: true });
  broker = await startAedes();
});
afterAll(async () => {
  await broker?.close();
  rmSync(outDir, { recursive: true, force: true });
});

describe('the examples', () => {
  it('each have an expected output here', () => {
    expect(programs.length).toBeGreaterThanOrEqual(4);
    expect(programs.filter((name) => !(name in EXPECTED))).toEqual([]);
  });

  it.each(Object.keys(EXPECTED))('%s runs against the embedded broker, prints what it says and exits 0', async (name) => {
    const expected = EXPECTED[name]!;
    const result = await runNode([await compile(name), ...(expected.brokerUrl ? [broker.url] : [])], root);
    expect({ missing: missing(result.stdout, expected.lines), code: result.code, stderr: result.stderr }).toEqual({ missing: [], code: 0, stderr: '' });
  }, scaled(60_000));
});
