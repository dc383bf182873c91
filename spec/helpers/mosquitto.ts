// A private mosquitto broker per test file: its own config in a fresh temp dir, a free loopback
// port, started as a child process (never the system service) and killed by stop().
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { HANG_DEADLINE_MS } from './wait.js';

export interface MosquittoOptions {
  /** Turn on mosquitto persistence (saved on every change and on shutdown). */
  persistence?: boolean;
  /** Where the persistence database lives; defaults to the fresh temp dir. Never deleted by us. */
  dir?: string;
  /**
   * Extra config lines appended verbatim; a function gets the `extraPorts` to template in
   * (`listener ${ports[0]} 127.0.0.1`...).
   */
  extraConfig?: string[] | ((extraPorts: number[]) => string[]);
  /** How many more free loopback ports to reserve for listeners of `extraConfig`. @default 0 */
  extraPorts?: number;
}

export interface MosquittoHandle {
  port: number;
  /** The ports reserved by `extraPorts`, in order (kept across restart()). */
  extraPorts: number[];
  /** `mqtt://127.0.0.1:<port>` */
  url: string;
  /** Graceful stop (SIGTERM, SIGKILL if it lingers), then removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Crash: SIGKILL, nothing saved on the way out. restart() can bring it back. */
  kill9(): Promise<void>;
  /** Graceful stop if running, then start again on the same port with the same config. */
  restart(): Promise<void>;
}

const SYSTEM_BINARY = '/usr/sbin/mosquitto';
// Both only turn a stuck mosquitto into a failure (or a SIGKILL): generous, because a start or a
// graceful stop that saves the session store can take seconds on a loaded machine.
const READY_DEADLINE_MS = HANG_DEADLINE_MS;
const STOP_DEADLINE_MS = HANG_DEADLINE_MS;
const LOG_LINES_KEPT = 40;

/**
 * The mosquitto executable: $RXMQTT_MOSQUITTO_BIN when set (and only that), else the first on
 * PATH, else /usr/sbin/mosquitto; undefined if none is executable.
 */
export function mosquittoPath(): string | undefined {
  const override = process.env.RXMQTT_MOSQUITTO_BIN;
  const onPath = (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, 'mosquitto'));
  const candidates = override ? [override] : [...onPath, SYSTEM_BINARY];
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const whereLooked = () =>
  process.env.RXMQTT_MOSQUITTO_BIN
    ? `RXMQTT_MOSQUITTO_BIN=${process.env.RXMQTT_MOSQUITTO_BIN} is not executable`
    : `not on PATH nor at ${SYSTEM_BINARY}`;

export function mosquittoAvailable(): boolean {
  return mosquittoPath() !== undefined;
}

/**
 * `describe` when mosquitto is installed. Without it: a failing test when
 * RXMQTT_REQUIRE_MOSQUITTO=1 (CI must not silently skip), else `describe.skip` with a note.
 */
export function describeMosquitto(name: string, fn: () => void): void {
  if (mosquittoAvailable()) {
    describe(name, fn);
  } else if (process.env.RXMQTT_REQUIRE_MOSQUITTO === '1') {
    describe(name, () => {
      test('mosquitto is installed', () => {
        throw new Error(
          `mosquitto is required (RXMQTT_REQUIRE_MOSQUITTO=1) but missing: ${whereLooked()}`,
        );
      });
    });
  } else {
    console.warn(`mosquitto is not installed: skipping "${name}" (set RXMQTT_REQUIRE_MOSQUITTO=1 to fail instead)`);
    describe.skip(name, fn);
  }
}

/** A port that was free a moment ago on 127.0.0.1 (bind port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** `count` distinct free ports, none equal to `taken`. Bounded: gives up after a few draws per port. */
async function freePorts(count: number, taken: number): Promise<number[]> {
  const ports: number[] = [];
  for (let draws = 0; ports.length < count; draws++) {
    if (draws > count * 5) throw new Error(`could not find ${count} distinct free ports`);
    const port = await freePort();
    if (port !== taken && !ports.includes(port)) ports.push(port);
  }
  return ports;
}

// Brokers still running when the worker exits (a test forgot stop()) must not outlive it.
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export async function startMosquitto(opts: MosquittoOptions = {}): Promise<MosquittoHandle> {
  const binary = mosquittoPath();
  if (!binary) throw new Error(`mosquitto not found: ${whereLooked()}`);
  installExitHook();

  const tempDir = mkdtempSync(join(tmpdir(), 'rxmqtt-mosquitto-'));
  const configFile = join(tempDir, 'mosquitto.conf');
  const dataDir = opts.dir ?? tempDir;
  const log: string[] = [];
  const remember = (chunk: Buffer) => {
    log.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (log.length > LOG_LINES_KEPT) log.splice(0, log.length - LOG_LINES_KEPT);
  };

  const writeConfig = (port: number, extraPorts: number[]) => {
    const extraConfig = typeof opts.extraConfig === 'function' ? opts.extraConfig(extraPorts) : (opts.extraConfig ?? []);
    const lines = [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'max_inflight_messages 0',
      'max_queued_messages 100000',
      'set_tcp_nodelay true',
      // As root, mosquitto drops to the `mosquitto` user, which cannot write our 0700 temp dir.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      ...(opts.persistence
        ? ['persistence true', `persistence_location ${dataDir}/`, 'autosave_interval 1', 'autosave_on_changes true']
        : []),
      ...extraConfig,
    ];
    writeFileSync(configFile, lines.join('\n') + '\n');
  };

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const spawnBroker = async (port: number, extraPorts: number[]): Promise<void> => {
    log.length = 0;
    const proc = spawn(binary, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', remember);
    proc.stderr!.on('data', remember);
    child = proc;
    running.add(proc);
    let hasExited = false;
    exited = new Promise<void>((resolve) => {
      const finish = () => {
        hasExited = true;
        running.delete(proc);
        if (child === proc) child = undefined;
        resolve();
      };
      // A failed spawn (ENOENT, EACCES) reports 'error' and may never report 'close'.
      proc.once('error', (error) => {
        log.push(`spawn error: ${error.message}`);
        finish();
      });
      proc.once('close', finish);
    });
    const deadline = Date.now() + READY_DEADLINE_MS;
    for (;;) {
      if (hasExited) {
        throw new Error(`mosquitto exited before accepting connections on port ${port}:\n${log.join('\n')}`);
      }
      if (await canConnect(port)) {
        // Every listener opens at startup; a second one may still lag the first by a moment.
        const ready = await Promise.all(extraPorts.map(canConnect));
        if (ready.every(Boolean)) return;
      }
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        await exited;
        throw new Error(`mosquitto did not accept connections on port ${port} within ${READY_DEADLINE_MS} ms:\n${log.join('\n')}`);
      }
      await delay(25);
    }
  };

  const terminate = async (signal: NodeJS.Signals) => {
    const proc = child;
    if (!proc) return;
    proc.kill(signal);
    if (signal !== 'SIGKILL') {
      let timer: NodeJS.Timeout | undefined;
      const lingering = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), STOP_DEADLINE_MS);
      });
      const result = await Promise.race([exited, lingering]);
      clearTimeout(timer);
      if (result === 'timeout') proc.kill('SIGKILL');
    }
    await exited;
  };

  // The free port can be taken between our probe and mosquitto's bind: retry a few times.
  let port = 0;
  let extraPorts: number[] = [];
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    extraPorts = await freePorts(opts.extraPorts ?? 0, port);
    writeConfig(port, extraPorts);
    try {
      await spawnBroker(port, extraPorts);
      break;
    } catch (error) {
      const inUse = log.some((line) => /address already in use/i.test(line));
      if (!inUse || attempt >= 3) {
        rmSync(tempDir, { recursive: true, force: true });
        throw error;
      }
    }
  }

  let stopped = false;
  let stopping: Promise<void> | undefined;
  return {
    port,
    extraPorts,
    url: `mqtt://127.0.0.1:${port}`,
    stop() {
      stopping ??= (async () => {
        stopped = true;
        await terminate('SIGTERM');
        rmSync(tempDir, { recursive: true, force: true });
      })();
      return stopping;
    },
    async kill9() {
      await terminate('SIGKILL');
    },
    async restart() {
      if (stopped) throw new Error('restart() after stop()');
      await terminate('SIGTERM');
      await spawnBroker(port, extraPorts);
    },
  };
}
