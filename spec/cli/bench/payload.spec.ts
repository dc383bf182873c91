import { decodeBenchPayload, encodeBenchPayload, headerSize } from '../../../cli/bench/payload.js';

const header = { publisherId: 'rxb-pub-42-1', seq: 7, total: 20, sentAt: 1_765_000_000_123.456 };

describe('bench payload', () => {
  it('round-trips the header and pads to the requested size', () => {
    const payload = encodeBenchPayload(header, 256);
    expect(payload).toHaveLength(256);
    expect(decodeBenchPayload(payload)).toEqual(header);
  });

  it('is never smaller than its header', () => {
    const payload = encodeBenchPayload(header, 0);
    expect(payload).toHaveLength(headerSize(header.publisherId));
    expect(decodeBenchPayload(payload)).toEqual(header);
  });

  it('reads a Uint8Array view as well as a Buffer', () => {
    const bytes = encodeBenchPayload(header, 64);
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(decodeBenchPayload(view)).toEqual(header);
  });

  it.each([
    ['another payload', Buffer.from('21.5')],
    ['an empty payload', Buffer.alloc(0)],
    ['a truncated publisher id', encodeBenchPayload(header, 0).subarray(0, 25)],
  ])('ignores %s', (_name, payload) => {
    expect(decodeBenchPayload(payload)).toBeUndefined();
  });
});
