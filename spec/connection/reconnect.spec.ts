import { RxMqttClient } from '../../lib/client/client.js';
import { MqttError, TransportError } from '../../lib/errors.js';
import { resolveOptions } from '../../lib/options/options.js';
import type { TransportFactory } from '../../lib/transport/transport.js';
import { scriptedBroker } from '../helpers/scripted-broker.js';
import { VirtualClock } from '../helpers/virtual-clock.js';
import { connected, flush, harness } from './harness.js';

const base = { keepalive: 0, connectTimeout: 30_000 };

describe('reconnecting', () => {
  it('emits close, offline, then reconnect after reconnectPeriod when the broker drops the connection', async () => {
    const h = await connected({ client: { ...base, reconnectPeriod: 2000 } });
    h.broker.last.close();
    expect(h.eventLog()).toEqual(['connect', 'close', 'offline']);
    expect(h.client.state).toMatchObject({ status: 'reconnecting', attempt: 2, delayMs: 2000 });
    const cause = (h.client.state as { cause?: MqttError }).cause;
    expect(cause?.code).toBe('ERR_CONNECTION_CLOSED');
    await h.clock.advance(1999);
    expect(h.broker.connections).toHaveLength(1);
    expect(h.eventLog()).toEqual(['connect', 'close', 'offline']);
    await h.clock.advance(1);
    expect(h.broker.connections).toHaveLength(2);
    expect(h.eventLog()).toEqual(['connect', 'close', 'offline', 'reconnect', 'connect']);
    expect(h.client.state).toMatchObject({ status: 'connected', attempt: 2 });
  });

  it('reports a failed transport as ERR_TRANSPORT carrying the system error code', async () => {
    const h = await connected({ client: { ...base, reconnectPeriod: 1000 } });
    h.broker.last.fail(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    const errors = h.errors();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(TransportError);
    expect(errors[0]?.kind).toBe('ERR_TRANSPORT');
    expect((errors[0] as TransportError).errno).toBe('ECONNRESET');
    expect(errors[0]?.code).toBe('ECONNRESET'); // MQTT.js emits the socket's own error, its code intact
    expect(h.eventLog()).toEqual(['connect', 'error:ERR_TRANSPORT', 'close', 'offline']);
    await h.clock.advance(1000);
    expect(h.broker.connections).toHaveLength(2);
  });

  it("goes offline after a drop, without an 'offline' event (as MQTT.js), and opens no transport when reconnectPeriod is 0", async () => {
    const h = await connected({ client: { ...base, reconnectPeriod: 0 } });
    h.broker.last.close();
    expect(h.client.state).toMatchObject({ status: 'offline' });
    expect((h.client.state as { cause?: MqttError }).cause?.code).toBe('ERR_CONNECTION_CLOSED');
    expect(h.eventLog()).toEqual(['connect', 'close']);
    expect(h.clock.pendingTimers).toBe(0);
    await h.clock.advance(24 * 3600 * 1000);
    expect(h.broker.connections).toHaveLength(1);
    expect(h.statuses()).toEqual(['idle', 'connecting', 'connected', 'offline']);
  });

  it.each([0, 2000])('reconnect() inside a close listener connects once, at once, and fully (reconnectPeriod %i)', async (reconnectPeriod) => {
    const h = await connected({ client: { ...base, reconnectPeriod } });
    h.client.events$.subscribe((event) => event.type === 'close' && h.broker.connections.length === 1 && h.client.reconnect());
    h.broker.last.close();
    await flush();
    expect(h.broker.connections).toHaveLength(2);
    expect(h.client.state).toMatchObject({ status: 'connected', attempt: 2 });
    // No second attempt left scheduled behind it, and no half-closed state.
    await h.clock.advance(60_000);
    expect(h.broker.connections).toHaveLength(2);
    expect(h.client.state.status).toBe('connected');
  });

  it('reconnect() from offline opens a new transport at once', async () => {
    const h = await connected({ client: { ...base, reconnectPeriod: 0 } });
    h.broker.last.close();
    h.client.reconnect();
    expect(h.broker.connections).toHaveLength(2);
    expect(h.client.state).toEqual({ status: 'connecting', attempt: 2, cause: expect.any(Error) });
    await flush();
    expect(h.broker.connections[1]?.commands).toEqual(['connect']);
    expect(h.client.state).toMatchObject({ status: 'connected', attempt: 2 });
  });

  it('reconnect() from offline emits reconnect before connecting, as MQTT.js does', async () => {
    const h = await connected({ client: { ...base, reconnectPeriod: 0 } });
    h.broker.last.close();
    h.client.reconnect();
    await flush();
    expect(h.eventLog()).toEqual(['connect', 'close', 'reconnect', 'connect']);
  });

  it('reconnect() while connected drops the connection and connects again at once', async () => {
    const h = await connected({ client: { ...base, reconnectPeriod: 5000 } });
    h.client.reconnect();
    expect(h.broker.connections[0]?.destroyCalled).toBe(true);
    expect(h.broker.connections).toHaveLength(2);
    await flush();
    expect(h.client.state).toMatchObject({ status: 'connected', attempt: 2 });
    expect(h.eventLog()).toEqual(['connect', 'close', 'reconnect', 'connect']);
    expect(h.errors()).toEqual([]);
    // Nothing else is pending: no delayed reconnect opens a third transport.
    await h.clock.advance(60_000);
    expect(h.broker.connections).toHaveLength(2);
  });

  it('reconnect() while waiting out reconnectPeriod connects now and cancels the timer', async () => {
    const h = await connected({ client: { ...base, reconnectPeriod: 5000 } });
    h.broker.last.close();
    expect(h.client.state.status).toBe('reconnecting');
    h.client.reconnect();
    expect(h.broker.connections).toHaveLength(2);
    await flush();
    expect(h.client.state).toMatchObject({ status: 'connected', attempt: 2 });
    await h.clock.advance(60_000);
    expect(h.broker.connections).toHaveLength(2);
    expect(h.eventLog()).toEqual(['connect', 'close', 'offline', 'reconnect', 'connect']);
  });

  it('reconnect() after end() opens a new transport', async () => {
    const h = await connected({ client: { ...base, reconnectPeriod: 1000 } });
    await h.client.end();
    expect(h.client.state.status).toBe('closed');
    expect(h.broker.connections[0]?.commands).toEqual(['connect', 'disconnect']);
    h.client.reconnect();
    expect(h.broker.connections).toHaveLength(2);
    await flush();
    expect(h.broker.connections[1]?.commands).toEqual(['connect']);
    expect(h.client.state).toMatchObject({ status: 'connected' });
  });

  it('reports a transport factory that throws as ERR_TRANSPORT and retries after reconnectPeriod', async () => {
    const clock = new VirtualClock();
    const broker = scriptedBroker({ autoConnack: true });
    let calls = 0;
    const factory: TransportFactory = (handlers) => {
      if (calls++ === 0) throw Object.assign(new Error('getaddrinfo ENOTFOUND broker'), { code: 'ENOTFOUND' });
      return broker.factory(handlers);
    };
    const client = new RxMqttClient(resolveOptions(undefined, { ...base, scheduler: clock.scheduler, reconnectPeriod: 1000 }), factory);
    const events: string[] = [];
    client.events$.subscribe((e) => events.push(e.type === 'error' ? `error:${(e.error as MqttError).kind}` : e.type));
    client.connect();
    // Reported a microtask later, as a socket's error: connect() itself runs the first attempt,
    // and a listener added right after it must hear that attempt fail.
    expect(events).toEqual([]);
    await Promise.resolve();
    expect(events).toEqual(['error:ERR_TRANSPORT', 'close', 'offline']);
    expect(client.state).toMatchObject({ status: 'reconnecting', attempt: 2, delayMs: 1000 });
    await clock.advance(1000);
    expect(broker.connections).toHaveLength(1);
    expect(client.state).toMatchObject({ status: 'connected', attempt: 2 });
  });

  it('retries a refused TCP connection every reconnectPeriod, reporting offline once', async () => {
    const h = await harness({ client: { ...base, reconnectPeriod: 1000 }, broker: { autoOpen: false }, connect: true });
    const refused = () => h.broker.last.fail(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1883'), { code: 'ECONNREFUSED' }));
    refused();
    await h.clock.advance(1000);
    refused();
    await h.clock.advance(1000);
    refused();
    expect(h.broker.connections).toHaveLength(3);
    expect(h.broker.connections.every((c) => c.received.length === 0)).toBe(true);
    expect(h.eventLog()).toEqual([
      'error:ERR_TRANSPORT', 'close', 'offline',
      'reconnect', 'error:ERR_TRANSPORT', 'close',
      'reconnect', 'error:ERR_TRANSPORT', 'close',
    ]);
    expect(h.client.state).toMatchObject({ status: 'reconnecting', attempt: 4, delayMs: 1000 });
  });

  it('reconnect() while end() waits for acks connects again once the end completes', async () => {
    const h = await connected({ client: { ...base, reconnectPeriod: 1000 } });
    h.client.publish$('t', 'x', { qos: 1 }).subscribe({ error: () => undefined });
    const end = h.client.end();
    h.client.reconnect();
    expect(h.broker.connections).toHaveLength(1);
    h.broker.last.reply({ cmd: 'puback', messageId: 1 });
    await end;
    await flush();
    expect(h.broker.connections[0]?.commands).toEqual(['connect', 'publish', 'disconnect']);
    expect(h.broker.connections).toHaveLength(2);
    expect(h.client.state).toMatchObject({ status: 'connected' });
  });

  it('pings on the new connection only, on its own schedule, after a reconnect', async () => {
    const h = await connected({ client: { ...base, keepalive: 10, reconnectPeriod: 1000 } });
    await h.clock.advance(5000);
    h.broker.last.close();
    await h.clock.advance(1000); // reconnected at 6 s
    await h.clock.advance(9999);
    expect(h.broker.connections.map((c) => c.packets('pingreq').length)).toEqual([0, 0]);
    await h.clock.advance(1);
    expect(h.broker.connections.map((c) => c.packets('pingreq').length)).toEqual([0, 1]);
  });
});
