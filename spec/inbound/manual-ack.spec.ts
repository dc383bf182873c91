/**
 * Manual acknowledgement (`topic(f, { ack: 'manual' })`), the unacknowledged-message bound, the
 * `messages()` async iterator, `publishAll` and `connected$`, against a scripted broker in
 * virtual time: what goes on the wire, and when.
 */
import { config, concatMap, firstValueFrom, from, Subject, type Subscription } from 'rxjs';
import type { AckableMessage } from '../../lib/inbound/ack-holds.js';
import type { IPublishPacket, ISubscribePacket, QoS } from '../../lib/protocol/codec.js';
import { PublishError, SubackError } from '../../lib/errors.js';
import type { MqttMessage } from '../../lib/inbound/message.js';
import type { PublishAllResult } from '../../lib/client/publish-all.js';
import { connected, flush, type Harness } from '../connection/harness.js';

function publish(messageId: number, topic = 'a/b', qos: QoS = 1): IPublishPacket {
  return { cmd: 'publish', topic, payload: Buffer.from(`m${messageId}`), qos, dup: false, retain: false, messageId: qos > 0 ? messageId : undefined };
}

/** A PUBLISH for the first topic() stream of an MQTT 5 client (Subscription Identifier 1). */
function publish5(messageId: number): IPublishPacket {
  return { ...publish(messageId), properties: { subscriptionIdentifier: 1 } };
}

/** Answers every SUBSCRIBE not answered yet with a SUBACK granting `code`. */
async function grant(h: Harness, code = 1): Promise<void> {
  await flush();
  const answered = (grant.answered ??= new WeakMap<object, Set<number>>());
  const done = answered.get(h.broker.last) ?? new Set<number>();
  answered.set(h.broker.last, done);
  for (const packet of h.broker.last.packets('subscribe') as ISubscribePacket[]) {
    if (done.has(packet.messageId!)) continue;
    done.add(packet.messageId!);
    h.broker.last.reply({ cmd: 'suback', messageId: packet.messageId, granted: packet.subscriptions.map(() => code) });
  }
  await flush();
}
grant.answered = undefined as WeakMap<object, Set<number>> | undefined;

function pubacks(h: Harness): number[] {
  return h.broker.last.packets('puback').map((p) => p.messageId!);
}

describe('topic() with ack: manual', () => {
  it('withholds the PUBACK of a QoS 1 message until the stream acknowledges it, and ack() is idempotent', async () => {
    const h = await connected();
    const received: AckableMessage[] = [];
    h.client.topic('a/b', { qos: 1, ack: 'manual' }).subscribe((m) => received.push(m));
    await grant(h);
    h.broker.last.reply(publish(1));
    await flush();
    expect(received.map((m) => m.payload.toString())).toEqual(['m1']);
    expect(pubacks(h)).toEqual([]);
    received[0]!.ack();
    received[0]!.ack();
    await flush();
    expect(pubacks(h)).toEqual([1]);
  });

  it('withholds the PUBREC of a QoS 2 message until it is acknowledged', async () => {
    const h = await connected();
    const received: AckableMessage[] = [];
    h.client.topic('a/b', { qos: 2, ack: 'manual' }).subscribe((m) => received.push(m));
    await grant(h, 2);
    h.broker.last.reply(publish(7, 'a/b', 2));
    await flush();
    expect(h.broker.last.packets('pubrec')).toEqual([]);
    received[0]!.ack();
    await flush();
    expect(h.broker.last.packets('pubrec').map((p) => p.messageId)).toEqual([7]);
  });

  it('sends the PUBACK only once every manual stream that received the message acknowledged it; auto streams hold nothing', async () => {
    const h = await connected();
    const plus: AckableMessage[] = [];
    const exact: AckableMessage[] = [];
    const auto: MqttMessage[] = [];
    h.client.topic('a/+', { qos: 1, ack: 'manual' }).subscribe((m) => plus.push(m));
    h.client.topic('a/b', { qos: 1, ack: 'manual' }).subscribe((m) => exact.push(m));
    h.client.topic('a/#', { qos: 1 }).subscribe((m) => auto.push(m));
    await grant(h);
    h.broker.last.reply(publish(1));
    await flush();
    expect([plus.length, exact.length, auto.length]).toEqual([1, 1, 1]);
    plus[0]!.ack();
    await flush();
    expect(pubacks(h)).toEqual([]);
    exact[0]!.ack();
    await flush();
    expect(pubacks(h)).toEqual([1]);
  });

  it('sends the acknowledgements in the order the messages arrived, whatever the order of ack() calls [MQTT-4.6.0-2]', async () => {
    const h = await connected();
    const received: AckableMessage[] = [];
    h.client.topic('a/b', { qos: 1, ack: 'manual' }).subscribe((m) => received.push(m));
    await grant(h);
    h.broker.last.reply(publish(1), publish(2), publish(3));
    await flush();
    received[2]!.ack();
    received[1]!.ack();
    await flush();
    expect(pubacks(h)).toEqual([]);
    received[0]!.ack();
    await flush();
    expect(pubacks(h)).toEqual([1, 2, 3]);
  });

  it('gives QoS 0 messages a no-op ack()', async () => {
    const h = await connected();
    const received: AckableMessage[] = [];
    h.client.topic('a/b', { ack: 'manual' }).subscribe((m) => received.push(m));
    await grant(h, 0);
    h.broker.last.reply(publish(1, 'a/b', 0));
    await flush();
    expect(() => received[0]!.ack()).not.toThrow();
    expect(h.client.state.status).toBe('connected');
    expect(h.broker.last.commands).toEqual(['connect', 'subscribe']);
  });

  it('keeps the holds of the messages a stream emitted after it unsubscribes: they are acknowledged by ack() only', async () => {
    const h = await connected();
    const received: AckableMessage[] = [];
    const subscription = h.client.topic('a/b', { qos: 1, ack: 'manual' }).subscribe((m) => received.push(m));
    await grant(h);
    h.broker.last.reply(publish(1), publish(2));
    await flush();
    subscription.unsubscribe();
    await flush();
    expect(pubacks(h)).toEqual([]);
    received[1]!.ack();
    await flush();
    expect(pubacks(h)).toEqual([]); // behind m1, in arrival order [MQTT-4.6.0-2]
    received[0]!.ack();
    await flush();
    expect(pubacks(h)).toEqual([1, 2]);
  });

  it('acknowledges the message firstValueFrom took only when the app calls ack(), not when take-one unsubscribes', async () => {
    const h = await connected();
    const first = firstValueFrom(h.client.topic('a/b', { qos: 1, ack: 'manual' }));
    await grant(h);
    h.broker.last.reply(publish(1));
    const message = await first;
    await flush();
    expect(pubacks(h)).toEqual([]);
    message.ack();
    await flush();
    expect(pubacks(h)).toEqual([1]);
  });

  it('waits for handleMessage and for ack(), whichever comes last', async () => {
    const h = await connected({ connect: false });
    let done: (() => void) | undefined;
    // handleMessage is a facade hook; the harness client has none, so plug one in as the facade does.
    const { RxMqttClient } = await import('../../lib/client/client.js');
    const client = new RxMqttClient(h.client.options, h.broker.factory, { handleMessage: () => (_packet, callback) => (done = () => callback()) });
    const received: AckableMessage[] = [];
    client.topic('a/b', { qos: 1, ack: 'manual' }).subscribe((m) => received.push(m));
    client.connect();
    h.broker.last.reply({ cmd: 'connack', returnCode: 0, sessionPresent: false });
    await grant(h);
    h.broker.last.reply(publish(1));
    await flush();
    received[0]!.ack();
    await flush();
    expect(pubacks(h)).toEqual([]);
    done!();
    await flush();
    expect(pubacks(h)).toEqual([1]);
    await client.end({ force: true });
  });

  it('rejects an ack option other than auto or manual at the call', async () => {
    const h = await connected();
    expect(() => h.client.topic('a/b', { ack: 'later' as 'manual' })).toThrow(/ack must be/);
  });

  it('lets a consumer written as concatMap(async m => { await work; m.ack() }) handle one message at a time', async () => {
    const h = await connected();
    const work = new Subject<void>();
    const handled: string[] = [];
    h.client
      .topic('a/b', { qos: 1, ack: 'manual' })
      .pipe(
        concatMap(async (m) => {
          await new Promise<void>((resolve) => work.subscribe(() => resolve()));
          handled.push(m.payload.toString());
          m.ack();
        }),
      )
      .subscribe();
    await grant(h);
    h.broker.last.reply(publish(1), publish(2), publish(3));
    await flush();
    expect(pubacks(h)).toEqual([]);
    work.next();
    await flush();
    expect(pubacks(h)).toEqual([1]);
    work.next();
    await flush();
    work.next();
    await flush();
    expect(handled).toEqual(['m1', 'm2', 'm3']);
    expect(pubacks(h)).toEqual([1, 2, 3]);
  });
});

describe('the bound on unacknowledged messages (maxUnackedMessages)', () => {
  it('pauses reading above the bound on MQTT 3.1.1, resumes at half of it, and keeps the connection alive meanwhile', async () => {
    const h = await connected({ client: { maxUnackedMessages: 10, keepalive: 10 } });
    const received: AckableMessage[] = [];
    h.client.topic('a/b', { qos: 1, ack: 'manual' }).subscribe((m) => received.push(m));
    await grant(h);
    for (let id = 1; id <= 10; id++) h.broker.last.reply(publish(id));
    await flush();
    expect(h.broker.last.paused).toBe(false);
    h.broker.last.reply(publish(11));
    await flush();
    expect(h.broker.last.paused).toBe(true);

    // PINGRESPs would wait unread in the paused socket: no keepalive timeout for that.
    await h.clock.advance(35_000);
    expect(h.client.state.status).toBe('connected');
    expect(h.broker.last.packets('pingreq').length).toBeGreaterThanOrEqual(3);

    for (const message of received.slice(0, 5)) message.ack();
    await flush();
    expect(h.broker.last.paused).toBe(true); // 6 held
    received[5]!.ack();
    await flush();
    expect(h.broker.last.paused).toBe(false); // 5 held: half the bound
    expect(pubacks(h)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('does not pause for messages held on a connection that is gone, and the next connection reads its CONNACK', async () => {
    const h = await connected({ client: { maxUnackedMessages: 2, reconnectPeriod: 1000 } });
    h.client.topic('a/b', { qos: 1, ack: 'manual' }).subscribe();
    await grant(h);
    h.broker.last.reply(publish(1), publish(2), publish(3));
    await flush();
    expect(h.broker.last.paused).toBe(true);
    h.broker.last.close();
    await h.clock.advance(1000);
    expect(h.broker.connections).toHaveLength(2);
    expect(h.client.state.status).toBe('connected');
    expect(h.broker.last.paused).toBe(false);
  });

  it('announces maxUnackedMessages as Receive Maximum on MQTT 5, unless properties.receiveMaximum is set; the default CONNECT has none', async () => {
    const connectOf = async (client: object) => (await connected({ client: { protocolVersion: 5, ...client } })).broker.last.packets('connect')[0]!;
    expect((await connectOf({ maxUnackedMessages: 8 })).properties?.receiveMaximum).toBe(8);
    expect((await connectOf({ maxUnackedMessages: 100_000 })).properties?.receiveMaximum).toBe(65535);
    expect((await connectOf({ maxUnackedMessages: 8, properties: { receiveMaximum: 3 } })).properties?.receiveMaximum).toBe(3);
    expect((await connectOf({})).properties?.receiveMaximum).toBeUndefined();
  });

  it('does not disconnect a broker that exceeds the Receive Maximum announced for maxUnackedMessages: the pause bounds it', async () => {
    const h = await connected({ client: { protocolVersion: 5, maxUnackedMessages: 2 } });
    h.client.topic('a/b', { qos: 1, ack: 'manual' }).subscribe();
    await grant(h);
    h.broker.last.reply(publish5(1), publish5(2), publish5(3));
    await flush();
    expect(h.errors()).toEqual([]);
    expect(h.client.state.status).toBe('connected');
    expect(h.broker.last.paused).toBe(true);
  });

  it('still disconnects with 0x93 a broker that exceeds a Receive Maximum set in properties', async () => {
    const h = await connected({ client: { protocolVersion: 5, properties: { receiveMaximum: 2 } } });
    h.client.topic('a/b', { qos: 1, ack: 'manual' }).subscribe();
    await grant(h);
    h.broker.last.reply(publish5(1), publish5(2), publish5(3));
    await flush();
    expect(h.broker.connections[0]!.packets('disconnect').map((p) => p.reasonCode)).toEqual([0x93]);
  });

  it('rejects a maxUnackedMessages that is not a positive integer at the call', async () => {
    await expect(connected({ client: { maxUnackedMessages: 0 } })).rejects.toThrow(/maxUnackedMessages/);
  });
});

describe('a throwing subscriber', () => {
  let reported: unknown[];
  let twoReported: Promise<void>;
  let previous: typeof config.onUnhandledError;
  beforeEach(() => {
    reported = [];
    previous = config.onUnhandledError;
    // RxJS reports an error thrown by a next handler asynchronously (a real timer), not to the caller.
    twoReported = new Promise((resolve) => {
      config.onUnhandledError = (error) => {
        reported.push(error);
        if (reported.length === 2) resolve();
      };
    });
  });
  afterEach(() => {
    config.onUnhandledError = previous;
  });

  it('does not break routing for the other streams, the acknowledgements or the keepalive', async () => {
    const h = await connected({ client: { keepalive: 10 }, broker: { autoPingresp: true } });
    const others: string[] = [];
    h.client.topic('a/b', { qos: 1 }).subscribe(() => {
      throw new Error('subscriber bug');
    });
    h.client.topic('a/+', { qos: 1 }).subscribe((m) => others.push(m.payload.toString()));
    h.client.topic('c/d', { qos: 1 }).subscribe((m) => others.push(m.payload.toString()));
    await grant(h);
    h.broker.last.reply(publish(1), publish(2, 'c/d'), publish(3));
    await h.clock.advance(25_000);
    expect(others).toEqual(['m1', 'm2', 'm3']);
    expect(pubacks(h)).toEqual([1, 2, 3]);
    await twoReported;
    expect(reported.map((e) => (e as Error).message)).toEqual(['subscriber bug', 'subscriber bug']);
    expect(h.broker.last.packets('pingreq').length).toBeGreaterThanOrEqual(2);
    expect(h.client.state.status).toBe('connected');
  });
});

describe('messages() async iterator', () => {
  it('yields messages in order and acknowledges each one when the next is pulled', async () => {
    const h = await connected();
    const iterator = h.client.messages('a/b', { qos: 1 });
    const first = iterator.next();
    await grant(h);
    h.broker.last.reply(publish(1), publish(2));
    expect((await first).value?.payload.toString()).toBe('m1');
    await flush();
    expect(pubacks(h)).toEqual([]);
    expect((await iterator.next()).value?.payload.toString()).toBe('m2');
    await flush();
    expect(pubacks(h)).toEqual([1]);
    await iterator.return!();
    await flush();
    expect(pubacks(h)).toEqual([1, 2]);
  });

  it('unsubscribes on break, acknowledging the message the loop was on and those buffered', async () => {
    const h = await connected();
    const seen: string[] = [];
    const loop = (async () => {
      for await (const m of h.client.messages('a/b', { qos: 1 })) {
        seen.push(m.payload.toString());
        if (seen.length === 2) break;
      }
    })();
    await grant(h);
    h.broker.last.reply(publish(1), publish(2), publish(3));
    await loop;
    await flush();
    expect(seen).toEqual(['m1', 'm2']);
    expect(h.broker.last.packets('unsubscribe').map((p) => p.unsubscriptions)).toEqual([['a/b']]);
    expect(pubacks(h)).toEqual([1, 2, 3]);
  });

  it('pauses reading at highWaterMark buffered messages and resumes once half were pulled', async () => {
    const h = await connected();
    const iterator = h.client.messages('a/b', { qos: 1, highWaterMark: 4 });
    const first = iterator.next();
    await grant(h);
    h.broker.last.reply(publish(1));
    await first;
    h.broker.last.reply(publish(2), publish(3), publish(4));
    await flush();
    expect(h.broker.last.paused).toBe(false);
    h.broker.last.reply(publish(5));
    await flush();
    expect(h.broker.last.paused).toBe(true);
    await iterator.next(); // m2: 3 left
    expect(h.broker.last.paused).toBe(true);
    await iterator.next(); // m3: 2 left
    expect(h.broker.last.paused).toBe(false);
    await iterator.return!();
  });

  it('unsubscribes when the loop body throws, and the error reaches the caller', async () => {
    const h = await connected();
    const loop = (async () => {
      for await (const m of h.client.messages('a/b', { qos: 1 })) throw new Error(`could not handle ${m.payload.toString()}`);
    })();
    await grant(h);
    h.broker.last.reply(publish(1));
    await expect(loop).rejects.toThrow('could not handle m1');
    await flush();
    expect(h.broker.last.packets('unsubscribe')).toHaveLength(1);
    expect(pubacks(h)).toEqual([1]); // released: MQTT cannot hand it back (see topic())
  });

  it('takes several iterators on one filter, each acknowledging on its own pull', async () => {
    const h = await connected();
    const one = h.client.messages('a/b', { qos: 1 });
    const two = h.client.messages('a/b', { qos: 1 });
    const [first, second] = [one.next(), two.next()];
    await grant(h);
    h.broker.last.reply(publish(1));
    await Promise.all([first, second]);
    const pending = one.next(); // acknowledges m1 for `one`; waits for a message that does not come
    await flush();
    expect(pubacks(h)).toEqual([]);
    void two.next();
    await flush();
    expect(pubacks(h)).toEqual([1]);
    await Promise.all([one.return!(), two.return!()]);
    expect(await pending).toEqual({ value: undefined, done: true });
  });

  it('throws a refused SUBSCRIBE from next(), then is done', async () => {
    const h = await connected();
    const iterator = h.client.messages('a/b', { qos: 1 });
    const first = iterator.next().catch((error: unknown) => error);
    await grant(h, 0x80);
    expect(await first).toBeInstanceOf(SubackError);
    await expect(iterator.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('ends the loop when the client ends, after the buffered messages', async () => {
    const h = await connected();
    const iterator = h.client.messages('a/b', { qos: 1 });
    const first = iterator.next();
    await grant(h);
    h.broker.last.reply(publish(1), publish(2));
    await first;
    await h.client.end({ force: true });
    expect((await iterator.next()).value?.payload.toString()).toBe('m2');
    expect((await iterator.next()).done).toBe(true);
  });

  it('rejects a highWaterMark that is not a positive integer at the call', async () => {
    const h = await connected();
    expect(() => h.client.messages('a/b', { highWaterMark: 0 })).toThrow(/highWaterMark/);
  });
});

describe('publishAll()', () => {
  it('has at most `concurrency` publishes in flight and emits each result as its PUBACK comes', async () => {
    const h = await connected();
    const results: PublishAllResult[] = [];
    let completed = false;
    const messages = Array.from({ length: 5 }, (_, i) => ({ topic: 'out', payload: `p${i}`, qos: 1 as const }));
    h.client.publishAll(from(messages), { concurrency: 2 }).subscribe({ next: (r) => results.push(r), complete: () => (completed = true) });
    await flush();
    const sent = () => h.broker.last.packets('publish');
    expect(sent().map((p) => p.payload.toString())).toEqual(['p0', 'p1']);
    h.broker.last.reply({ cmd: 'puback', messageId: sent()[0]!.messageId });
    await flush();
    expect(results.map((r) => r.message.payload)).toEqual(['p0']);
    expect(sent()).toHaveLength(3);
    for (let i = 1; i < 5; i++) {
      await flush();
      h.broker.last.reply({ cmd: 'puback', messageId: sent()[i]!.messageId });
    }
    await flush();
    expect(results.map((r) => r.message.payload)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(results.every((r) => r.messageId !== undefined && r.packet?.cmd === 'puback')).toBe(true);
    expect(completed).toBe(true);
  });

  it('never has more than the server Receive Maximum on the wire, even with a larger concurrency', async () => {
    const h = await connected({ client: { protocolVersion: 5 }, broker: { autoConnack: { reasonCode: 0, sessionPresent: false, properties: { receiveMaximum: 2 } } } });
    const messages = Array.from({ length: 4 }, (_, i) => ({ topic: 'out', payload: `p${i}`, qos: 1 as const }));
    h.client.publishAll(from(messages), { concurrency: 10 }).subscribe();
    await flush();
    expect(h.broker.last.packets('publish')).toHaveLength(2);
  });

  it('errors with the first refused publish and stops reading the source', async () => {
    const h = await connected({ client: { protocolVersion: 5 } });
    const source = new Subject<{ topic: string; payload: string; qos: 1 }>();
    let failure: unknown;
    h.client.publishAll(source, { concurrency: 1 }).subscribe({ error: (error: unknown) => (failure = error) });
    source.next({ topic: 'out', payload: 'p0', qos: 1 });
    source.next({ topic: 'out', payload: 'p1', qos: 1 });
    await flush();
    const [first] = h.broker.last.packets('publish');
    h.broker.last.reply({ cmd: 'puback', messageId: first!.messageId, reasonCode: 0x87 });
    await flush();
    expect(failure).toBeInstanceOf(PublishError);
    expect((failure as PublishError).reasonCode).toBe(0x87);
    expect(source.observed).toBe(false);
    expect(h.broker.last.packets('publish')).toHaveLength(1);
  });

  it('rejects a concurrency that is not a positive integer at the call', async () => {
    const h = await connected();
    expect(() => h.client.publishAll(from([]), { concurrency: 0 })).toThrow(/concurrency/);
  });
});

describe('connected$', () => {
  it('replays whether the client is connected and emits only on changes', async () => {
    const h = await connected({ client: { reconnectPeriod: 1000 } });
    const values: boolean[] = [];
    const subscription: Subscription = h.client.connected$.subscribe((v) => values.push(v));
    h.broker.last.close();
    await h.clock.advance(1000);
    subscription.unsubscribe();
    expect(values).toEqual([true, false, true]);
  });

  it('comes with a state$ that carries the attempt, the delay, the cause of the last drop, the CONNACK and session present', async () => {
    const h = await connected({ client: { reconnectPeriod: 1000 } });
    h.broker.last.close();
    await h.clock.advance(1000);
    const [first, dropped, again, back] = h.states.slice(2);
    expect(first).toEqual({ status: 'connected', attempt: 1, sessionPresent: false, connack: expect.objectContaining({ cmd: 'connack' }) });
    expect(dropped).toEqual({ status: 'reconnecting', attempt: 2, delayMs: 1000, cause: expect.any(Error) });
    expect(again).toEqual({ status: 'connecting', attempt: 2, cause: (dropped as { cause: Error }).cause });
    expect(back).toMatchObject({ status: 'connected', attempt: 2, sessionPresent: false });
  });
});
