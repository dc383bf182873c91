import { encodePacket, type Packet } from '../../lib/protocol/codec.js';
import { accepting } from '../helpers/scripted-broker.js';
import { connected, flush, harness } from './harness.js';

const client = { keepalive: 0, connectTimeout: 30_000, reconnectPeriod: 1000 };

describe('write batching', () => {
  it('writes 1,000 QoS 0 publishes issued in one synchronous loop with ONE transport write', async () => {
    const h = await connected({ client });
    const writesBefore = h.broker.last.writes.length;
    let settled = 0;
    for (let i = 0; i < 1000; i++) h.client.publish$('bench/t', `m${i}`).subscribe({ complete: () => settled++ });
    expect(h.broker.last.writes.length).toBe(writesBefore); // nothing written synchronously
    await flush();
    expect(h.broker.last.writes.length - writesBefore).toBe(1);
    const publishes = h.broker.last.packets('publish');
    expect(publishes).toHaveLength(1000);
    expect(publishes.map((p) => p.payload.toString())).toEqual(Array.from({ length: 1000 }, (_, i) => `m${i}`));
    expect(h.broker.last.decodeErrors).toEqual([]);
    expect(settled).toBe(1000);
  });

  it('settles QoS 0 publishes only after the write that carries them', async () => {
    const h = await connected({ client });
    const writes = h.broker.last.writes;
    const before = writes.length;
    const writesWhenSettled: number[] = [];
    h.client.publish$('t', 'x').subscribe({ complete: () => writesWhenSettled.push(writes.length - before) });
    expect(writesWhenSettled).toEqual([]);
    await flush();
    expect(writesWhenSettled).toEqual([1]);
  });

  it('writes what one turn queued in one call, and the next turn in another', async () => {
    const h = await connected({ client });
    const before = h.broker.last.writes.length;
    for (let i = 0; i < 10; i++) h.client.publish$('t', `a${i}`, { qos: 1 }).subscribe();
    await flush();
    for (let i = 0; i < 10; i++) h.client.publish$('t', `b${i}`).subscribe();
    await flush();
    expect(h.broker.last.writes.length - before).toBe(2);
    expect(h.broker.last.packets('publish')).toHaveLength(20);
  });

  it('sends the whole offline queue in one write after CONNACK', async () => {
    const h = await harness({ client });
    for (let i = 0; i < 500; i++) h.client.publish$('t', `q${i}`, { qos: (i % 3) as 0 | 1 | 2 }).subscribe();
    await flush();
    const before = h.broker.last.writes.length;
    h.broker.last.reply(accepting());
    await flush();
    expect(h.broker.last.writes.length - before).toBe(1);
    expect(h.broker.last.packets('publish')).toHaveLength(500);
  });

  describe('with a transport that takes a vector (writev)', () => {
    const kib = (i: number) => Buffer.alloc(1024, i);

    it('writes 100 QoS 0 publishes of 1 KiB issued in one turn as ONE vector, handing over each payload buffer uncopied', async () => {
      const h = await connected({ client });
      const before = h.broker.last.writes.length;
      const payloads: Buffer[] = Array.from({ length: 100 }, (_, i) => kib(i));
      for (const payload of payloads) h.client.publish$('big/t', payload).subscribe();
      await flush();
      expect(h.broker.last.writes.length - before).toBe(1);
      expect(h.broker.last.vectors).toHaveLength(1);
      const vector = h.broker.last.vectors[0];
      expect(vector.filter((chunk) => payloads.includes(chunk))).toEqual(payloads);
      const publishes = h.broker.last.packets('publish');
      expect(publishes.map((p, i) => Buffer.compare(p.payload as Buffer, payloads[i]))).toEqual(payloads.map(() => 0));
      expect(h.broker.last.decodeErrors).toEqual([]);
    });

    it('joins the small packets between large payloads into one chunk', async () => {
      const h = await connected({ client });
      const big = Buffer.alloc(8 * 1024, 7);
      h.client.publish$('t', 'small-1').subscribe();
      h.client.publish$('t', big, { qos: 1 }).subscribe();
      h.client.publish$('t', 'small-2').subscribe();
      await flush();
      const [vector] = h.broker.last.vectors;
      expect(vector).toHaveLength(3); // [small-1 + the big one's header, the big payload, small-2]
      expect(vector[1]).toBe(big);
      expect(h.broker.last.packets('publish').map((p) => (p.payload as Buffer).length)).toEqual([7, 8 * 1024, 7]);
    });

    it('still joins a batch under 4 KiB (a copy from the Buffer pool), even with a 1 KiB payload in it', async () => {
      const h = await connected({ client });
      h.client.publish$('t', kib(1), { qos: 1 }).subscribe();
      h.client.publish$('t', 'small').subscribe();
      await flush();
      expect(h.broker.last.vectors).toEqual([]);
      expect(h.broker.last.packets('publish').map((p) => (p.payload as Buffer).length)).toEqual([1024, 5]);
    });

    it('still writes a turn of small packets only as one plain buffer', async () => {
      const h = await connected({ client });
      for (let i = 0; i < 10; i++) h.client.publish$('t', Buffer.alloc(64, i)).subscribe();
      await flush();
      expect(h.broker.last.vectors).toEqual([]);
      expect(h.broker.last.packets('publish')).toHaveLength(10);
    });
  });

  describe('a QoS 0 publish whose bytes never reached the transport', () => {
    /** Publishes QoS 0, then runs `drop` in the same turn, before the batched write. */
    async function publishThen(drop: (h: Awaited<ReturnType<typeof connected>>) => unknown): Promise<{ outcome: string[]; written: number }> {
      const h = await connected({ client });
      const outcome: string[] = [];
      h.client.publish$('t', 'x').subscribe({ complete: () => outcome.push('complete'), error: (e) => outcome.push(e.code) });
      await drop(h);
      await h.clock.advance(1000);
      return { outcome, written: h.broker.connections.flatMap((c) => c.packets('publish')).length };
    }

    it('fails with ERR_CONNECTION_CLOSED when the broker closes first', async () => {
      expect(await publishThen((h) => h.broker.last.close())).toEqual({ outcome: ['ERR_CONNECTION_CLOSED'], written: 0 });
    });

    it('fails with ERR_CONNECTION_CLOSED when reconnect() drops the connection first', async () => {
      expect(await publishThen((h) => h.client.reconnect())).toEqual({ outcome: ['ERR_CONNECTION_CLOSED'], written: 0 });
    });

    it('fails with ClientClosedError when end({ force: true }) closes first', async () => {
      expect(await publishThen((h) => h.client.end({ force: true }))).toEqual({ outcome: ['ERR_CLIENT_CLOSED'], written: 0 });
    });

    it('still succeeds when a protocol error drops the connection: the queued bytes are written first', async () => {
      expect(await publishThen((h) => h.broker.last.raw([0x00, 0x00]))).toEqual({ outcome: ['complete'], written: 1 });
    });
  });

  describe('the packets answering one read', () => {
    /** Keeps `window` QoS `qos` publishes outstanding: each one's completion issues the next, up to `total`. */
    function slidingWindow(h: Awaited<ReturnType<typeof connected>>, qos: 1 | 2, window: number, total: number): string[] {
      const completed: string[] = [];
      let next = 0;
      const send = (): void => {
        const i = next++;
        h.client.publish$('w', `m${i}`, { qos }).subscribe({ complete: () => (completed.push(`m${i}`), next < total && send()) });
      };
      for (let k = 0; k < window; k++) send();
      return completed;
    }

    /** One chunk holding every packet, as a broker's read may deliver them. */
    const oneChunk = (packets: Packet[], protocolVersion: 4 | 5 = 4): Buffer => Buffer.concat(packets.map((p) => encodePacket(p, protocolVersion)));

    it('writes the publishes that the callbacks of one read of 10 PUBACKs issue in ONE write', async () => {
      const h = await connected({ client });
      const completed = slidingWindow(h, 1, 10, 20);
      await flush();
      const ids = h.broker.last.packets('publish').map((p) => p.messageId!);
      const before = h.broker.last.writes.length;
      h.broker.last.raw(oneChunk(ids.map((messageId) => ({ cmd: 'puback', messageId }))));
      await flush();
      expect(completed).toHaveLength(10);
      expect(h.broker.last.writes.length - before).toBe(1);
      expect(h.broker.last.packets('publish').slice(10).map((p) => p.payload.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `m${i + 10}`));
    });

    it('writes the PUBRELs of one read of 10 PUBRECs in one write, and the publishes issued on the PUBCOMPs of one read in another', async () => {
      const h = await connected({ client });
      const completed = slidingWindow(h, 2, 10, 20);
      await flush();
      const ids = h.broker.last.packets('publish').map((p) => p.messageId!);
      const before = h.broker.last.writes.length;
      h.broker.last.raw(oneChunk(ids.map((messageId) => ({ cmd: 'pubrec', messageId }))));
      await flush();
      expect(h.broker.last.writes.length - before).toBe(1);
      expect(h.broker.last.packets('pubrel').map((p) => p.messageId)).toEqual(ids);
      h.broker.last.raw(oneChunk(ids.map((messageId) => ({ cmd: 'pubcomp', messageId }))));
      await flush();
      expect(completed).toHaveLength(10);
      expect(h.broker.last.writes.length - before).toBe(2);
      expect(h.broker.last.packets('publish')).toHaveLength(20);
    });

    it('acknowledges the 10 QoS 1 messages of one read in ONE write', async () => {
      const h = await connected({ client });
      const delivered: string[] = [];
      h.client.topic('in/#', { qos: 1 }).subscribe((m) => delivered.push(m.payload.toString()));
      await flush();
      const [subscribe] = h.broker.last.packets('subscribe');
      h.broker.last.reply({ cmd: 'suback', messageId: subscribe.messageId!, granted: [1] });
      await flush();
      const before = h.broker.last.writes.length;
      const messages: Packet[] = Array.from({ length: 10 }, (_, i) => ({ cmd: 'publish', topic: 'in/t', payload: Buffer.from(`i${i}`), qos: 1, messageId: 100 + i, dup: false, retain: false }));
      h.broker.last.raw(oneChunk(messages));
      await flush();
      expect(delivered).toHaveLength(10);
      expect(h.broker.last.writes.length - before).toBe(1);
      expect(h.broker.last.packets('puback').map((p) => p.messageId)).toEqual(messages.map((m) => (m as { messageId: number }).messageId));
    });

    it('still settles in order: a QoS 1 publish acknowledged in the turn of a QoS 0 publish completes after it', async () => {
      const h = await connected({ client });
      const order: string[] = [];
      h.client.publish$('t', 'q1', { qos: 1 }).subscribe({ complete: () => order.push('qos1') });
      await flush();
      const [{ messageId }] = h.broker.last.packets('publish');
      h.client.publish$('t', 'q0').subscribe({ complete: () => order.push('qos0') });
      h.broker.last.reply({ cmd: 'puback', messageId: messageId! });
      expect(order).toEqual([]); // the QoS 0 publish waits for its write, and the QoS 1 settle behind it
      await flush();
      expect(order).toEqual(['qos0', 'qos1']);
    });
  });
});
