/** The part of bl's BufferList that mqtt-packet's parser calls (see browser-bufferlist.cjs). */
declare class BufferList {
  constructor();
  length: number;
  append(chunk: Uint8Array): this;
  consume(bytes: number): this;
  slice(start?: number, end?: number): Buffer;
  toString(encoding?: BufferEncoding, start?: number, end?: number): string;
  readUInt8(offset?: number): number;
  readUInt16BE(offset?: number): number;
  readUInt32BE(offset?: number): number;
}
declare function BufferListFactory(): BufferList;
export = BufferListFactory;
