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
});
