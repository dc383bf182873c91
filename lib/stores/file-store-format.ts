/**
 * The on-disk format of `FileStore`: one log file of checksummed JSON lines, readable with `cat`.
 *
 * ```text
 * 51aec7ce {"format":"rxmqtt-file-store","version":1}
 * 4eb57a6b {"op":"put","packet":{"cmd":"publish","topic":"a","payload":{"$buffer":"aGk="},"qos":1,"retain":false,"dup":false,"messageId":1}}
 * cd4c439c {"op":"del","messageId":1}
 * ```
 *
 * Each line is the CRC-32 (IEEE, 8 lowercase hex digits) of the JSON text, a space, the JSON text
 * and `\n`. The first line is the header. Byte strings (payloads, correlation data...) are written
 * as `{"$buffer":"<base64>"}` and read back as Buffers. Replaying the records in order gives the
 * live packets: a put replaces the packet with the same messageId (keeping its place), a del
 * removes it. A line that is incomplete or fails its checksum ends the log: it can only be the tail
 * of a write cut short by a crash, so it and anything after it is ignored.
 */
import type { StorePacket } from './store.js';

export const FORMAT = 'rxmqtt-file-store';
export const VERSION = 1;

export type LogRecord = { op: 'put'; packet: StorePacket } | { op: 'del'; messageId: number };

interface Header {
  format: string;
  version: number;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, as zlib's), which Node only offers from 20.15 on. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  // JSON.stringify has already called Buffer#toJSON on `value`: look at the original instead.
  const raw = this[key];
  if (raw instanceof Uint8Array) return { $buffer: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const encoded = (value as { $buffer?: unknown }).$buffer;
    if (typeof encoded === 'string' && Object.keys(value).length === 1) return Buffer.from(encoded, 'base64');
  }
  return value;
}

function line(value: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(value, replacer), 'utf8');
  const crc = crc32(json).toString(16).padStart(8, '0');
  return Buffer.concat([Buffer.from(crc + ' ', 'latin1'), json, Buffer.from('\n', 'latin1')]);
}

export function encodeHeader(): Buffer {
  return line({ format: FORMAT, version: VERSION } satisfies Header);
}

export function encodeRecord(record: LogRecord): Buffer {
  return line(record);
}

/** The JSON value of one line (without its `\n`), or undefined if it is torn or corrupt. */
function decodeLine(bytes: Buffer): unknown {
  if (bytes.length < 10 || bytes[8] !== 0x20) return undefined;
  const json = bytes.subarray(9);
  if (bytes.toString('latin1', 0, 8) !== crc32(json).toString(16).padStart(8, '0')) return undefined;
  try {
    return JSON.parse(json.toString('utf8'), reviver);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is LogRecord {
  const record = value as LogRecord | undefined;
  if (record?.op === 'put') return typeof record.packet === 'object' && record.packet !== null;
  return record?.op === 'del' && typeof record.messageId === 'number';
}

export interface ParsedLog {
  /** Live packets by messageId, in store order. */
  packets: Map<number, StorePacket>;
  /** Valid records after the header. */
  records: number;
  /** Bytes up to the end of the last valid line; the rest is a torn tail. */
  validBytes: number;
  /** True when the file does not start with a valid header line (empty, torn, or not ours). */
  headerMissing: boolean;
}

/** Replays a log file's bytes. Throws when the header names another format or a newer version. */
export function parseLog(bytes: Buffer): ParsedLog {
  const packets = new Map<number, StorePacket>();
  const parsed: ParsedLog = { packets, records: 0, validBytes: 0, headerMissing: true };
  let start = 0;
  for (let end = bytes.indexOf(0x0a, start); end !== -1; end = bytes.indexOf(0x0a, start)) {
    const value = decodeLine(bytes.subarray(start, end));
    if (parsed.headerMissing) {
      if (!checkHeader(value)) return parsed;
      parsed.headerMissing = false;
    } else if (isRecord(value)) {
      apply(packets, value);
      parsed.records++;
    } else {
      return parsed;
    }
    start = end + 1;
    parsed.validBytes = start;
  }
  return parsed;
}

function checkHeader(value: unknown): boolean {
  const header = value as Header | undefined;
  if (header?.format !== FORMAT) return false;
  if (header.version !== VERSION) throw new Error(`Unsupported ${FORMAT} version ${String(header.version)} (this build reads ${VERSION})`);
  return true;
}

/** Applies one record to the live packets: the in-memory `Store`'s semantics. */
export function apply(packets: Map<number, StorePacket>, record: LogRecord): void {
  if (record.op === 'put') packets.set(record.packet.messageId ?? 0, record.packet);
  else packets.delete(record.messageId);
}
