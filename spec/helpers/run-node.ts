/** Runs a Node.js script as a child process, as a user runs it from a shell. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { HANG_DEADLINE_MS } from './wait.js';

export interface NodeRun {
  /** The exit code (0 when it succeeded). */
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node ...args` in `cwd`; resolves with its exit code and both outputs, never rejects. */
export async function runNode(args: string[], cwd: string): Promise<NodeRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, { cwd, encoding: 'utf8', timeout: HANG_DEADLINE_MS });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as NodeRun;
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
