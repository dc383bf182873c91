// FileStore's directory lock, as two processes see it: a second FileStore on a held directory
// fails with a typed error naming the owner, close() releases, and a lock left by a process killed
// with SIGKILL is taken over by the next opener. The other process is a real child running
// FileStore from an esbuild bundle of lib/stores/file-store.ts made in beforeAll.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { FileStore, StoreLockedError } from '../../lib/index.js';
import { LOCK_FILE } from '../../lib/stores/store-lock.js';

const here = dirname(fileURLToPath(import.meta.url));

let bundleDir: string;
let bundle: string;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  bundleDir = mkdtempSync(join(tmpdir(), 'rxmqtt-lock-bundle-'));
  bundle = join(bundleDir, 'file-store.mjs');
  buildSync({ entryPoints: [join(here, '../../lib/stores/file-store.ts')], bundle: true, platform: 'node', format: 'esm', outfile: bundle, logLevel: 'silent' });
});

afterAll(() => {
  rmSync(bundleDir, { recursive: true, force: true });
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rxmqtt-lock-'));
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('close', resolve));
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** A child process that opens a FileStore on `dir`, says "holding" and keeps it until killed. */
function childHolding(storeDir: string): Promise<ChildProcess> {
  const code = `
    const { FileStore } = await import(${JSON.stringify(bundle)});
    new FileStore(${JSON.stringify(storeDir)});
    console.log('holding');
    setInterval(() => {}, 1 << 30);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('holding') && resolve(child));
    child.once('close', (code) => reject(new Error(`the child exited (${code}) before holding the store:\n${stderr}`)));
  });
}

/** The pid of a process that has exited (a short-lived child's). */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', '']).pid;
  expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  return pid;
}

function openError(storeDir: string): unknown {
  try {
    new FileStore(storeDir).close();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('FileStore directory lock', () => {
  it('refuses a second FileStore on the directory in the same process with StoreLockedError', () => {
    const first = new FileStore(dir);
    const error = openError(dir);
    expect(error).toBeInstanceOf(StoreLockedError);
    expect(error).toMatchObject({ kind: 'ERR_STORE_LOCKED', code: 'ERR_STORE_LOCKED', dir, ownerPid: process.pid });
    expect((error as Error).message).toContain(dir);
    expect((error as Error).message).toContain(String(process.pid));
    // The refused opener touched nothing: the first store still owns and uses the directory.
    first.put({ cmd: 'publish', topic: 't', payload: 'p', qos: 1, messageId: 1 });
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    first.close();
  });

  it('releases the lock on close(), so the next FileStore opens the directory', () => {
    const first = new FileStore(dir);
    first.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    const second = new FileStore(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    second.close();
  });

  it('refuses the directory while a live child process holds it, naming the child', async () => {
    const child = await childHolding(dir);
    expect(openError(dir)).toMatchObject({ kind: 'ERR_STORE_LOCKED', ownerPid: child.pid });
  });

  it('takes over the lock of a child killed with SIGKILL', async () => {
    const child = await childHolding(dir);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('close', resolve));
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(child.pid)); // left behind
    const store = new FileStore(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    store.close();
  });

  it('refuses a stale lock while a live process is taking it over', () => {
    writeFileSync(join(dir, LOCK_FILE), `${deadPid()}\n`);
    // Another opener found the same dead owner first and holds the takeover.
    writeFileSync(join(dir, `${LOCK_FILE}.takeover`), `${process.ppid}\n`);
    expect(openError(dir)).toMatchObject({ kind: 'ERR_STORE_LOCKED', ownerPid: process.ppid });
  });

  it('takes over a stale lock whose takeover was left by a process killed in the middle of it', () => {
    writeFileSync(join(dir, LOCK_FILE), `${deadPid()}\n`);
    writeFileSync(join(dir, `${LOCK_FILE}.takeover`), `${deadPid()}\n`);
    const store = new FileStore(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    expect(existsSync(join(dir, `${LOCK_FILE}.takeover`))).toBe(false);
    store.close();
  });
});
