// A payload the app keeps must never change when later reads arrive, on its connection or another:
// the decoder hands out slices of what the socket read, so any read path that reuses memory (a
// shared read buffer was tried for the benchmarks, and dropped) must copy before it does.
import { connected, useAedes, within } from './support.js';

describe('payloads kept across TCP reads', () => {
  const fixture = useAedes();

  it('stay intact for two subscribers reading interleaved traffic', async () => {
    const f = fixture();
    const subscribers = [await connected(f.rx('tcp')), await connected(f.rx('tcp'))];
    const publisher = await connected(f.rx('tcp'));
    const count = 2000;
    // Distinct bytes per message and per topic, sizes from 1 byte to past one 64 KiB read.
    const payloadOf = (topic: number, i: number) => Buffer.alloc(1 + ((i * 7919) % 70_000), (i * 31 + topic * 101) & 0xff);
    const kept: Array<Array<{ topic: number; payload: Buffer }>> = [[], []];
    const done = subscribers.map(
      (subscriber, s) =>
        new Promise<void>((resolve) => {
          subscriber.on('message', (topic: string, payload: Buffer) => {
            kept[s].push({ topic: Number(topic.split('/')[1]), payload });
            if (kept[s].length === 2 * count) resolve();
          });
        }),
    );
    await Promise.all(subscribers.map((subscriber) => subscriber.subscribeAsync('reads/+', { qos: 1 })));
    for (let i = 0; i < count; i++) {
      publisher.publish('reads/0', payloadOf(0, i), { qos: 0 });
      publisher.publish('reads/1', payloadOf(1, i), { qos: 0 });
    }
    await within(Promise.all(done), 'every message at both subscribers');

    for (const messages of kept) {
      const seen = [0, 0];
      for (const { topic, payload } of messages) {
        // QoS 0 from one publisher keeps its order per topic: the n-th message of a topic is i = n.
        const expected = payloadOf(topic, seen[topic]++);
        expect(payload.length).toBe(expected.length);
        expect(payload.equals(expected)).toBe(true);
      }
      expect(seen).toEqual([count, count]);
    }
  });
});
