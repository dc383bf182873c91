// The browser bundles' `Buffer` (scripts/bundle.mjs, browser-globals.js): Node's Buffer API on a
// Uint8Array subclass, built on what browsers have (TextEncoder/TextDecoder, DataView), in 11 KB
// minified instead of the `buffer` package's 28 KB (with base64-js and ieee754), the largest
// package of dist/rxmqtt.min.js by the bench's metafile report. Payloads reach apps as these
// Buffers, so the API is Node's whole everyday surface, not only what rxmqtt and mqtt-packet call:
// from/alloc/concat/byteLength/compare/isBuffer, toString and write in utf8, hex, base64(url),
// latin1/binary, ascii and utf16le, slice (a view, as Node's), copy, equals, compare, fill,
// indexOf/lastIndexOf/includes, toJSON, swap16/32/64, and every read/write of integers (8 to 48
// bits, both byte orders), floats, doubles and 64-bit BigInts, with Node's range errors.
// spec/browser/browser-buffer.spec.ts holds it to Node's own Buffer, call for call, on random input.
// (Not to the `buffer` package: where the two differ, Node's is the API rxmqtt's Node build has.)
export const kMaxLength = 2 ** 32;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

const ENCODINGS = {
  utf8: 'utf8', 'utf-8': 'utf8',
  hex: 'hex',
  base64: 'base64', base64url: 'base64url',
  latin1: 'latin1', binary: 'latin1',
  ascii: 'ascii',
  ucs2: 'utf16le', 'ucs-2': 'utf16le', utf16le: 'utf16le', 'utf-16le': 'utf16le',
};

/** The canonical name of `encoding` (utf8 when undefined), or a TypeError as Node throws. */
function encodingOf(encoding) {
  if (encoding === undefined || encoding === null) return 'utf8';
  const name = ENCODINGS[String(encoding).toLowerCase()];
  if (name === undefined) throw new TypeError(`Unknown encoding: ${encoding}`);
  return name;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/**
 * Both alphabets decode ('-' '_' as '+' '/'), as Node's decoder does, by the low byte of each
 * UTF-16 code unit (as Node reads them); anything else is skipped.
 */
const BASE64_VALUES = new Int8Array(256).fill(-1);
for (let i = 0; i < 64; i++) BASE64_VALUES[BASE64.charCodeAt(i)] = i;
BASE64_VALUES[45] = 62;
BASE64_VALUES[95] = 63;

/** The bytes of `text` in `encoding` (canonical), as Node encodes them. */
function encode(text, encoding) {
  switch (encoding) {
    case 'utf8':
      return utf8Encoder.encode(text);
    case 'hex': {
      const bytes = new Uint8Array(text.length >>> 1);
      let n = 0;
      // Node reads the low byte of each code unit and stops at the first pair that is not hex.
      for (; n < bytes.length; n++) {
        const high = hexValue(text.charCodeAt(n * 2) & 0xff);
        const low = hexValue(text.charCodeAt(n * 2 + 1) & 0xff);
        if (high < 0 || low < 0) break;
        bytes[n] = high * 16 + low;
      }
      return bytes.subarray(0, n);
    }
    case 'base64':
    case 'base64url': {
      const bytes = new Uint8Array(Math.ceil((text.length * 3) / 4));
      let n = 0;
      let bits = 0;
      let count = 0;
      for (let i = 0; i < text.length; i++) {
        const code = text.charCodeAt(i) & 0xff;
        if (code === 61) break; // '=': the end
        const value = BASE64_VALUES[code];
        if (value < 0) continue;
        bits = (bits << 6) | value;
        count += 6;
        if (count >= 8) {
          count -= 8;
          bytes[n++] = (bits >>> count) & 0xff;
        }
      }
      return bytes.subarray(0, n);
    }
    case 'latin1':
    case 'ascii': {
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
      return bytes;
    }
    case 'utf16le': {
      const bytes = new Uint8Array(text.length * 2);
      for (let i = 0; i < text.length; i++) {
        const code = text.charCodeAt(i);
        bytes[i * 2] = code;
        bytes[i * 2 + 1] = code >>> 8;
      }
      return bytes;
    }
  }
}

/** The UTF-8 length of `text` without encoding it (a lone surrogate as U+FFFD, 3 bytes, as encoded). */
function utf8Length(text) {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) length += 1;
    else if (code >= 0xd800 && code <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      length += 2; // a pair: 4 bytes for 2 code units
      i++;
    } else length += 2;
  }
  return length;
}

/** The value of an ASCII hex digit, or -1. */
function hexValue(code) {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/** `bytes` as text in `encoding` (canonical), as Node decodes them. */
function decode(bytes, encoding) {
  switch (encoding) {
    case 'utf8':
      return utf8Decoder.decode(bytes);
    case 'hex': {
      let text = '';
      for (let i = 0; i < bytes.length; i++) text += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
      return text;
    }
    case 'base64':
    case 'base64url': {
      const alphabet = encoding === 'base64' ? BASE64 : `${BASE64.slice(0, 62)}-_`;
      let text = '';
      for (let i = 0; i < bytes.length; i += 3) {
        const triple = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
        text += alphabet[triple >>> 18] + alphabet[(triple >>> 12) & 63];
        text += i + 1 < bytes.length ? alphabet[(triple >>> 6) & 63] : encoding === 'base64' ? '=' : '';
        text += i + 2 < bytes.length ? alphabet[triple & 63] : encoding === 'base64' ? '=' : '';
      }
      return text;
    }
    case 'latin1':
    case 'ascii': {
      const mask = encoding === 'ascii' ? 0x7f : 0xff;
      let text = '';
      for (let i = 0; i < bytes.length; i += 4096) {
        text += String.fromCharCode(...bytes.subarray(i, i + 4096).map((b) => b & mask));
      }
      return text;
    }
    case 'utf16le': {
      let text = '';
      for (let i = 0; i + 1 < bytes.length; i += 2) text += String.fromCharCode(bytes[i] | (bytes[i + 1] << 8));
      return text;
    }
  }
}

/** A RangeError for an offset or a value out of range, with Node's code. */
function outOfRange(what, value) {
  const error = new RangeError(`The value of "${what}" is out of range. Received ${value}`);
  error.code = 'ERR_OUT_OF_RANGE';
  return error;
}

/** Checks that `size` bytes at `offset` are inside `buffer`, as Node's read and write methods do. */
function checkBounds(buffer, offset, size) {
  if (typeof offset !== 'number') throw new TypeError(`The "offset" argument must be of type number. Received ${typeof offset}`);
  if (!Number.isInteger(offset) || offset < 0 || offset + size > buffer.length) throw outOfRange('offset', offset);
}

const viewOf = (buffer) => new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);

/** `start`/`end` clamped to [0, length], as Node's toString, copy and compare take them. */
const clamp = (value, fallback, length) => (value === undefined ? fallback : Math.min(Math.max(Math.trunc(+value) || 0, 0), length));

export class Buffer extends Uint8Array {
  static poolSize = 8192;

  static from(value, encodingOrOffset, length) {
    if (typeof value === 'string') {
      const bytes = encode(value, encodingOf(encodingOrOffset));
      return new Buffer(bytes.buffer, bytes.byteOffset, bytes.length);
    }
    if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer)) {
      const offset = encodingOrOffset === undefined ? 0 : +encodingOrOffset || 0;
      if (offset > value.byteLength) throw outOfRange('offset', offset);
      return new Buffer(value, offset, length === undefined ? value.byteLength - offset : +length || 0);
    }
    if (value !== null && typeof value === 'object') {
      // Another Buffer or Uint8Array: its bytes; any other typed array or array(-like): its elements, mod 256.
      if (value.type === 'Buffer' && Array.isArray(value.data)) return Buffer.from(value.data);
      if (typeof value.length === 'number' || ArrayBuffer.isView(value)) {
        const buffer = new Buffer(value.length ?? 0);
        buffer.set(value instanceof Uint8Array ? value : Array.from(value, (v) => v & 0xff));
        return buffer;
      }
      if (typeof value.valueOf === 'function' && value.valueOf() !== value) return Buffer.from(value.valueOf(), encodingOrOffset, length);
    }
    throw new TypeError('The first argument must be of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object.');
  }

  static alloc(size, fill, encoding) {
    const buffer = new Buffer(checkSize(size));
    return fill === undefined || fill === 0 ? buffer : buffer.fill(fill, 0, buffer.length, encoding);
  }

  static allocUnsafe(size) {
    return new Buffer(checkSize(size));
  }

  static allocUnsafeSlow(size) {
    return new Buffer(checkSize(size));
  }

  static isBuffer(value) {
    return value instanceof Buffer || (value != null && value._isBuffer === true && value !== Buffer.prototype);
  }

  static isEncoding(encoding) {
    return typeof encoding === 'string' && ENCODINGS[encoding.toLowerCase()] !== undefined;
  }

  static byteLength(value, encoding) {
    if (typeof value !== 'string') {
      if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value.byteLength;
      throw new TypeError('The "string" argument must be of type string or an instance of Buffer or ArrayBuffer.');
    }
    // As Node counts: from the length alone for every encoding but utf8.
    switch (ENCODINGS[String(encoding ?? 'utf8').toLowerCase()]) {
      case 'hex':
        return value.length >>> 1;
      case 'base64':
      case 'base64url': {
        let n = value.length;
        if (value.charCodeAt(n - 1) === 61) n--;
        if (n > 1 && value.charCodeAt(n - 1) === 61) n--;
        return (n * 3) >>> 2;
      }
      case 'latin1':
      case 'ascii':
        return value.length;
      case 'utf16le':
        return value.length * 2;
      default:
        return utf8Length(value);
    }
  }

  static concat(list, totalLength) {
    if (!Array.isArray(list)) throw new TypeError('The "list" argument must be an instance of Array.');
    if (list.length === 0) return new Buffer(0);
    const length = totalLength ?? list.reduce((sum, item) => sum + item.length, 0);
    const out = Buffer.alloc(length);
    let position = 0;
    for (const item of list) {
      if (!(item instanceof Uint8Array)) throw new TypeError('The "list" argument must contain only Buffer or Uint8Array instances.');
      if (position >= length) break;
      out.set(item.length > length - position ? item.subarray(0, length - position) : item, position);
      position += item.length;
    }
    return out;
  }

  static compare(a, b) {
    if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array)) throw new TypeError('The arguments must be one of type Buffer or Uint8Array.');
    return compareBytes(a, 0, a.length, b, 0, b.length);
  }

  toString(encoding, start, end) {
    const from = clamp(start, 0, this.length);
    const to = clamp(end, this.length, this.length);
    if (to <= from) return '';
    return decode(from === 0 && to === this.length ? this : this.subarray(from, to), encodingOf(encoding));
  }

  toLocaleString(encoding, start, end) {
    return this.toString(encoding, start, end);
  }

  toJSON() {
    return { type: 'Buffer', data: Array.from(this) };
  }

  /** write(text[, offset[, length]][, encoding]): the bytes written; never a partial character. */
  write(text, offset, length, encoding) {
    if (typeof offset === 'string') [offset, length, encoding] = [0, undefined, offset];
    else if (typeof length === 'string') [length, encoding] = [undefined, length];
    offset = offset === undefined ? 0 : offset;
    checkIndex(offset, 'offset', this.length);
    if (length !== undefined) checkIndex(length, 'length', this.length);
    const room = Math.min(length === undefined ? this.length - offset : length, this.length - offset);
    const name = encodingOf(encoding);
    if (name === 'utf8') return utf8Encoder.encodeInto(text, this.subarray(offset, offset + room)).written;
    let bytes = encode(text, name);
    // utf16le writes whole code units only.
    const count = Math.min(bytes.length, name === 'utf16le' ? room - (room % 2) : room);
    this.set(bytes.subarray(0, count), offset);
    return count;
  }

  /** A view of the same memory, as Node's slice (not Uint8Array's copy). */
  slice(start, end) {
    return this.subarray(start, end);
  }

  equals(other) {
    if (!(other instanceof Uint8Array)) throw new TypeError('The "otherBuffer" argument must be an instance of Buffer or Uint8Array.');
    return compareBytes(this, 0, this.length, other, 0, other.length) === 0;
  }

  compare(target, targetStart, targetEnd, sourceStart, sourceEnd) {
    if (!(target instanceof Uint8Array)) throw new TypeError('The "target" argument must be an instance of Buffer or Uint8Array.');
    // Node's checks, in Node's order: starts up to kMaxLength, ends up to their buffer's length.
    for (const [name, value, max] of [['targetStart', targetStart, kMaxLength], ['targetEnd', targetEnd, target.length], ['sourceStart', sourceStart, kMaxLength], ['sourceEnd', sourceEnd, this.length]]) {
      if (value !== undefined) checkIndex(value, name, max);
    }
    const [tStart, tEnd, sStart, sEnd] = [targetStart ?? 0, targetEnd ?? target.length, sourceStart ?? 0, sourceEnd ?? this.length];
    if (sStart >= sEnd) return tStart >= tEnd ? 0 : -1;
    if (tStart >= tEnd) return 1;
    if (sStart > this.length) throw outOfRange('sourceStart', sStart);
    if (tStart > target.length) throw outOfRange('targetStart', tStart);
    return compareBytes(this, sStart, sEnd, target, tStart, tEnd);
  }

  copy(target, targetStart, sourceStart, sourceEnd) {
    if (!(target instanceof Uint8Array)) throw new TypeError('The "target" argument must be an instance of Buffer or Uint8Array.');
    const at = targetStart === undefined ? 0 : Math.trunc(+targetStart) || 0;
    const from = sourceStart === undefined ? 0 : Math.trunc(+sourceStart) || 0;
    const to = sourceEnd === undefined ? this.length : Math.trunc(+sourceEnd) || 0;
    if (at < 0) throw outOfRange('targetStart', at);
    if (from < 0 || from > this.length) throw outOfRange('sourceStart', from);
    if (to < 0) throw outOfRange('sourceEnd', to);
    if (at >= target.length || from >= to) return 0;
    const count = Math.min(to - from, target.length - at, this.length - from);
    target.set(this.subarray(from, from + count), at);
    return count;
  }

  fill(value, offset, end, encoding) {
    // Node's _fill, step for step.
    if (typeof value === 'string') {
      if (offset === undefined || typeof offset === 'string') [encoding, offset, end] = [offset, 0, this.length];
      else if (typeof end === 'string') [encoding, end] = [end, this.length];
      const name = encodingOf(encoding);
      if (value.length === 0) value = 0;
      else if (value.length === 1 && ((name === 'utf8' && value.charCodeAt(0) < 128) || name === 'latin1')) value = value.charCodeAt(0);
      else value = encode(value, name);
    }
    if (offset === undefined) [offset, end] = [0, this.length];
    else {
      checkIndex(offset, 'offset', kMaxLength);
      if (end === undefined) end = this.length;
      else checkIndex(end, 'end', this.length);
      if (offset >= end) return this;
    }
    if (offset >= end) return this;
    if (typeof value === 'number') return super.fill(value, offset, end);
    if (typeof value === 'boolean') return super.fill(+value, offset, end);
    if (!(value instanceof Uint8Array) || value.length === 0) throw new TypeError('The argument "value" is invalid.');
    for (let i = offset; i < end; i++) this[i] = value[(i - offset) % value.length];
    return this;
  }

  indexOf(value, byteOffset, encoding) {
    return search(this, value, byteOffset, encoding, true);
  }

  lastIndexOf(value, byteOffset, encoding) {
    return search(this, value, byteOffset, encoding, false);
  }

  includes(value, byteOffset, encoding) {
    return this.indexOf(value, byteOffset, encoding) !== -1;
  }

  swap16() {
    return swap(this, 2);
  }

  swap32() {
    return swap(this, 4);
  }

  swap64() {
    return swap(this, 8);
  }

  readUIntBE(offset, byteLength) {
    return readVariable(this, offset, byteLength, false, false);
  }

  readUIntLE(offset, byteLength) {
    return readVariable(this, offset, byteLength, true, false);
  }

  readIntBE(offset, byteLength) {
    return readVariable(this, offset, byteLength, false, true);
  }

  readIntLE(offset, byteLength) {
    return readVariable(this, offset, byteLength, true, true);
  }

  writeUIntBE(value, offset, byteLength) {
    return writeVariable(this, value, offset, byteLength, false, false);
  }

  writeUIntLE(value, offset, byteLength) {
    return writeVariable(this, value, offset, byteLength, true, false);
  }

  writeIntBE(value, offset, byteLength) {
    return writeVariable(this, value, offset, byteLength, false, true);
  }

  writeIntLE(value, offset, byteLength) {
    return writeVariable(this, value, offset, byteLength, true, true);
  }
}

// Lets another copy of the `buffer` package (an app's own) take these for Buffers, as it checks.
Object.defineProperty(Buffer.prototype, '_isBuffer', { value: true });

/** An integer in [0, max], or Node's errors. */
function checkIndex(value, what, max) {
  if (typeof value !== 'number') throw new TypeError(`The "${what}" argument must be of type number. Received ${typeof value}`);
  if (!Number.isInteger(value) || value < 0 || value > max) throw outOfRange(what, value);
}

function checkSize(size) {
  if (typeof size !== 'number') throw new TypeError(`The "size" argument must be of type number. Received ${typeof size}`);
  if (!(size >= 0 && size <= 2 ** 32)) throw outOfRange('size', size);
  return size;
}

function compareBytes(a, aStart, aEnd, b, bStart, bEnd) {
  const length = Math.min(aEnd - aStart, bEnd - bStart);
  for (let i = 0; i < length; i++) {
    if (a[aStart + i] !== b[bStart + i]) return a[aStart + i] < b[bStart + i] ? -1 : 1;
  }
  const aLength = Math.max(aEnd - aStart, 0);
  const bLength = Math.max(bEnd - bStart, 0);
  return aLength === bLength ? 0 : aLength < bLength ? -1 : 1;
}

function search(buffer, value, byteOffset, encoding, forward) {
  if (typeof byteOffset === 'string') [byteOffset, encoding] = [undefined, byteOffset];
  let needle;
  if (typeof value === 'number') needle = [value & 0xff];
  else if (typeof value === 'string') needle = encode(value, encodingOf(encoding));
  else if (value instanceof Uint8Array) needle = value;
  else throw new TypeError('The "value" argument must be one of type number or string or an instance of Buffer or Uint8Array.');
  const length = buffer.length;
  let from = byteOffset === undefined || Number.isNaN(+byteOffset) ? (forward ? 0 : length) : Math.trunc(+byteOffset);
  if (from < 0) from += length;
  if (needle.length === 0) return Math.min(Math.max(from, 0), length);
  // A utf16le search (not of a number) goes by whole code units, as Node's does (even lengths).
  const step = typeof value !== 'number' && encoding !== undefined && ENCODINGS[String(encoding).toLowerCase()] === 'utf16le' ? 2 : 1;
  if (step === 2 && (needle.length < 2 || length < 2)) return -1;
  const align = (i) => i - (i % step);
  if (forward) {
    for (let i = align(Math.max(from, 0)); i + needle.length <= length; i += step) if (matchesAt(buffer, needle, i)) return i;
  } else {
    for (let i = align(Math.min(from, length - needle.length)); i >= 0; i -= step) if (matchesAt(buffer, needle, i)) return i;
  }
  return -1;
}

function matchesAt(buffer, needle, at) {
  for (let j = 0; j < needle.length; j++) if (buffer[at + j] !== needle[j]) return false;
  return true;
}

function swap(buffer, size) {
  if (buffer.length % size !== 0) throw new RangeError(`Buffer size must be a multiple of ${size * 8}-bits`);
  for (let i = 0; i < buffer.length; i += size) buffer.subarray(i, i + size).reverse();
  return buffer;
}

function readVariable(buffer, offset, byteLength, littleEndian, signed) {
  checkByteLength(byteLength);
  checkBounds(buffer, offset, byteLength);
  let value = 0;
  for (let i = 0; i < byteLength; i++) value = value * 256 + buffer[offset + (littleEndian ? byteLength - 1 - i : i)];
  return signed && value >= 2 ** (8 * byteLength - 1) ? value - 2 ** (8 * byteLength) : value;
}

function writeVariable(buffer, value, offset, byteLength, littleEndian, signed) {
  checkByteLength(byteLength);
  const bits = 8 * byteLength;
  const [min, max] = signed ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
  // As Node: NaN is not out of range (it writes 0).
  if (value > max || value < min) throw outOfRange('value', value);
  checkBounds(buffer, offset, byteLength);
  // As Node's shifts and stores: the integer part (NaN as 0), two's complement below zero.
  let rest = Math.trunc(value) || 0;
  if (rest < 0) rest += 2 ** bits;
  for (let i = 0; i < byteLength; i++) {
    buffer[offset + (littleEndian ? i : byteLength - 1 - i)] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return offset + byteLength;
}

function checkByteLength(byteLength) {
  if (!(Number.isInteger(byteLength) && byteLength >= 1 && byteLength <= 6)) throw outOfRange('byteLength', byteLength);
}

// read/write{UInt,Int}{8,16,32}, Float, Double and Big{U,}Int64, {LE,BE}: Node's names (and the
// `Uint` spellings Node also has), Node's bounds and value ranges. Integers byte by byte (no
// DataView to allocate on the parser's and the encoder's paths), the rest through a DataView.
const INTEGERS = [['UInt8', 1, false], ['Int8', 1, true], ['UInt16', 2, false], ['Int16', 2, true], ['UInt32', 4, false], ['Int32', 4, true]];
const OTHERS = [
  ['Float', 'Float32', 4],
  ['Double', 'Float64', 8],
  ['BigUInt64', 'BigUint64', 8, 0n, 2n ** 64n - 1n],
  ['BigInt64', 'BigInt64', 8, -(2n ** 63n), 2n ** 63n - 1n],
];
for (const [name, size, signed] of INTEGERS) {
  for (const order of size === 1 ? [''] : ['LE', 'BE']) {
    const littleEndian = order === 'LE';
    define(name, order, function read(offset = 0) {
      return readVariable(this, offset, size, littleEndian, signed);
    }, function write(value, offset = 0) {
      return writeVariable(this, value, offset, size, littleEndian, signed);
    });
  }
}
for (const [name, dataViewType, size, min, max] of OTHERS) {
  for (const order of ['LE', 'BE']) {
    const littleEndian = order === 'LE';
    define(name, order, function read(offset = 0) {
      checkBounds(this, offset, size);
      return viewOf(this)[`get${dataViewType}`](offset, littleEndian);
    }, function write(value, offset = 0) {
      if (min !== undefined && (value > max || value < min)) throw outOfRange('value', value);
      checkBounds(this, offset, size);
      viewOf(this)[`set${dataViewType}`](offset, min === undefined ? +value : value, littleEndian);
      return offset + size;
    });
  }
}

function define(name, order, read, write) {
  for (const spelling of new Set([name, name.replace('UInt', 'Uint')])) {
    Buffer.prototype[`read${spelling}${order}`] = read;
    Buffer.prototype[`write${spelling}${order}`] = write;
  }
}
for (const spelling of ['UIntBE', 'UIntLE']) {
  Buffer.prototype[`read${spelling.replace('UInt', 'Uint')}`] = Buffer.prototype[`read${spelling}`];
  Buffer.prototype[`write${spelling.replace('UInt', 'Uint')}`] = Buffer.prototype[`write${spelling}`];
}

export const INSPECT_MAX_BYTES = 50;
export default { Buffer, kMaxLength, INSPECT_MAX_BYTES };
