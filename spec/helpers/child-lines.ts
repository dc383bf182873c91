/** A child process's stdout read line by line, with a way to wait for lines that match. */
import type { ChildProcess } from 'node:child_process';

export class ChildLines {
  readonly all: string[] = [];
  private partial = '';
  private waiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;
  stderr = '';

  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (this.partial + chunk.toString()).split('\n');
      this.partial = lines.pop()!;
      this.all.push(...lines);
      for (const wake of this.waiters) wake();
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('close', (code) => resolve(code)));
  }

  matching(pattern: RegExp): string[] {
    return this.all.filter((line) => pattern.test(line));
  }

  /**
   * Resolves once `n` lines match `pattern`; rejects if the child exits first, or after
   * `deadlineMs` (a hung child must fail its test, not stall the suite: make it generous).
   */
  waitFor(pattern: RegExp, n: number, deadlineMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        if (error) reject(error);
        else resolve();
      };
      const seen = () => `${this.matching(pattern).length} of ${n} lines matching ${pattern}`;
      const check = () => this.matching(pattern).length >= n && done();
      const timer = setTimeout(() => done(new Error(`${seen()} within ${deadlineMs} ms:\n${this.all.join('\n')}\n${this.stderr}`)), deadlineMs);
      this.waiters.push(check);
      check();
      void this.exited.then(() => this.matching(pattern).length < n && done(new Error(`the child exited with ${seen()}:\n${this.all.join('\n')}\n${this.stderr}`)));
    });
  }
}
