import { ClientClosedError, type MqttError } from '../../lib/errors.js';
import type { Observable } from 'rxjs';
import { connected, flush, harness } from './harness.js';

const client = { keepalive: 30, connectTimeout: 30_000, reconnectPeriod: 1000, endTimeout: 5000 };

/** Subscribes and records 'next'/'complete' or the error code, in order. */
function outcome<T>(observable: Observable<T>): string[] {
  const log: string[] = [];
  observable.subscribe({ next: () => log.push('next'), complete: () => log.push('complete'), error: (e: MqttError) => log.push(e.kind) });
  return log;
}

/** Tracks a promise without awaiting it. */
function track(promise: Promise<unknown>): { settled: boolean } {
  const state = { settled: false };
  void promise.then(() => (state.settled = true));
  return state;
}

describe('end()', () => {
  it('waits for the PUBACK of an in-flight QoS 1 publish before sending DISCONNECT', async () => {
    const h = await connected({ client });
    const publish = outcome(h.client.publish$('t', 'x', { qos: 1 }));
    await flush();
    const end = track(h.client.end());
    await flush();
    expect(h.client.state).toEqual({ status: 'disconnecting' });
    expect(h.broker.last.commands).toEqual(['connect', 'publish']);
    expect(end.settled).toBe(false);
    h.broker.last.reply({ cmd: 'puback', messageId: 1 });
    await flush();
    expect(publish).toEqual(['next', 'complete']);
    expect(h.broker.connections[0]?.commands).toEqual(['connect', 'publish', 'disconnect']);
    expect(h.broker.connections[0]?.endCalled).toBe(true);
    expect(h.broker.connections[0]?.destroyCalled).toBe(false);
    expect(end.settled).toBe(true);
    expect(h.client.state.status).toBe('closed');
    // 'outgoingEmpty' (MQTT.js's event): the PUBACK end() waited for came.
    expect(h.eventLog()).toEqual(['connect', 'outgoingEmpty', 'close', 'end']);
  });

  it('sends DISCONNECT at once when nothing is in flight', async () => {
    const h = await connected({ client });
    await h.client.end();
    expect(h.broker.last.commands).toEqual(['connect', 'disconnect']);
    expect(h.statuses()).toEqual(['idle', 'connecting', 'connected', 'disconnecting', 'closed']);
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('disconnects anyway after endTimeout and rejects the unacknowledged publish with ClientClosedError', async () => {
    const h = await connected({ client });
    const publish = outcome(h.client.publish$('t', 'x', { qos: 1 }));
    const end = track(h.client.end());
    await h.clock.advance(4999);
    expect(h.broker.last.commands).toEqual(['connect', 'publish']);
    expect(publish).toEqual([]);
    await h.clock.advance(1);
    expect(h.broker.connections[0]?.commands).toEqual(['connect', 'publish', 'disconnect']);
    expect(publish).toEqual(['ERR_CLIENT_CLOSED']);
    expect(end.settled).toBe(true);
    expect(h.client.state.status).toBe('closed');
  });

  it('end({ force: true }) closes at once and fails every pending publish and subscribe with ClientClosedError', async () => {
    const h = await connected({ client });
    const errors: unknown[] = [];
    const qos1 = outcome(h.client.publish$('t', 'a', { qos: 1 }));
    const qos2 = outcome(h.client.publish$('t', 'b', { qos: 2 }));
    const sub = outcome(h.client.subscribe$([{ topic: 's', qos: 1 }]));
    const unsub = outcome(h.client.unsubscribe$(['u']));
    h.client.publish$('t', 'c', { qos: 1 }).subscribe({ error: (e) => errors.push(e) });
    await flush();
    const end = h.client.end({ force: true });
    expect(h.broker.connections[0]?.destroyCalled).toBe(true);
    await end;
    expect(h.client.state.status).toBe('closed');
    expect(h.broker.connections[0]?.commands).toEqual(['connect', 'publish', 'publish', 'subscribe', 'unsubscribe', 'publish']);
    expect([qos1, qos2, sub, unsub]).toEqual([['ERR_CLIENT_CLOSED'], ['ERR_CLIENT_CLOSED'], ['ERR_CLIENT_CLOSED'], ['ERR_CLIENT_CLOSED']]);
    expect(errors[0]).toBeInstanceOf(ClientClosedError);
    expect(h.eventLog()).toEqual(['connect', 'close', 'end']);
  });

  it('end({ force: true }) also fails commands still queued for a CONNACK that never came', async () => {
    const h = await harness({ client });
    const publish = outcome(h.client.publish$('t', 'x', { qos: 0 }));
    const sub = outcome(h.client.subscribe$([{ topic: 's', qos: 0 }]));
    await h.client.end({ force: true });
    expect(publish).toEqual(['ERR_CLIENT_CLOSED']);
    expect(sub).toEqual(['ERR_CLIENT_CLOSED']);
    expect(h.broker.last.commands).toEqual(['connect']);
  });

  it('resolves at once while offline', async () => {
    const h = await connected({ client: { ...client, reconnectPeriod: 0 } });
    h.broker.last.close();
    expect(h.client.state.status).toBe('offline');
    await h.client.end();
    expect(h.client.state.status).toBe('closed');
    expect(h.eventLog()).toEqual(['connect', 'close', 'end']);
  });

  it('resolves at once while reconnecting and cancels the reconnect timer', async () => {
    const h = await connected({ client });
    h.broker.last.close();
    expect(h.client.state.status).toBe('reconnecting');
    const queued = outcome(h.client.publish$('t', 'x', { qos: 1 }));
    const end = track(h.client.end());
    await flush();
    expect(end.settled).toBe(true);
    expect(queued).toEqual(['ERR_CLIENT_CLOSED']);
    expect(h.clock.pendingTimers).toBe(0);
    await h.clock.advance(3600_000);
    expect(h.broker.connections).toHaveLength(1);
    expect(h.client.state.status).toBe('closed');
  });

  it('returns the same promise when called twice while ending, and resolves again once closed', async () => {
    const h = await connected({ client });
    h.client.publish$('t', 'x', { qos: 1 }).subscribe({ error: () => undefined });
    const first = h.client.end();
    const second = h.client.end();
    expect(second).toBe(first);
    h.broker.last.reply({ cmd: 'puback', messageId: 1 });
    await expect(first).resolves.toBeUndefined();
    await expect(h.client.end()).resolves.toBeUndefined();
    await expect(h.client.end({ force: true })).resolves.toBeUndefined();
    expect(h.broker.connections[0]?.packets('disconnect')).toHaveLength(1);
    expect(h.eventLog().filter((e) => e === 'end')).toHaveLength(1);
  });

  it('rejects commands issued while it waits for acks', async () => {
    const h = await connected({ client });
    h.client.publish$('t', 'x', { qos: 1 }).subscribe({ error: () => undefined });
    void h.client.end();
    const late = outcome(h.client.publish$('t', 'late', { qos: 0 }));
    await flush();
    expect(late).toEqual(['ERR_CLIENT_CLOSED']);
    expect(h.broker.last.packets('publish').map((p) => p.payload.toString())).toEqual(['x']);
  });

  it('makes publish$, subscribe$ and topic() error with ClientClosedError afterwards', async () => {
    const h = await connected({ client });
    await h.client.end();
    const publish = outcome(h.client.publish$('t', 'x'));
    const subscribe = outcome(h.client.subscribe$([{ topic: 't', qos: 0 }]));
    const topic = outcome(h.client.topic('t/#'));
    await flush();
    expect(publish).toEqual(['ERR_CLIENT_CLOSED']);
    expect(subscribe).toEqual(['ERR_CLIENT_CLOSED']);
    expect(topic).toEqual(['ERR_CLIENT_CLOSED']);
    expect(h.broker.last.commands).toEqual(['connect', 'disconnect']);
  });

  it('completes open topic() streams', async () => {
    const h = await connected({ client });
    const topic = outcome(h.client.topic('t/#'));
    await flush();
    h.broker.last.reply({ cmd: 'suback', messageId: 1, granted: [0] });
    await h.client.end();
    expect(topic).toEqual(['complete']);
    expect(h.broker.last.commands).toEqual(['connect', 'subscribe', 'disconnect']);
  });

  it('sends the MQTT 5 reason code and properties given to end()', async () => {
    const h = await connected({ client: { ...client, protocolVersion: 5 } });
    await h.client.end({ reasonCode: 0x04, properties: { reasonString: 'bye' } });
    expect(h.broker.last.packets('disconnect')).toEqual([
      expect.objectContaining({ cmd: 'disconnect', reasonCode: 0x04, properties: { reasonString: 'bye' } }),
    ]);
  });

  it('destroys the transport after a grace period when the broker keeps it open after DISCONNECT', async () => {
    const h = await connected({ client, broker: { closeOnEnd: false } });
    const end = track(h.client.end());
    await flush();
    expect(h.broker.last.endCalled).toBe(true);
    expect(end.settled).toBe(false);
    await h.clock.advance(2000);
    expect(h.broker.last.destroyCalled).toBe(true);
    expect(end.settled).toBe(true);
    expect(h.client.state.status).toBe('closed');
  });

  it('stops the keepalive: no PINGREQ after end', async () => {
    const h = await connected({ client, broker: { closeOnEnd: false } });
    void h.client.end();
    await h.clock.advance(120_000);
    expect(h.broker.last.commands).toEqual(['connect', 'disconnect']);
  });

  it('finishes when the broker drops the connection while it waits for acks, failing what was in flight', async () => {
    const h = await connected({ client });
    const publish = outcome(h.client.publish$('t', 'x', { qos: 1 }));
    const end = track(h.client.end());
    await flush();
    h.broker.last.close();
    await flush();
    expect(end.settled).toBe(true);
    expect(publish).toEqual(['ERR_CLIENT_CLOSED']);
    expect(h.client.state.status).toBe('closed');
    await h.clock.advance(60_000);
    expect(h.broker.connections).toHaveLength(1);
  });

  it('resolves at once after a fatal CONNACK refusal left the client offline', async () => {
    const h = await harness({ client });
    h.broker.last.reply({ cmd: 'connack', sessionPresent: false, returnCode: 5 });
    expect(h.client.state.status).toBe('offline');
    await h.client.end();
    expect(h.client.state.status).toBe('closed');
    expect(h.broker.connections).toHaveLength(1);
  });
});
