import { Duplex } from 'node:stream';
import { streamTransport } from '../../lib/transport/stream.js';

/** A duplex that records every _write / _writev call it gets. */
function recordingDuplex(): { stream: Duplex; calls: Buffer[][] } {
  const calls: Buffer[][] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      calls.push([chunk]);
      callback();
    },
    writev(chunks, callback) {
      calls.push(chunks.map((c) => c.chunk as Buffer));
      callback();
    },
  });
  return { stream, calls };
}

const handlers = { onOpen: () => undefined, onData: () => undefined, onClose: () => undefined };

describe('streamTransport', () => {
  it('hands a vector of chunks to the stream as ONE _writev call, in order and uncopied', () => {
    const { stream, calls } = recordingDuplex();
    const transport = streamTransport(stream, handlers);
    const chunks = [Buffer.from('head'), Buffer.alloc(1024 * 1024, 1), Buffer.from('tail')];
    // 1 MiB is over the stream's highWaterMark: like write(), writev() asks the writer to slow down.
    expect(transport.writev!(chunks)).toBe(false);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(3);
    calls[0].forEach((chunk, i) => expect(chunk).toBe(chunks[i]));
  });

  it('writes nothing once the stream closed', () => {
    const { stream, calls } = recordingDuplex();
    const transport = streamTransport(stream, handlers);
    transport.destroy();
    expect(transport.writev!([Buffer.from('x'), Buffer.from('y')])).toBe(false);
    expect(calls).toEqual([]);
  });
});
