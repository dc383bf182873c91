import * as fs from 'node:fs';
import { mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore, LOG_FILE } from '../../lib/stores/file-store.js';
import type { FileStoreFs } from '../../lib/stores/durable-file.js';
import { LOCK_FILE } from '../../lib/stores/store-lock.js';
import { StoreLockedError } from '../../lib/errors.js';
import { crc32, parseLog } from '../../lib/stores/file-store-format.js';
import type { StorePacket } from '../../lib/stores/store.js';

/** Lets the store's once-per-turn fsync (a setImmediate) run. Not a sleep. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function publish(messageId: number, payload: Buffer | string = `m${messageId}`, extra: Partial<StorePacket> = {}): StorePacket {
  return { cmd: 'publish', topic: 't', payload, qos: 1, retain: false, dup: false, messageId, ...extra };
}

/** Promisified put/del: resolve with the callback's packet, reject with its error. */
function put(store: FileStore, packet: StorePacket): Promise<void> {
  return new Promise((resolve, reject) => store.put(packet, (error) => (error ? reject(error) : resolve())));
}
function del(store: FileStore, messageId: number): Promise<StorePacket | undefined> {
  return new Promise((resolve, reject) => store.del({ messageId }, (error, packet) => (error ? reject(error) : resolve(packet))));
}

/** The node:fs functions FileStore uses, each call logged as `name` (writes as `write:<file>`). */
function recordingFs(log: string[], overrides: Partial<FileStoreFs> = {}): FileStoreFs {
  const names = new Map<number, string>();
  const base: FileStoreFs = {
    mkdirSync: fs.mkdirSync,
    openSync: ((path: string, flags: string) => {
      const fd = fs.openSync(path, flags);
      names.set(fd, path.split('/').pop()!);
      log.push(`open:${names.get(fd)}`);
      return fd;
    }) as FileStoreFs['openSync'],
    readFileSync: fs.readFileSync,
    writeSync: ((fd: number, ...rest: unknown[]) => {
      log.push(`write:${names.get(fd)}`);
      return (fs.writeSync as (...args: unknown[]) => number)(fd, ...rest);
    }) as FileStoreFs['writeSync'],
    fsyncSync: (fd) => {
      log.push(`fsync:${names.get(fd)}`);
      fs.fsyncSync(fd);
    },
    ftruncateSync: (fd, len) => {
      log.push(`truncate:${names.get(fd)}`);
      fs.ftruncateSync(fd, len);
    },
    closeSync: fs.closeSync,
    renameSync: (from, to) => {
      log.push(`rename:${String(from).split('/').pop()}->${String(to).split('/').pop()}`);
      fs.renameSync(from, to);
    },
    rmSync: fs.rmSync,
  };
  return { ...base, ...overrides };
}


/** An fsync that fails with EIO, as a failing disk makes it, while `disk.broken` is set. */
function breakableFsync() {
  const disk = {
    broken: false,
    fsyncSync: (fd: number) => {
      if (disk.broken) throw Object.assign(new Error('EIO'), { code: 'EIO' });
      fs.fsyncSync(fd);
    },
  };
  return disk;
}

describe('FileStore', () => {
  let dir: string;
  const open: FileStore[] = [];
  const store = (options?: ConstructorParameters<typeof FileStore>[1]) => {
    const s = new FileStore(dir, options);
    open.push(s);
    return s;
  };
  const logFile = () => join(dir, LOG_FILE);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rxmqtt-file-store-'));
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips packets through a reopen, Buffers byte for byte, in store order', async () => {
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const v5: StorePacket = publish(7, binary, {
      qos: 2,
      properties: { correlationData: Buffer.from([0, 0xff, 0x80]), userProperties: { a: ['1', '2'], 'ü': 'ß' }, contentType: 'x/y' },
    });
    const a = store();
    await put(a, publish(3, Buffer.alloc(0)));
    await put(a, v5);
    await put(a, { cmd: 'pubrel', messageId: 9 });
    a.close();
    const b = store();
    expect(b.entries()).toEqual([publish(3, Buffer.alloc(0)), v5, { cmd: 'pubrel', messageId: 9 }]);
    const [, restored] = b.entries();
    expect(Buffer.isBuffer(restored!.payload)).toBe(true);
    expect((restored!.payload as Buffer).equals(binary)).toBe(true);
    expect(Buffer.isBuffer((restored!.properties as { correlationData: unknown }).correlationData)).toBe(true);
  });

  it('keeps the first place of a packet id that is put again (a PUBREL replacing its PUBLISH)', async () => {
    const a = store();
    await put(a, publish(1));
    await put(a, publish(2));
    await put(a, { cmd: 'pubrel', messageId: 1 });
    a.close();
    expect(store().entries()).toEqual([{ cmd: 'pubrel', messageId: 1 }, publish(2)]);
  });

  it('gets a stored packet and streams the live ones in order', async () => {
    const a = store();
    await put(a, publish(2));
    await put(a, publish(1));
    const got = await new Promise<StorePacket | undefined>((resolve) => a.get({ messageId: 1 }, (_e, p) => resolve(p)));
    expect(got).toEqual(publish(1));
    const missing = await new Promise<Error | null | undefined>((resolve) => a.get({ messageId: 5 }, (e) => resolve(e)));
    expect(missing?.message).toBe('missing packet');
    const streamed: StorePacket[] = [];
    for await (const packet of a.createStream()) streamed.push(packet as StorePacket);
    expect(streamed).toEqual([publish(2), publish(1)]);
  });

  it('deletes a packet durably, answers the deleted packet, and errors for an unknown id', async () => {
    const a = store();
    await put(a, publish(1));
    await put(a, publish(2));
    expect(await del(a, 1)).toEqual(publish(1));
    await expect(del(a, 1)).rejects.toThrow('missing packet');
    a.close();
    const b = store();
    expect(b.entries()).toEqual([publish(2)]);
    expect(b.stats()).toMatchObject({ live: 1, records: 3 });
  });

  it('writes each record at once but calls back only after one fsync per event-loop turn', async () => {
    const log: string[] = [];
    const a = store({ fs: recordingFs(log) });
    log.length = 0;
    const calledBack: number[] = [];
    for (let id = 1; id <= 5; id++) a.put(publish(id), () => calledBack.push(id));
    a.del({ messageId: 2 }, () => calledBack.push(-2));
    // Written (a SIGKILL now loses nothing), not synced, nobody told yet.
    expect(log).toEqual(Array(6).fill(`write:${LOG_FILE}`));
    expect(calledBack).toEqual([]);
    log.push('turn ends');
    await nextTurn();
    expect(log.slice(6)).toEqual(['turn ends', `fsync:${LOG_FILE}`]);
    expect(calledBack).toEqual([1, 2, 3, 4, 5, -2]);
  });

  it('syncs what is pending on close() before closing, and releases the directory', async () => {
    const log: string[] = [];
    const a = store({ fs: recordingFs(log) });
    let putDone = false;
    a.put(publish(1), () => (putDone = true));
    a.close();
    expect(putDone).toBe(true);
    expect(log.filter((e) => e.startsWith('fsync')).length).toBeGreaterThan(0);
    expect(readdirSync(dir)).toEqual([LOG_FILE]);
    expect(store().entries()).toEqual([publish(1)]);
  });

  it('reopens on its next put after close(), holding the directory again, and appends to the same log', async () => {
    const a = store();
    await put(a, publish(1));
    a.close();
    await put(a, publish(2));
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    expect(() => new FileStore(dir)).toThrow(StoreLockedError);
    expect(a.entries()).toEqual([publish(1), publish(2)]);
    a.close();
    expect(store().entries()).toEqual([publish(1), publish(2)]);
  });

  it('reopens with nothing pending and reads the log as a fresh store would: get, createStream and del see what another store wrote meanwhile', async () => {
    const a = store();
    a.close();
    const b = new FileStore(dir);
    await put(b, publish(5));
    b.close();
    const got = await new Promise<StorePacket | undefined>((resolve) => a.get({ messageId: 5 }, (_e, p) => resolve(p)));
    expect(got).toEqual(publish(5));
    a.close();
    const streamed: StorePacket[] = [];
    for await (const packet of a.createStream()) streamed.push(packet as StorePacket);
    expect(streamed).toEqual([publish(5)]);
    a.close();
    expect(await del(a, 5)).toEqual(publish(5));
    a.close();
    expect(store().entries()).toEqual([]);
  });

  it('gives each call StoreLockedError, never a throw, when another FileStore holds the directory at the reopen', async () => {
    const a = store();
    await put(a, publish(1));
    a.close();
    const holder = store();
    let putError: unknown;
    expect(() => a.put(publish(2), (error) => (putError = error))).not.toThrow();
    await nextTurn();
    expect(putError).toBeInstanceOf(StoreLockedError);
    await expect(del(a, 1)).rejects.toBeInstanceOf(StoreLockedError);
    const getError = await new Promise<unknown>((resolve) => a.get({ messageId: 1 }, (error) => resolve(error)));
    expect(getError).toBeInstanceOf(StoreLockedError);
    const streamError = await new Promise<unknown>((resolve) => a.createStream().on('error', resolve).resume());
    expect(streamError).toBeInstanceOf(StoreLockedError);
    expect(() => a.compact()).toThrow(StoreLockedError);
    expect((streamError as StoreLockedError).ownerPid).toBe(process.pid);
    // The holder's log is untouched; once it lets go, the closed store reopens.
    expect(holder.entries()).toEqual([publish(1)]);
    holder.close();
    await put(a, publish(2));
    a.close();
    expect(store().entries()).toEqual([publish(1), publish(2)]);
  });

  it('compacts to the live packets only: temp file, fsync, rename, fsync of the directory', async () => {
    const log: string[] = [];
    const a = store({ fs: recordingFs(log), compactAfter: Infinity });
    for (let id = 1; id <= 50; id++) await put(a, publish(id, Buffer.alloc(100, id)));
    for (let id = 1; id <= 48; id++) await del(a, id);
    const before = readFileSync(logFile()).length;
    log.length = 0;
    a.compact();
    expect(log).toEqual([
      'open:store.log.tmp',
      'write:store.log.tmp',
      'fsync:store.log.tmp',
      'rename:store.log.tmp->store.log',
      `open:${dir.split('/').pop()}`,
      `fsync:${dir.split('/').pop()}`,
    ]);
    expect(readFileSync(logFile()).length).toBeLessThan(before / 10);
    expect(readdirSync(dir).sort()).toEqual([LOCK_FILE, LOG_FILE]); // the store is open: its lock is there
    expect(a.stats()).toMatchObject({ live: 2, records: 2 });
    // Appends continue on the compacted log.
    await put(a, publish(99));
    a.close();
    expect(store().entries()).toEqual([publish(49, Buffer.alloc(100, 49)), publish(50, Buffer.alloc(100, 50)), publish(99)]);
  });

  it('compacts by itself once dead records pass compactAfter and outnumber the live ones', async () => {
    const a = store({ compactAfter: 10 });
    for (let round = 0; round < 30; round++) {
      await put(a, publish(1));
      await del(a, 1);
    }
    await put(a, publish(2));
    expect(a.stats().records).toBeLessThanOrEqual(12);
    a.close();
    expect(store().entries()).toEqual([publish(2)]);
  });

  it('ignores and cuts off a torn last record after a crash, keeping every whole one', async () => {
    const a = store();
    await put(a, publish(1));
    await put(a, publish(2));
    await put(a, publish(3, Buffer.alloc(500, 3)));
    a.close();
    const size = readFileSync(logFile()).length;
    truncateSync(logFile(), size - 200); // the write of record 3 was cut short
    const b = store();
    expect(b.entries()).toEqual([publish(1), publish(2)]);
    expect(b.stats().truncatedBytes).toBeGreaterThan(0);
    await put(b, publish(4));
    b.close();
    const c = store();
    expect(c.entries()).toEqual([publish(1), publish(2), publish(4)]);
    expect(c.stats().truncatedBytes).toBe(0);
  });

  it('ignores a last record whose checksum does not match (a torn sector)', async () => {
    const a = store();
    await put(a, publish(1));
    await put(a, publish(2, 'abc'));
    a.close();
    const bytes = readFileSync(logFile());
    const at = bytes.lastIndexOf(Buffer.from('"messageId":2'));
    bytes[at + 12] = '7'.charCodeAt(0);
    writeFileSync(logFile(), bytes);
    expect(store().entries()).toEqual([publish(1)]);
  });

  it('writes a documented format: checksummed JSON lines with a header, Buffers as base64', async () => {
    const a = store();
    await put(a, publish(1, Buffer.from('hi')));
    await del(a, 1);
    const lines = readFileSync(logFile(), 'utf8').trimEnd().split('\n');
    const json = lines.map((line) => line.slice(9));
    expect(json).toEqual([
      '{"format":"rxmqtt-file-store","version":1}',
      '{"op":"put","packet":{"cmd":"publish","topic":"t","payload":{"$buffer":"aGk="},"qos":1,"retain":false,"dup":false,"messageId":1}}',
      '{"op":"del","messageId":1}',
    ]);
    for (const line of lines) expect(line.slice(0, 8)).toBe(crc32(Buffer.from(line.slice(9))).toString(16).padStart(8, '0'));
    expect(parseLog(readFileSync(logFile())).packets.size).toBe(0);
  });

  it('refuses a directory whose log is not a FileStore log', () => {
    writeFileSync(logFile(), 'hello\n');
    expect(() => new FileStore(dir)).toThrow(/not a FileStore log/);
  });

  it('creates the directory and removes a temp file a crashed compaction left behind', () => {
    const nested = join(dir, 'a', 'b');
    new FileStore(nested).close();
    writeFileSync(join(nested, 'store.log.tmp'), 'half a compaction');
    new FileStore(nested).close();
    expect(readdirSync(nested)).toEqual([LOG_FILE]);
  });

  it('fails a put whose write fails, cuts the partial line, and keeps working', async () => {
    let fail = false;
    const a = store({
      fs: recordingFs([], {
        writeSync: ((fd: number, buffer: Buffer, offset: number, length: number, position: number) => {
          if (!fail) return fs.writeSync(fd, buffer, offset, length, position);
          fail = false;
          fs.writeSync(fd, buffer, offset, 10, position); // part of the line reached the disk
          throw Object.assign(new Error('no space left'), { code: 'ENOSPC' });
        }) as FileStoreFs['writeSync'],
      }),
    });
    await put(a, publish(1));
    fail = true;
    await expect(put(a, publish(2))).rejects.toThrow('no space left');
    await put(a, publish(3));
    a.close();
    expect(store().entries()).toEqual([publish(1), publish(3)]);
  });

  it('fails the waiting callbacks and every later write once an fsync fails', async () => {
    const disk = breakableFsync();
    const a = store({ fs: recordingFs([], { fsyncSync: disk.fsyncSync }) });
    disk.broken = true;
    await expect(put(a, publish(1))).rejects.toThrow('EIO');
    await expect(put(a, publish(2))).rejects.toThrow('EIO');
  });

  it('gives close() callback the error of a failed close, and still releases the directory', async () => {
    let broken = false;
    const closeSync = (fd: number) => {
      fs.closeSync(fd);
      if (broken) throw Object.assign(new Error('EIO'), { code: 'EIO' });
    };
    const a = store({ fs: recordingFs([], { closeSync }) });
    await put(a, publish(1));
    broken = true;
    const closed = await new Promise<Error | null | undefined>((resolve) => a.close(resolve));
    expect(closed?.message).toBe('EIO');
    expect(store().entries()).toEqual([publish(1)]);
  });

  it('gives close() callback an earlier fsync failure: the last writes may not be on disk', async () => {
    const disk = breakableFsync();
    const a = store({ fs: recordingFs([], { fsyncSync: disk.fsyncSync }) });
    disk.broken = true;
    await expect(put(a, publish(1))).rejects.toThrow('EIO');
    const closed = await new Promise<Error | null | undefined>((resolve) => a.close(resolve));
    expect(closed?.message).toBe('EIO');
    // Reported once: closing again is a no-op, and the reopened store starts afresh.
    expect(await new Promise<Error | null | undefined>((resolve) => a.close(resolve))).toBeNull();
    disk.broken = false;
    await put(a, publish(2));
    expect(await new Promise<Error | null | undefined>((resolve) => a.close(resolve))).toBeNull();
  });
});
