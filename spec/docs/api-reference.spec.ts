/**
 * The API reference builds without a warning: `npm run docs` runs TypeDoc with typedoc.json
 * (every export documented, no link to an undocumented name, no public signature naming a type
 * the reference leaves out, warnings treated as errors). This runs the same TypeDoc with the same
 * configuration as a child process, writing into a temporary directory instead of docs/api/, and
 * fails listing every warning and error it printed, so an undocumented export fails here first.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { scaled } from '../helpers/wait.js';

const root = resolve(dirname(expect.getState().testPath!), '../..');

/** The outcome of one TypeDoc run: its exit code and what it printed, colours left out. */
interface TypeDocRun {
  code: number;
  output: string;
}

/** Runs TypeDoc as `npm run docs` does (typedoc.json at the root), into `out`. */
function runTypeDoc(out: string): Promise<TypeDocRun> {
  const bin = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
  return new Promise((done) => {
    execFile(
      process.execPath,
      [bin, '--out', out],
      { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        done({ code, output: `${stdout}${stderr}`.replace(/\u001b\[[0-9;]*m/g, '') });
      },
    );
  });
}

/** The `[warning]` and `[error]` lines TypeDoc printed, without its closing count. */
function problemsIn(output: string): string[] {
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^\[(warning|error)\]/.test(line) && !/^\[\w+\] Found \d+ errors and \d+ warnings/.test(line));
}

describe('the API reference (npm run docs)', () => {
  it(
    'builds from typedoc.json with no warning and no error',
    async () => {
      const out = mkdtempSync(join(tmpdir(), 'rxmqtt-api-'));
      try {
        const { code, output } = await runTypeDoc(out);
        const problems = problemsIn(output);
        if (problems.length > 0) throw new Error(`TypeDoc reported ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
        if (code !== 0) throw new Error(`TypeDoc exited with ${code}:\n${output}`);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
    scaled(300_000), // ~11 s of CPU when idle; minutes on a loaded 2-core machine
  );
});
