/**
 * Runs the BUILT `rxmqtt` command as child processes, against an aedes broker in the jest worker.
 * Children are always spawned asynchronously: a synchronous spawn would block the in-process
 * broker. Every wait ends on an event (an output line, a broker event, an exit) and has a
 * deadline that only turns a hung child into a failure.
 *
 * @example
 * const h = useCliHarness();                   // at the top of the spec file
 * const sub = await h.subscribed('id', ['-t', 'a']);
 * await h.pub(['-t', 'a', '-m', 'x']);
 * // (or startCliHarness() / h.close() by hand)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Client } from 'aedes';
import type { AedesOptions } from 'aedes';
import { startAedes, type AedesHandle } from './aedes.js';
import { HANG_DEADLINE_MS, scaled } from './wait.js';

export const root = resolve('.');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Rejects with `what` if `promise` has not settled within `ms` (a child on a loaded machine can take seconds to start). */
export function within<T>(promise: Promise<T>, what: () => string, ms = HANG_DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what()}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Runs `task` over `items` with at most `size` at once, resolving with the results in order.
 * Starting every child process at once on a 2-core machine makes each one slow to start.
 */
export async function inPool<T, R>(items: readonly T[], size: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  return results;
}

/** Runs a command to its end; resolves with its exit code and combined output. */
export function runToEnd(command: string, args: string[], timeoutMs = HANG_DEADLINE_MS): Promise<{ code: number | null; output: string }> {
  const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const done = new Promise<{ code: number | null; output: string }>((res) => child.once('close', (code) => res({ code, output })));
  return within(done, () => `${command} ${args.join(' ')}\n${output}`, timeoutMs);
}

/** A build of the CLI in a directory of its own (not dist/, which `npm run build` rewrites). */
export interface CliBuild {
  /** The file to run with node. */
  cliPath: string;
  remove(): void;
}

/**
 * Builds the CLI for a spec file as `npm run build` does (scripts/cli-bundle.mjs): the shipped
 * bundle, so every CLI spec runs what the package's `bin` runs. Inside the repository, so that
 * aedes (left outside the bundle) resolves from its node_modules; .rxmqtt-*\/ is ignored by git.
 */
export async function buildCli(): Promise<CliBuild> {
  const buildDir = mkdtempSync(join(root, '.rxmqtt-cli-build-'));
  const bundle = await runToEnd(process.execPath, ['scripts/cli-bundle.mjs', buildDir], scaled(120_000));
  if (bundle.code !== 0) throw new Error(`the CLI bundle failed (${bundle.code}):\n${bundle.output}`);
  return { cliPath: join(buildDir, 'rxmqtt.mjs'), remove: () => rmSync(buildDir, { recursive: true, force: true }) };
}

/** One spawned `rxmqtt` with its stdout split into lines. */
export class CliRun {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<Exit>;
  private partial = '';
  private readonly listeners = new Set<() => void>();

  constructor(cliPath: string, readonly args: string[], stdin: 'pipe' | 'ignore', env?: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [cliPath, ...args], { cwd: root, stdio: [stdin, 'pipe', 'pipe'], env: env ?? process.env });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop()!;
      this.lines.push(...parts);
      for (const listener of this.listeners) listener();
    });
    this.child.stdout!.on('error', () => undefined);
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
      for (const listener of this.listeners) listener();
    });
    this.exited = new Promise((res) => this.child.once('close', (code, signal) => res({ code, signal })));
  }

  /** Resolves once stdout has at least `n` complete lines. */
  waitForLines(n: number, timeoutMs = HANG_DEADLINE_MS): Promise<string[]> {
    return this.waitFor(() => this.lines.length >= n, timeoutMs, `${n} lines`).then(() => this.lines.slice(0, n));
  }

  /** Resolves once a stdout line satisfies `predicate`. */
  waitForLine(predicate: (line: string) => boolean, timeoutMs = HANG_DEADLINE_MS): Promise<string> {
    return this.waitFor(() => this.lines.some(predicate), timeoutMs, 'a matching line').then(() => this.lines.find(predicate)!);
  }

  /** Resolves once stderr satisfies `predicate`. */
  waitForStderr(predicate: (stderr: string) => boolean, timeoutMs = HANG_DEADLINE_MS): Promise<string> {
    return this.waitFor(() => predicate(this.stderr), timeoutMs, 'matching stderr').then(() => this.stderr);
  }

  /** Resolves with the exit once the process ended. */
  exit(timeoutMs = HANG_DEADLINE_MS): Promise<Exit> {
    return within(this.exited, () => this.describe('exit'), timeoutMs);
  }

  private waitFor(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (ready()) return Promise.resolve();
    let listener!: () => void;
    const done = new Promise<void>((res) => {
      listener = () => ready() && res();
      this.listeners.add(listener);
    });
    return within(done, () => this.describe(what), timeoutMs).finally(() => this.listeners.delete(listener));
  }

  private describe(what: string): string {
    return `rxmqtt ${this.args.join(' ')} waiting for ${what}; stdout: ${JSON.stringify(this.lines)}; stderr: ${this.stderr}`;
  }
}

/** The built CLI and an aedes broker for one spec file, with the usual ways to drive them. */
export class CliHarness {
  /** `-h 127.0.0.1 -p <aedes port>`. */
  at: string[] = [];
  private readonly running = new Set<CliRun>();
  private built?: CliBuild;
  private broker?: AedesHandle;

  /** Builds the CLI and starts aedes (with `options`), side by side. */
  async start(options?: Partial<AedesOptions>): Promise<this> {
    [this.built, this.broker] = await Promise.all([buildCli(), startAedes(options)]);
    this.at = ['-h', '127.0.0.1', '-p', String(this.broker.port)];
    return this;
  }

  get build(): CliBuild {
    if (!this.built) throw new Error('the CLI harness has not started');
    return this.built;
  }

  get aedes(): AedesHandle {
    if (!this.broker) throw new Error('the CLI harness has not started');
    return this.broker;
  }

  get cliPath(): string {
    return this.build.cliPath;
  }

  /** Spawns `rxmqtt ...args` (killed by `killAll()` / `close()` if still running). */
  cli(args: string[], stdin: 'pipe' | 'ignore' = 'ignore', env?: NodeJS.ProcessEnv): CliRun {
    const run = new CliRun(this.build.cliPath, args, stdin, env);
    this.running.add(run);
    void run.exited.then(() => this.running.delete(run));
    return run;
  }

  /** Runs `rxmqtt pub <at> ...args` to its end and expects exit 0. */
  async pub(args: string[]): Promise<void> {
    const run = this.cli(['pub', ...this.at, ...args]);
    const exit = await run.exit();
    if (exit.code !== 0) throw new Error(`pub ${args.join(' ')} exited ${exit.code}: ${run.stderr}`);
  }

  /** The next time aedes emits `event` for the client `clientId` (register before spawning). */
  brokerEvent(event: 'client' | 'clientDisconnect' | 'subscribe', clientId: string, timeoutMs = HANG_DEADLINE_MS): Promise<Client> {
    const broker = this.aedes.broker;
    let listener!: (...args: unknown[]) => void;
    const seen = new Promise<Client>((res) => {
      listener = (...args: unknown[]) => {
        const client = (event === 'subscribe' ? args[1] : args[0]) as Client | undefined;
        if (client?.id === clientId) res(client);
      };
      broker.on(event as 'client', listener);
    });
    return within(seen, () => `aedes "${event}" from ${clientId}`, timeoutMs).finally(() => broker.off(event, listener));
  }

  /** Spawns `rxmqtt sub <at> -i clientId ...args` and resolves once the broker has its subscription. */
  async subscribed(clientId: string, args: string[]): Promise<CliRun> {
    const ready = this.brokerEvent('subscribe', clientId);
    const run = this.cli(['sub', ...this.at, '-i', clientId, ...args]);
    await ready.catch((error: Error) => {
      throw new Error(`${error.message}; stderr: ${run.stderr}`);
    });
    return run;
  }

  killAll(): void {
    for (const run of this.running) run.child.kill('SIGKILL');
    this.running.clear();
  }

  async close(): Promise<void> {
    this.killAll();
    await this.broker?.close();
    this.built?.remove();
  }
}

/** Builds the CLI and starts aedes (with `options`), side by side. */
export function startCliHarness(options?: Partial<AedesOptions>): Promise<CliHarness> {
  return new CliHarness().start(options);
}

/** How long a CLI spec's beforeAll may take: a build on a loaded machine. */
export const CLI_SETUP_MS = scaled(240_000);

/**
 * A harness for the whole spec file: started before its tests, children killed after each test,
 * closed after the last.
 */
export function useCliHarness(options?: Partial<AedesOptions>): CliHarness {
  const harness = new CliHarness();
  beforeAll(() => harness.start(options), CLI_SETUP_MS);
  afterEach(() => harness.killAll());
  afterAll(() => harness.close());
  return harness;
}
