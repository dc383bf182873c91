/**
 * The payload `rxmqtt bench pub` sends and `rxmqtt bench sub` reads: a small binary header (who
 * sent it, its sequence number, when) padded to the requested size. Pure: no clock, no IO.
 *
 * ```
 * offset  size  field
 *  0       4    magic "rxb1"
 *  4       4    sequence number, from 0 (uint32 BE)
 *  8       4    messages the publisher will send, 0 when bounded by time (uint32 BE)
 * 12       8    send time, ms since the epoch with a fraction (float64 BE)
 * 20       2    publisher id length n (uint16 BE)
 * 22       n    publisher id (UTF-8: its client id)
 * 22+n     ...  filler up to the payload size
 * ```
 */

const MAGIC = Buffer.from('rxb1');
const FIXED = 22;
const MAX_ID_BYTES = 0xffff;
const FILLER = 0x2e; // '.': readable when a plain `rxmqtt sub` prints bench traffic

/** What a bench payload says. */
export interface BenchHeader {
  publisherId: string;
  seq: number;
  /** Messages the publisher will send in all, or 0 when its run is bounded by time. */
  total: number;
  /** Send time in ms since the epoch (fractional). */
  sentAt: number;
}

/** The size of the header for `publisherId`: a payload is never smaller. */
export function headerSize(publisherId: string): number {
  return FIXED + Buffer.byteLength(publisherId);
}

/**
 * Encodes a bench payload of `size` bytes, or of the header's size when that is larger.
 *
 * @param header Publisher, sequence number, total and send time.
 * @param size Requested payload size in bytes.
 */
export function encodeBenchPayload(header: BenchHeader, size: number): Buffer {
  const id = Buffer.from(header.publisherId);
  if (id.length > MAX_ID_BYTES) throw new RangeError(`publisher id longer than ${MAX_ID_BYTES} bytes`);
  const payload = Buffer.alloc(Math.max(size, FIXED + id.length), FILLER);
  MAGIC.copy(payload, 0);
  payload.writeUInt32BE(header.seq >>> 0, 4);
  payload.writeUInt32BE(header.total >>> 0, 8);
  payload.writeDoubleBE(header.sentAt, 12);
  payload.writeUInt16BE(id.length, 20);
  id.copy(payload, FIXED);
  return payload;
}

/** The header of a bench payload, or undefined when `payload` is not one (other traffic on the topic). */
export function decodeBenchPayload(payload: Uint8Array): BenchHeader | undefined {
  const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (bytes.length < FIXED || !bytes.subarray(0, 4).equals(MAGIC)) return undefined;
  const idLength = bytes.readUInt16BE(20);
  if (bytes.length < FIXED + idLength) return undefined;
  return {
    seq: bytes.readUInt32BE(4),
    total: bytes.readUInt32BE(8),
    sentAt: bytes.readDoubleBE(12),
    publisherId: bytes.toString('utf8', FIXED, FIXED + idLength),
  };
}
