/**
 * The directory lock that keeps a FileStore's directory to one owner: `<dir>/store.lock` holds the
 * owner's pid. It appears whole or not at all (written aside, then hard-linked into place, which
 * fails if a lock is there: the link is the atomic test-and-set), so a reader never sees an empty
 * lock. A process killed without `close()` leaves its lock behind; the next opener finds that pid
 * dead (`process.kill(pid, 0)` throws ESRCH) and takes the lock over.
 *
 * Taking over is the racy part: two openers may both find the same dead pid, and one must not
 * delete the lock the other has just taken. So a takeover first creates `store.lock.takeover` the
 * same atomic way; only its holder removes the stale lock, and only if it still names the dead pid.
 * An opener that finds the takeover file held by a live process reports the directory as locked.
 */
import { closeSync, linkSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { StoreLockedError } from '../errors.js';

export const LOCK_FILE = 'store.lock';
const TAKEOVER_FILE = 'store.lock.takeover';
/**
 * Each failed create is followed by a takeover (or the clearing of a stale takeover), so a stale
 * lock with a stale takeover needs three creates; failing more often means a live contender.
 */
const ATTEMPTS = 4;

/** Holds `<dir>/store.lock` for this process until `release()`. */
export class StoreLock {
  private readonly lockPath: string;
  private held = false;

  /** Takes the lock, taking over a stale one. Throws `StoreLockedError` if a live process holds it. */
  constructor(
    private readonly dir: string,
    private readonly pid: number = process.pid,
  ) {
    this.lockPath = join(dir, LOCK_FILE);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (createHoldingPid(this.lockPath, pid)) {
        this.held = true;
        return;
      }
      const owner = readPid(this.lockPath);
      if (owner === undefined) continue; // released meanwhile
      if (isAlive(owner)) throw new StoreLockedError(dir, owner, this.lockPath);
      this.takeOver(owner);
    }
    throw new StoreLockedError(dir, readPid(this.lockPath), this.lockPath);
  }

  /** Removes the lock file, if it is still ours. Idempotent. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    if (readPid(this.lockPath) === this.pid) rmSync(this.lockPath, { force: true });
  }

  /** Removes the lock of dead process `stale`, unless another opener is doing (or has done) so. */
  private takeOver(stale: number): void {
    const takeoverPath = join(this.dir, TAKEOVER_FILE);
    if (!createHoldingPid(takeoverPath, this.pid)) {
      const taker = readPid(takeoverPath);
      if (taker !== undefined && isAlive(taker)) throw new StoreLockedError(this.dir, taker, this.lockPath);
      // A taker killed within its takeover: its file is as stale as the lock it went for.
      rmSync(takeoverPath, { force: true });
      return;
    }
    try {
      if (readPid(this.lockPath) === stale) rmSync(this.lockPath, { force: true });
    } finally {
      rmSync(takeoverPath, { force: true });
    }
  }
}

/** Creates `path` holding `pid`, whole, unless it exists: false then. */
function createHoldingPid(path: string, pid: number): boolean {
  const aside = `${path}.${pid}`;
  const fd = openSync(aside, 'w');
  try {
    writeSync(fd, `${pid}\n`);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(aside, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // A file system without hard links: exclusive create, with a moment where the file is empty.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS') return createExclusive(path, pid);
    throw error;
  } finally {
    rmSync(aside, { force: true });
  }
}

function createExclusive(path: string, pid: number): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, `${pid}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The pid in a lock file; undefined if there is none (or it is not a pid). */
function readPid(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Signal 0 tests for the process without touching it: ESRCH means no such process. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
