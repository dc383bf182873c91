/**
 * Issue #8: a broker that never answers. What "every pending operation settles within its
 * timeout" means for each operation here:
 *
 * | the broker never sends | what bounds the wait                       | then                                              |
 * |------------------------|--------------------------------------------|---------------------------------------------------|
 * | CONNACK                | `connectTimeout`                           | ERR_CONNECT_TIMEOUT, reconnect per the policy      |
 * | PINGRESP               | keepalive: a PINGREQ after `keepalive` s of silence, the PINGRESP due `keepalive` s later | ERR_KEEPALIVE_TIMEOUT, drop, reconnect |
 * | SUBACK, PUBACK, UNSUBACK | the same keepalive (a broker that acks nothing answers no PINGREQ either) | the connection drops; the command stays in flight and is re-sent on the next connection [MQTT-4.4.0-1]: nothing is lost, and it settles when acked or on `end()` (ClientClosedError) |
 * | the reply to `request()` | its own `timeout` (30 s by default)       | RequestTimeoutError                                |
 * | AUTH, to `reauthenticate()` | `reauthTimeout` (default `connectTimeout`) | ERR_REAUTH_TIMEOUT, DISCONNECT 0x80, reconnect per the policy |
 * | anything, and never closes the socket | `endTimeout` for in-flight acks, then DISCONNECT and a 2 s close grace | `end()` resolves |
 *
 * A publish has no ack timeout of its own by design: MQTT keeps it in flight across reconnects.
 * Code that wants to give up earlier puts a `timeout` operator on `publish$` (unsubscribing does
 * not unsend it) or calls `removeOutgoingMessage`.
 */
import { firstValueFrom, timeout, type Observable } from 'rxjs';
import { ClientClosedError, RequestTimeoutError, TimeoutError } from '../../lib/errors.js';
import { accepting } from '../helpers/scripted-broker.js';
import { flush, harness, type Harness } from './harness.js';

const client = { keepalive: 10, connectTimeout: 5000, reconnectPeriod: 1000, endTimeout: 30_000 };

/** Subscribes to `source` and records how it settled. */
function track<T>(source: Observable<T>): { values: T[]; error?: unknown; done: boolean } {
  const result: { values: T[]; error?: unknown; done: boolean } = { values: [], done: false };
  source.subscribe({
    next: (value) => result.values.push(value),
    error: (error) => {
      result.error = error;
      result.done = true;
    },
    complete: () => (result.done = true),
  });
  return result;
}

/** A broker that accepts CONNECT and then says nothing at all (no acks, no PINGRESP). */
function acceptsThenSilent(options: Parameters<typeof harness>[0] = {}): Promise<Harness> {
  return harness({ ...options, client: { ...client, ...options.client }, broker: { autoConnack: true, ...options.broker } });
}

describe('a broker that never sends CONNACK', () => {
  it('fails each attempt with ERR_CONNECT_TIMEOUT and reconnects per the policy', async () => {
    const h = await harness({ client });
    await h.clock.advance(5000);
    expect(h.errors().map((e) => e.code)).toEqual(['ERR_CONNECT_TIMEOUT']);
    expect(h.errors()[0]).toBeInstanceOf(TimeoutError);
    expect(h.client.state).toMatchObject({ status: 'reconnecting', delayMs: 1000 });
    await h.clock.advance(1000 + 5000 + 1000);
    expect(h.broker.connections).toHaveLength(3);
    expect(h.broker.connections.slice(0, 2).every((c) => c.destroyCalled)).toBe(true);
  });

  it('goes offline with ERR_RECONNECT_EXHAUSTED once the policy gives up', async () => {
    const h = await harness({ client: { ...client, reconnect: { initialDelay: 1000, maxAttempts: 2, jitter: 0 } } });
    await h.clock.advance(60_000);
    expect(h.broker.connections).toHaveLength(3);
    expect(h.client.state.status).toBe('offline');
    expect(h.errors().map((e) => e.code)).toEqual(['ERR_CONNECT_TIMEOUT', 'ERR_CONNECT_TIMEOUT', 'ERR_CONNECT_TIMEOUT', 'ERR_RECONNECT_EXHAUSTED']);
  });

  it('keeps commands queued across the attempts and fails them with ClientClosedError on end()', async () => {
    const h = await harness({ client });
    const publish = track(h.client.publish$('t', 'x', { qos: 1 }));
    const subscribe = track(h.client.subscribe$([{ topic: 't', qos: 1 }]));
    await h.clock.advance(20_000);
    expect(publish.done || subscribe.done).toBe(false);
    // Nothing but CONNECT ever went out: commands wait for a CONNACK.
    expect(h.broker.connections.flatMap((c) => c.commands)).toEqual(h.broker.connections.map(() => 'connect'));
    await h.client.end();
    expect(publish.error).toBeInstanceOf(ClientClosedError);
    expect(subscribe.error).toBeInstanceOf(ClientClosedError);
  });
});

describe('a broker that sends CONNACK, then nothing', () => {
  it('drops the connection with ERR_KEEPALIVE_TIMEOUT one keepalive after the unanswered PINGREQ, and reconnects', async () => {
    const h = await acceptsThenSilent();
    await h.clock.advance(10_000);
    expect(h.broker.last.commands).toEqual(['connect', 'pingreq']);
    await h.clock.advance(9_999);
    expect(h.client.state.status).toBe('connected');
    await h.clock.advance(1);
    expect(h.errors().map((e) => e.code)).toEqual(['ERR_KEEPALIVE_TIMEOUT']);
    expect(h.broker.connections[0]?.destroyCalled).toBe(true);
    expect(h.client.state).toMatchObject({ status: 'reconnecting', delayMs: 1000 });
    await h.clock.advance(1000);
    expect(h.broker.connections).toHaveLength(2);
    expect(h.client.state.status).toBe('connected');
  });

  it('keeps an unacknowledged QoS 1 publish in flight and re-sends it on the next connection', async () => {
    const h = await acceptsThenSilent({ client: { clean: false }, broker: { autoConnack: accepting({ sessionPresent: true }) } });
    const publish = track(h.client.publish$('t', 'x', { qos: 1 }));
    await h.clock.advance(21_000); // keepalive drop at 20 s, reconnect at 21 s
    expect(h.broker.connections).toHaveLength(2);
    expect(publish.done).toBe(false);
    const [first] = h.broker.connections[0]!.packets('publish');
    // [MQTT-4.4.0-1] same packet identifier, DUP=1 on the session the broker kept.
    expect(h.broker.last.packets('publish')).toEqual([expect.objectContaining({ messageId: first!.messageId, dup: true, qos: 1 })]);
    h.broker.last.reply({ cmd: 'puback', messageId: first!.messageId! });
    await flush();
    expect(publish).toMatchObject({ done: true, values: [expect.objectContaining({ messageId: first!.messageId })] });
    expect(publish.error).toBeUndefined();
  });

  it('re-sends an unacknowledged SUBSCRIBE on the next connection, and completes subscribe$ on its SUBACK', async () => {
    const h = await acceptsThenSilent();
    const subscribe = track(h.client.subscribe$([{ topic: 't', qos: 1 }]));
    await h.clock.advance(21_000);
    expect(subscribe.done).toBe(false);
    const [resent] = h.broker.last.packets('subscribe');
    expect(resent?.subscriptions).toEqual([expect.objectContaining({ topic: 't', qos: 1 })]);
    h.broker.last.reply({ cmd: 'suback', messageId: resent!.messageId, granted: [1] });
    await flush();
    expect(subscribe).toMatchObject({ done: true, values: [expect.objectContaining({ granted: [1] })] });
  });

  it('settles publish$, subscribe$ and unsubscribe$ with ClientClosedError when the client ends', async () => {
    const h = await acceptsThenSilent({ client: { keepalive: 0 } });
    const ops = [
      track(h.client.publish$('t', 'x', { qos: 1 })),
      track(h.client.publish$('t', 'x', { qos: 2 })),
      track(h.client.subscribe$([{ topic: 't', qos: 1 }])),
      track(h.client.unsubscribe$(['u'])),
    ];
    await h.clock.advance(3600_000);
    expect(ops.map((o) => o.done)).toEqual([false, false, false, false]);
    const ended = h.client.end({ force: true });
    await flush();
    await ended;
    for (const op of ops) expect(op.error).toBeInstanceOf(ClientClosedError);
  });

  it('lets a timeout operator bound a publish without unsending it', async () => {
    const h = await acceptsThenSilent({ client: { keepalive: 0 } });
    const publish = track(h.client.publish$('t', 'x', { qos: 1 }).pipe(timeout({ first: 5000, scheduler: h.clock.scheduler })));
    await h.clock.advance(5000);
    expect(publish.error).toMatchObject({ name: 'TimeoutError' });
    // Still in flight for MQTT: an end() that waits for acks waits for it, up to endTimeout.
    expect(h.client.getLastMessageId()).toBe(1);
  });

  it('MQTT 5: fails request() with RequestTimeoutError after its timeout although the SUBACK never came', async () => {
    const h = await acceptsThenSilent({ client: { protocolVersion: 5, keepalive: 0 }, broker: { protocolVersion: 5 } });
    const reply = firstValueFrom(h.client.request('svc/time', 'now?', { timeout: 5000 }));
    const settled = reply.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await h.clock.advance(5000);
    expect(await settled).toBeInstanceOf(RequestTimeoutError);
    expect(h.broker.last.commands).toEqual(['connect', 'subscribe']); // the request itself was never published
  });
});

describe('an MQTT 5 broker that never answers a re-authentication', () => {
  it('rejects reauthenticate() with ERR_REAUTH_TIMEOUT after connectTimeout (the default reauthTimeout), before keepalive would drop it', async () => {
    const h = await acceptsThenSilent({
      client: { protocolVersion: 5, properties: { authenticationMethod: 'SCRAM' }, handleAuth: (_packet, done) => done(null, {}) },
      broker: { protocolVersion: 5, autoConnack: accepting({ properties: { authenticationMethod: 'SCRAM' } }) },
    });
    const outcome = h.client.reauthenticate().then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await flush();
    expect(h.broker.last.packets('auth')).toEqual([expect.objectContaining({ reasonCode: 0x19 })]);
    await h.clock.advance(5000); // connectTimeout; keepalive would only drop it at 20 s
    expect(await outcome).toBeInstanceOf(TimeoutError);
    expect(await outcome).toMatchObject({ kind: 'ERR_REAUTH_TIMEOUT' });
    expect(h.errors().map((e) => e.kind)).toEqual(['ERR_REAUTH_TIMEOUT']);
    expect(h.broker.last.packets('disconnect')).toEqual([expect.objectContaining({ reasonCode: 0x80 })]);
  });
});

describe('a broker that accepts the socket but never answers nor closes it', () => {
  const silent = { autoConnack: false, closeOnEnd: false } as const;

  it('end() resolves at once while no CONNACK came (nothing to wait for)', async () => {
    const h = await harness({ client, broker: silent });
    let resolved = false;
    void h.client.end().then(() => (resolved = true));
    await flush();
    expect(resolved).toBe(true);
    expect(h.broker.last.destroyCalled).toBe(true);
  });

  it('end() resolves within endTimeout plus the 2 s close grace with a publish unacknowledged', async () => {
    const h = await acceptsThenSilent({ client: { keepalive: 0 }, broker: { closeOnEnd: false } });
    const publish = track(h.client.publish$('t', 'x', { qos: 1 }));
    let resolved = false;
    void h.client.end().then(() => (resolved = true));
    await h.clock.advance(30_000);
    expect(h.broker.last.commands).toEqual(['connect', 'publish', 'disconnect']);
    expect(publish.error).toBeInstanceOf(ClientClosedError);
    expect(resolved).toBe(false); // the broker keeps the socket open after DISCONNECT
    await h.clock.advance(2000);
    expect(resolved).toBe(true);
    expect(h.broker.last.destroyCalled).toBe(true);
    expect(h.client.state.status).toBe('closed');
  });

  it('end() resolves after the 2 s close grace when nothing is in flight', async () => {
    const h = await acceptsThenSilent({ client: { keepalive: 0 }, broker: { closeOnEnd: false } });
    let resolved = false;
    void h.client.end().then(() => (resolved = true));
    await h.clock.advance(1999);
    expect(resolved).toBe(false);
    await h.clock.advance(1);
    expect(resolved).toBe(true);
  });
});
