// The browser bundles' `bl` (scripts/bundle.mjs): the part of bl's BufferList that mqtt-packet's
// parser calls (append, length, consume, slice, toString, readUInt8/16BE/32BE), 0.9 KB minified
// instead of bl's 4.9 KB. Every method keeps bl's semantics, edge cases included (a slice inside
// one chunk is a view of it, a read past the end throws as Buffer's does): spec/browser/
// browser-bufferlist.spec.ts runs mqtt-packet's parser over this and over bl side by side and
// requires identical packets, errors and leftovers. The Node build keeps bl itself.
// (CommonJS, as bl: mqtt-packet `require`s it and calls the module.)
function BufferList() {
  if (!(this instanceof BufferList)) return new BufferList();
  this._bufs = [];
  this.length = 0;
}

BufferList.prototype.append = function append(chunk) {
  // As bl: a view of the same memory, as a Buffer, whatever kind of view was passed.
  const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  this._bufs.push(buf);
  this.length += buf.length;
  return this;
};

BufferList.prototype.consume = function consume(bytes) {
  bytes = Math.trunc(bytes);
  if (Number.isNaN(bytes) || bytes <= 0) return this;
  while (this._bufs.length) {
    if (bytes >= this._bufs[0].length) {
      bytes -= this._bufs[0].length;
      this.length -= this._bufs[0].length;
      this._bufs.shift();
    } else {
      this._bufs[0] = this._bufs[0].slice(bytes);
      this.length -= bytes;
      break;
    }
  }
  return this;
};

/** Bytes [start, end) as one Buffer: the chunk itself or a view of it when one chunk holds them, else a copy. */
BufferList.prototype.slice = function slice(start, end) {
  if (typeof start === 'number' && start < 0) start += this.length;
  if (typeof end === 'number' && end < 0) end += this.length;
  if (typeof start !== 'number' || start < 0) start = 0;
  if (typeof end !== 'number' || end > this.length) end = this.length;
  if (start >= this.length || end <= 0) return Buffer.alloc(0);
  if (start === 0 && end === this.length) return this._bufs.length === 1 ? this._bufs[0] : Buffer.concat(this._bufs, this.length);
  let index = 0;
  let offset = start;
  // bl's _offset: the chunk `start` falls in (the last one when it is past every chunk).
  while (index < this._bufs.length - 1 && offset >= this._bufs[index].length) offset -= this._bufs[index++].length;
  let bytes = end - start;
  if (bytes <= this._bufs[index].length - offset) return this._bufs[index].slice(offset, offset + bytes);
  const out = Buffer.allocUnsafe(bytes);
  let written = 0;
  for (; index < this._bufs.length && bytes > 0; index++, offset = 0) {
    const copied = this._bufs[index].copy(out, written, offset, offset + Math.min(bytes, this._bufs[index].length - offset));
    written += copied;
    bytes -= copied;
  }
  return written < out.length ? out.slice(0, written) : out;
};

BufferList.prototype.toString = function toString(encoding, start, end) {
  return this.slice(start, end).toString(encoding);
};

for (const [method, size] of [['readUInt8', 1], ['readUInt16BE', 2], ['readUInt32BE', 4]]) {
  BufferList.prototype[method] = function read(offset = 0) {
    return this.slice(offset, offset + size)[method](0);
  };
}

module.exports = BufferList;
