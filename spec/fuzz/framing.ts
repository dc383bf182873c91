/**
 * Walking a byte stream by fixed headers only (type byte, Remaining Length), as a reference for
 * what the decoder must do with it: where an oversized packet is announced, whether the stream
 * ends on a packet boundary, where each packet starts.
 */

/**
 * The fixed header of the packet starting at `i`: its size (header included) and where its
 * header ends; 'cut' when the stream ends inside the header, 'malformed' for a Remaining Length
 * over 4 bytes (the decoder's error, not a size one).
 */
export function fixedHeaderAt(stream: Buffer, i: number): { size: number; headerEnd: number } | 'cut' | 'malformed' {
  let length = 0;
  let n = 0;
  for (;;) {
    const byte = stream[i + 1 + n];
    if (byte === undefined) return 'cut';
    length += (byte & 0x7f) * 2 ** (7 * n);
    n++;
    if ((byte & 0x80) === 0) return { size: 1 + n + length, headerEnd: i + 1 + n };
    if (n === 4) return 'malformed';
  }
}

/**
 * Where the first packet announced over `maxPacketSize` has its fixed header end, walking the
 * stream by fixed headers only; undefined if none is (or a malformed length stops the walk first).
 */
export function oversizedHeaderEnd(stream: Buffer, maxPacketSize: number): number | undefined {
  for (let i = 0; i < stream.length; ) {
    const header = fixedHeaderAt(stream, i);
    if (typeof header === 'string') return undefined;
    if (header.size > maxPacketSize) return header.headerEnd;
    i += header.size;
  }
  return undefined;
}

/**
 * Whether `stream` is whole packets by their fixed headers (no packet cut short at the end), so
 * that the next byte a broker sends starts a packet: only then must a valid packet after the
 * stream decode as itself.
 */
export function endsOnPacketBoundary(stream: Buffer): boolean {
  let i = 0;
  while (i < stream.length) {
    const header = fixedHeaderAt(stream, i);
    if (typeof header === 'string') return false;
    i += header.size;
  }
  return i === stream.length;
}
