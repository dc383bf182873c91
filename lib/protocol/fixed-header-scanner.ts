/**
 * The fixed-header walk that finds an oversized inbound packet from its first bytes, so that the
 * decoder can refuse it before mqtt-packet buffers its body. No mqtt-packet here: it reads only
 * the type byte and the Remaining Length.
 */

/** The name of each MQTT Control Packet type (2.1.2), by the type number in the first byte's high nibble. */
const PACKET_TYPES = [
  'reserved', 'connect', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp',
  'subscribe', 'suback', 'unsubscribe', 'unsuback', 'pingreq', 'pingresp', 'disconnect', 'auth',
] as const;

/** The largest packet MQTT can express: 1 byte of type and flags, 4 of length, 268,435,455 of body. */
export const MAX_MQTT_PACKET_SIZE = 1 + 4 + 268_435_455;

/**
 * Walks packet boundaries through a byte stream using only the fixed headers (type byte, then the
 * 1-4 byte Remaining Length), skipping the bodies arithmetically: no copy, no allocation. A header
 * split across chunks is carried over in three numbers. It finds where an oversized packet is
 * announced, so that the decoder refuses it before mqtt-packet buffers a single body byte.
 *
 * ```ts
 * const scanner = new FixedHeaderScanner(1024);
 * scanner.scan(Buffer.from([0xd0, 0x00, 0x30]));  // -1: a PINGRESP, then a PUBLISH header begins
 * scanner.scan(Buffer.from([0xff, 0x7f]));        // 2: that PUBLISH is 16,386 bytes, its header ends at 2
 * scanner.size;                                   // 16386
 * ```
 */
export class FixedHeaderScanner {
  /** Body bytes of the current packet still to skip. */
  private skip = 0;
  /** Header bytes seen of the current packet: 0 before its type byte, then 1 + length bytes. */
  private headerBytes = 0;
  private length = 0;
  /** A Remaining Length over 4 bytes: malformed, left to mqtt-packet to report. */
  private broken = false;
  /** The first byte (type and flags) of the current packet. */
  private typeByte = 0;
  /** The size in bytes (header included) of the packet that exceeded the limit. */
  size = 0;
  /** The type of the packet that exceeded the limit ('publish'...). */
  cmd: (typeof PACKET_TYPES)[number] = 'reserved';

  /** @param maxPacketSize The largest packet accepted, header included. */
  constructor(private readonly maxPacketSize: number) {}

  /**
   * @returns -1 when every packet announced so far fits, else the offset in `chunk` just past the
   * header of the first packet over the limit (its size is then in `size`); the scanner stops there.
   */
  scan(chunk: Uint8Array): number {
    const end = chunk.length;
    let i = 0;
    while (i < end && !this.broken) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, end - i);
        this.skip -= n;
        i += n;
        continue;
      }
      const byte = chunk[i++]!;
      if (this.headerBytes === 0) {
        this.typeByte = byte;
        this.headerBytes = 1;
        this.length = 0;
        continue;
      }
      this.length += (byte & 0x7f) * 2 ** (7 * (this.headerBytes - 1));
      this.headerBytes++;
      if (byte & 0x80) {
        if (this.headerBytes > 4) this.broken = true;
        continue;
      }
      const size = this.headerBytes + this.length;
      if (size > this.maxPacketSize) {
        this.size = size;
        this.cmd = PACKET_TYPES[this.typeByte >> 4]!;
        this.broken = true;
        return i;
      }
      this.skip = this.length;
      this.headerBytes = 0;
    }
    return -1;
  }
}
