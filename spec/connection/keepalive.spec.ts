import { TimeoutError } from '../../lib/errors.js';
import { accepting } from '../helpers/scripted-broker.js';
import { connected, flush, harness, type Harness } from './harness.js';

/** Virtual times at which the client wrote a packet of type `cmd`. */
function sentAt(h: Harness, cmd: string): number[] {
  const times: number[] = [];
  h.client.packetsOut$.subscribe((packet) => packet.cmd === cmd && times.push(h.clock.now));
  return times;
}

/** Answers every PINGREQ on the current connection, as the test's broker. */
function answerPings(h: Harness): void {
  h.client.packetsOut$.subscribe((packet) => {
    if (packet.cmd === 'pingreq') queueMicrotask(() => h.broker.last.isOpen && h.broker.last.reply({ cmd: 'pingresp' }));
  });
}

const base = { keepalive: 10, reconnectPeriod: 1000, connectTimeout: 30_000 };

describe('keepalive', () => {
  it('sends PINGREQ after keepalive seconds without sending anything', async () => {
    const h = await connected({ client: base });
    const pings = sentAt(h, 'pingreq');
    await h.clock.advance(9999);
    expect(pings).toEqual([]);
    await h.clock.advance(1);
    expect(pings).toEqual([10_000]);
    expect(h.broker.last.commands).toEqual(['connect', 'pingreq']);
  });

  it('keeps pinging once per interval while PINGRESPs come back', async () => {
    const h = await connected({ client: base });
    const pings = sentAt(h, 'pingreq');
    answerPings(h);
    await h.clock.advance(45_000);
    expect(pings).toEqual([10_000, 20_000, 30_000, 40_000]);
    expect(h.errors()).toEqual([]);
    expect(h.client.state.status).toBe('connected');
  });

  it('sends no PINGREQ while other packets keep flowing (reschedulePings true)', async () => {
    const h = await connected({ client: base });
    const pings = sentAt(h, 'pingreq');
    for (let t = 0; t < 60_000; t += 5000) {
      await h.clock.advance(5000);
      h.client.publish$('t', 'x').subscribe();
    }
    await flush();
    expect(pings).toEqual([]);
    expect(h.broker.last.packets('publish')).toHaveLength(12);
    // Idle from the last publish at 60 s: the ping is due one interval later.
    await h.clock.advance(10_000);
    expect(pings).toEqual([70_000]);
  });

  it('sends PINGREQ every interval whatever else is sent when reschedulePings is false', async () => {
    const h = await connected({ client: { ...base, reschedulePings: false } });
    const pings = sentAt(h, 'pingreq');
    answerPings(h);
    for (let t = 0; t < 30_000; t += 2500) {
      await h.clock.advance(2500);
      h.client.publish$('t', 'x').subscribe();
    }
    expect(pings).toEqual([10_000, 20_000, 30_000]);
    expect(h.errors()).toEqual([]);
  });

  it('fails with ERR_KEEPALIVE_TIMEOUT, closes the transport and reconnects when no PINGRESP arrives', async () => {
    const h = await connected({ client: base });
    await h.clock.advance(10_000);
    expect(h.broker.connections[0]?.commands).toEqual(['connect', 'pingreq']);
    await h.clock.advance(9_999);
    expect(h.errors()).toEqual([]);
    await h.clock.advance(1);
    const errors = h.errors();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(TimeoutError);
    expect(errors[0]?.code).toBe('ERR_KEEPALIVE_TIMEOUT');
    expect(h.broker.connections[0]?.destroyCalled).toBe(true);
    expect(h.broker.connections[0]?.commands).toEqual(['connect', 'pingreq']);
    expect(h.client.state).toMatchObject({ status: 'reconnecting', attempt: 2, delayMs: 1000 });
    await h.clock.advance(1000);
    expect(h.broker.connections).toHaveLength(2);
    expect(h.client.state).toMatchObject({ status: 'connected', attempt: 2 });
    expect(h.eventLog()).toEqual(['connect', 'error:ERR_KEEPALIVE_TIMEOUT', 'close', 'offline', 'reconnect', 'connect']);
  });

  it('does not take the PINGREQ it wrote itself as a sign of life', async () => {
    const h = await connected({ client: base });
    // Traffic after the ping postpones the next ping but cannot stand in for the PINGRESP.
    await h.clock.advance(10_000);
    await h.clock.advance(5000);
    h.client.publish$('t', 'x').subscribe();
    await h.clock.advance(5000);
    expect(h.errors().map((e) => e.code)).toEqual(['ERR_KEEPALIVE_TIMEOUT']);
  });

  it('uses the MQTT 5 CONNACK serverKeepAlive instead of the client keepalive', async () => {
    const h = await harness({
      client: { ...base, keepalive: 60, protocolVersion: 5 },
      broker: { autoConnack: accepting({ properties: { serverKeepAlive: 5 } }) },
    });
    const pings = sentAt(h, 'pingreq');
    answerPings(h);
    expect(h.broker.last.packets('connect')[0]?.keepalive).toBe(60);
    await h.clock.advance(16_000);
    expect(pings).toEqual([5000, 10_000, 15_000]);
  });

  it('times the PINGRESP window with serverKeepAlive too', async () => {
    const h = await harness({
      client: { ...base, keepalive: 60, protocolVersion: 5 },
      broker: { autoConnack: accepting({ properties: { serverKeepAlive: 5 } }) },
    });
    await h.clock.advance(9999);
    expect(h.errors()).toEqual([]);
    await h.clock.advance(1);
    expect(h.errors().map((e) => e.code)).toEqual(['ERR_KEEPALIVE_TIMEOUT']);
  });

  it('never sends PINGREQ with keepalive 0, and leaves no timer running', async () => {
    const h = await connected({ client: { ...base, keepalive: 0 } });
    const pings = sentAt(h, 'pingreq');
    expect(h.broker.last.packets('connect')[0]?.keepalive).toBe(0);
    expect(h.clock.pendingTimers).toBe(0);
    await h.clock.advance(24 * 3600 * 1000);
    expect(pings).toEqual([]);
    expect(h.broker.last.commands).toEqual(['connect']);
    expect(h.client.state.status).toBe('connected');
  });

  it('sends no PINGREQ before CONNACK', async () => {
    const h = await harness({ client: { ...base, keepalive: 1, connectTimeout: 60_000 } });
    await h.clock.advance(30_000);
    expect(h.broker.last.commands).toEqual(['connect']);
  });
});
