import { TimeoutError } from '../../lib/errors.js';
import { accepting } from '../helpers/scripted-broker.js';
import { harness } from './harness.js';

const client = { connectTimeout: 5000, reconnectPeriod: 1000, keepalive: 0 };

describe('connect timeout', () => {
  it('sends CONNECT and waits for CONNACK without failing before connectTimeout', async () => {
    const h = await harness({ client });
    expect(h.broker.connections).toHaveLength(1);
    expect(h.broker.last.commands).toEqual(['connect']);
    await h.clock.advance(4999);
    expect(h.events).toEqual([]);
    expect(h.broker.last.isOpen).toBe(true);
    expect(h.client.state).toEqual({ status: 'connecting', attempt: 1 });
  });

  it('reports ERR_CONNECT_TIMEOUT and destroys the transport when no CONNACK arrives within connectTimeout', async () => {
    const h = await harness({ client });
    await h.clock.advance(5000);
    const [error] = h.errors();
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error?.code).toBe('ERR_CONNECT_TIMEOUT');
    expect(h.errors()).toHaveLength(1);
    expect(h.broker.connections[0]?.destroyCalled).toBe(true);
    expect(h.broker.connections[0]?.isOpen).toBe(false);
    expect(h.eventLog()).toEqual(['error:ERR_CONNECT_TIMEOUT', 'close', 'offline']);
  });

  it('goes connecting -> reconnecting(delayMs) -> connecting with attempt 2 after reconnectPeriod', async () => {
    const h = await harness({ client });
    await h.clock.advance(5000);
    expect(h.client.state).toMatchObject({ status: 'reconnecting', attempt: 2, delayMs: 1000 });
    expect((h.client.state as { cause?: Error }).cause).toBeInstanceOf(TimeoutError);
    await h.clock.advance(999);
    expect(h.broker.connections).toHaveLength(1);
    await h.clock.advance(1);
    expect(h.broker.connections).toHaveLength(2);
    expect(h.broker.connections[1]?.commands).toEqual(['connect']);
    expect(h.statuses()).toEqual(['idle', 'connecting', 'reconnecting', 'connecting']);
    expect(h.states[1]).toEqual({ status: 'connecting', attempt: 1 });
    expect(h.states[3]).toEqual({ status: 'connecting', attempt: 2, cause: expect.any(TimeoutError) });
    expect(h.eventLog()).toEqual(['error:ERR_CONNECT_TIMEOUT', 'close', 'offline', 'reconnect']);
  });

  it('times out each attempt afresh and reports one offline for the whole outage', async () => {
    const h = await harness({ client });
    await h.clock.advance(5000 + 1000 + 5000);
    expect(h.broker.connections).toHaveLength(2);
    expect(h.client.state).toMatchObject({ status: 'reconnecting', attempt: 3, delayMs: 1000 });
    expect(h.eventLog()).toEqual(['error:ERR_CONNECT_TIMEOUT', 'close', 'offline', 'reconnect', 'error:ERR_CONNECT_TIMEOUT', 'close']);
  });

  it('cancels the connect timeout once CONNACK arrives', async () => {
    const h = await harness({ client });
    await h.clock.advance(4000);
    h.broker.last.reply(accepting());
    await h.clock.advance(60_000);
    expect(h.errors()).toEqual([]);
    expect(h.broker.connections).toHaveLength(1);
    expect(h.client.state).toMatchObject({ status: 'connected', attempt: 1 });
    expect(h.eventLog()).toEqual(['connect']);
  });

  it('starts the connect timeout before the transport opens', async () => {
    const h = await harness({ client, broker: { autoOpen: false } });
    expect(h.broker.last.received).toEqual([]);
    await h.clock.advance(5000);
    expect(h.errors().map((e) => e.code)).toEqual(['ERR_CONNECT_TIMEOUT']);
    expect(h.broker.connections[0]?.destroyCalled).toBe(true);
  });
});
