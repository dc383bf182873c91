/**
 * MQTT 5 request/response against a scripted broker in virtual time: the order of the packets
 * (SUBSCRIBE, SUBACK, then the request), timeouts, Response Information, and what fails at once.
 * The round trips through a real broker are in spec/interop/request-response.spec.ts.
 */
import { firstValueFrom } from 'rxjs';
import type { IPublishPacket, ISubackPacket } from '../../lib/protocol/codec.js';
import { ClientClosedError, InvalidArgumentError, RequestTimeoutError, SubackError } from '../../lib/errors.js';
import type { MqttMessage } from '../../lib/inbound/message.js';
import { connected, flush, type Harness } from '../connection/harness.js';
import { asTransportFactory, MqttClient } from '../../lib/compat/compat.js';
import { scriptedBroker } from '../helpers/scripted-broker.js';
import { VirtualClock } from '../helpers/virtual-clock.js';

const v5 = { client: { protocolVersion: 5 as const }, broker: { protocolVersion: 5 as const, autoConnack: true } };

/** Where a request's subscriber put what it got. */
interface Outcome {
  replies: MqttMessage[];
  error?: unknown;
  completed: boolean;
}

function watch(h: Harness, ...args: Parameters<Harness['client']['request']>): Outcome & { cancel(): void } {
  const outcome: Outcome = { replies: [], completed: false };
  const subscription = h.client.request(...args).subscribe({
    next: (reply) => outcome.replies.push(reply),
    error: (error: unknown) => (outcome.error = error),
    complete: () => (outcome.completed = true),
  });
  return Object.assign(outcome, { cancel: () => subscription.unsubscribe() });
}

/**
 * The Subscription Identifier the client gave `filter` in its latest SUBSCRIBE, as a real MQTT 5
 * broker would put it on the copies it sends for that subscription (the client routes by it).
 */
function idOf(connection: Harness['broker']['last'], filter: string): { subscriptionIdentifier?: number } {
  const subscribe = [...connection.packets('subscribe')].reverse().find((p) => p.subscriptions.some((s) => s.topic === filter));
  const id = subscribe?.properties?.subscriptionIdentifier;
  return id === undefined ? {} : { subscriptionIdentifier: id as number };
}

function grant(h: Harness, granted = 2): void {
  const subscribe = h.broker.last.packets('subscribe').at(-1)!;
  h.broker.last.reply({ cmd: 'suback', messageId: subscribe.messageId, granted: [granted] } as ISubackPacket);
}

function reply(h: Harness, request: IPublishPacket, payload: string, correlationData = request.properties?.correlationData): void {
  h.broker.last.reply({
    cmd: 'publish',
    topic: request.properties!.responseTopic!,
    payload: Buffer.from(payload),
    qos: 0,
    retain: false,
    dup: false,
    properties: { ...idOf(h.broker.last, request.properties!.responseTopic!), ...(correlationData ? { correlationData } : {}) },
  } as IPublishPacket);
}

describe('request()', () => {
  it('publishes the request only once the broker granted the reply subscription, with a Response Topic and 16 random bytes of Correlation Data', async () => {
    const h = await connected(v5);
    const outcome = watch(h, 'svc/echo', 'ping', { qos: 1, properties: { userProperties: { a: '1' } } });
    await flush();
    const [subscribe] = h.broker.last.packets('subscribe');
    expect(subscribe.subscriptions).toMatchObject([{ topic: expect.stringMatching(/^rxmqtt\/reply\/[0-9a-f]{16}$/), qos: 2 }]);
    expect(h.broker.last.packets('publish')).toEqual([]);

    grant(h);
    await flush();
    const [request] = h.broker.last.packets('publish');
    expect(request).toMatchObject({ topic: 'svc/echo', qos: 1, properties: { responseTopic: subscribe.subscriptions[0].topic, userProperties: { a: '1' } } });
    expect(request.properties?.correlationData).toHaveLength(16);

    reply(h, request, 'pong');
    expect(outcome.replies.map((m) => m.payload.toString())).toEqual(['pong']);
    expect(outcome.completed).toBe(true);
  });

  it('fails with a RequestTimeoutError when no reply comes within the timeout, and ignores the reply that comes later', async () => {
    const h = await connected(v5);
    const outcome = watch(h, 'svc/slow', 'x', { timeout: 1000 });
    await flush();
    grant(h);
    await flush();
    const [request] = h.broker.last.packets('publish');
    await h.clock.advance(999);
    expect(outcome.error).toBeUndefined();
    await h.clock.advance(1);
    expect(outcome.error).toBeInstanceOf(RequestTimeoutError);
    expect(outcome.error).toMatchObject({ code: 'ERR_REQUEST_TIMEOUT', topic: 'svc/slow', timeoutMs: 1000 });
    reply(h, request, 'too late');
    expect(outcome.replies).toEqual([]);
  });

  it('counts the wait for the SUBACK in the timeout', async () => {
    const h = await connected(v5);
    const outcome = watch(h, 'svc/x', 'x', { timeout: 500 });
    await h.clock.advance(500);
    expect(outcome.error).toBeInstanceOf(RequestTimeoutError);
    grant(h);
    await flush();
    expect(h.broker.last.packets('publish')).toEqual([]);
  });

  it('ignores replies with unknown or missing Correlation Data', async () => {
    const h = await connected(v5);
    const outcome = watch(h, 'svc/x', 'x');
    await flush();
    grant(h);
    await flush();
    const [request] = h.broker.last.packets('publish');
    reply(h, request, 'forged', Buffer.from('not the one'));
    reply(h, request, 'no correlation', Buffer.alloc(0));
    expect(outcome.replies).toEqual([]);
    reply(h, request, 'real');
    expect(outcome.replies.map((m) => m.payload.toString())).toEqual(['real']);
  });

  it('keeps one reply subscription for every request, sent once', async () => {
    const h = await connected(v5);
    const first = watch(h, 'svc/a', '1');
    const second = watch(h, 'svc/b', '2');
    await flush();
    grant(h);
    await flush();
    const [a, b] = h.broker.last.packets('publish');
    reply(h, b, 'B');
    reply(h, a, 'A');
    const third = watch(h, 'svc/c', '3');
    await flush();
    reply(h, h.broker.last.packets('publish')[2], 'C');
    expect([first, second, third].map((o) => o.replies.map((m) => m.payload.toString()))).toEqual([['A'], ['B'], ['C']]);
    expect(h.broker.last.packets('subscribe')).toHaveLength(1);
    expect(h.broker.last.packets('unsubscribe')).toEqual([]);
  });

  it('keeps the reply subscription across a reconnect without session: it is subscribed again and answers the next request', async () => {
    const h = await connected({ ...v5, client: { ...v5.client, reconnectPeriod: 1000 } });
    const first = watch(h, 'svc/x', '1');
    await flush();
    grant(h);
    await flush();
    reply(h, h.broker.last.packets('publish')[0], 'one');
    const replyTopic = h.broker.last.packets('subscribe')[0].subscriptions[0].topic;

    h.broker.last.close();
    await h.clock.advance(1000);
    expect(h.broker.connections).toHaveLength(2);
    expect(h.broker.last.packets('subscribe').map((p) => p.subscriptions[0].topic)).toEqual([replyTopic]);
    grant(h);
    const second = watch(h, 'svc/x', '2');
    await flush();
    const [request] = h.broker.last.packets('publish');
    expect(request.properties?.responseTopic).toBe(replyTopic);
    reply(h, request, 'two');
    expect([first, second].map((o) => o.replies.map((m) => m.payload.toString()))).toEqual([['one'], ['two']]);
  });

  it('sends no request when it is cancelled before the SUBACK', async () => {
    const h = await connected(v5);
    const outcome = watch(h, 'svc/x', 'x');
    await flush();
    outcome.cancel();
    grant(h);
    await flush();
    expect(h.broker.last.packets('publish')).toEqual([]);
  });

  it('uses the Response Information of the CONNACK as the reply topic prefix when asked for it (4.10)', async () => {
    const h = await connected({
      client: { protocolVersion: 5, properties: { requestResponseInformation: true } },
      broker: { protocolVersion: 5, autoConnack: { sessionPresent: false, reasonCode: 0, properties: { responseInformation: 'replies/for-scripted/' } } },
    });
    watch(h, 'svc/x', 'x');
    await flush();
    expect(h.broker.last.packets('subscribe')[0].subscriptions[0].topic).toMatch(/^replies\/for-scripted\/[0-9a-f]{16}$/);
  });

  it('subscribes a responseTopic override for its request only, and unsubscribes it after the reply', async () => {
    const h = await connected(v5);
    const outcome = watch(h, 'svc/x', 'x', { responseTopic: 'my/inbox' });
    await flush();
    expect(h.broker.last.packets('subscribe')[0].subscriptions).toMatchObject([{ topic: 'my/inbox', qos: 2 }]);
    grant(h);
    await flush();
    const [request] = h.broker.last.packets('publish');
    expect(request.properties?.responseTopic).toBe('my/inbox');
    reply(h, request, 'ok');
    await flush();
    expect(outcome.replies).toHaveLength(1);
    expect(h.broker.last.packets('unsubscribe').map((p) => p.unsubscriptions)).toEqual([['my/inbox']]);
  });

  it('fails waiting requests with the SubackError of a refused reply topic, and subscribes again for the next request', async () => {
    const h = await connected(v5);
    const outcome = watch(h, 'svc/x', 'x');
    await flush();
    grant(h, 0x87);
    await flush();
    expect(outcome.error).toBeInstanceOf(SubackError);
    watch(h, 'svc/x', 'x');
    await flush();
    expect(h.broker.last.packets('subscribe')).toHaveLength(2);
  });

  it('fails a waiting request with ClientClosedError when the client ends', async () => {
    const h = await connected(v5);
    const outcome = watch(h, 'svc/x', 'x');
    await flush();
    grant(h);
    await flush();
    await h.client.end({ force: true });
    expect(outcome.error).toBeInstanceOf(ClientClosedError);
  });

  it.each([
    ['a timeout of 0', { timeout: 0 }],
    ['an infinite timeout', { timeout: Infinity }],
    ['a wildcard responseTopic', { responseTopic: 'a/+' }],
    ['a QoS of 3', { qos: 3 }],
  ])('fails at once with InvalidArgumentError for %s, sending nothing', async (_, options) => {
    const h = await connected(v5);
    const outcome = watch(h, 'svc/x', 'x', options as never);
    expect(outcome.error).toBeInstanceOf(InvalidArgumentError);
    await flush();
    expect(h.broker.last.packets('subscribe')).toEqual([]);
  });
});

describe('request() and respond() before MQTT 5', () => {
  it('fail at once with an InvalidArgumentError naming protocolVersion 5, sending nothing', async () => {
    const h = await connected();
    const outcome = watch(h, 'svc/x', 'x');
    expect(outcome.error).toBeInstanceOf(InvalidArgumentError);
    expect((outcome.error as Error).message).toMatch(/protocolVersion: 5/);
    await expect(firstValueFrom(h.client.respond('svc/x', () => 'y'))).rejects.toBeInstanceOf(InvalidArgumentError);
    await flush();
    expect(h.broker.last.commands).toEqual(['connect']);
  });
});

describe('respond()', () => {
  it('answers a request to its Response Topic with its Correlation Data at its QoS, and skips a message without Response Topic', async () => {
    const h = await connected(v5);
    const outcomes: string[] = [];
    h.client.respond('svc/+', (request) => ({ payload: `re:${request.payload}`, properties: { userProperties: { by: 'responder' } } })).subscribe((o) => outcomes.push(o.type));
    await flush();
    grant(h, 1);
    const request = (payload: string, properties: IPublishPacket['properties']) =>
      h.broker.last.reply({ cmd: 'publish', topic: 'svc/a', payload: Buffer.from(payload), qos: 1, messageId: 7, retain: false, dup: false, properties: { ...idOf(h.broker.last, 'svc/+'), ...properties } } as IPublishPacket);
    request('plain', {});
    request('hi', { responseTopic: 'back/here', correlationData: Buffer.from([9, 9]) });
    await flush();
    const replies = h.broker.last.packets('publish');
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ topic: 'back/here', qos: 1, properties: { correlationData: Buffer.from([9, 9]), userProperties: { by: 'responder' } } });
    expect(replies[0].payload.toString()).toBe('re:hi');
    h.broker.last.reply({ cmd: 'puback', messageId: replies[0].messageId! });
    await flush();
    expect(outcomes).toEqual(['replied']);
  });
});

describe('respond() concurrency and backpressure', () => {
  /** A handler whose replies the test releases one by one, in any order. */
  function heldHandler() {
    const running: string[] = [];
    const release = new Map<string, (reply: string) => void>();
    const handler = (request: MqttMessage) =>
      new Promise<string>((resolve) => {
        const name = request.payload.toString();
        running.push(name);
        release.set(name, (reply) => {
          running.splice(running.indexOf(name), 1);
          resolve(reply);
        });
      });
    return { running, release: (name: string) => release.get(name)!(`re:${name}`), handler };
  }

  async function responding(h: Harness, concurrency: number | undefined, handler: (request: MqttMessage) => Promise<string>) {
    const outcomes: string[] = [];
    const subscription = h.client.respond('svc/+', handler, concurrency === undefined ? {} : { concurrency }).subscribe((o) => outcomes.push(`${o.type}:${o.request.payload}`));
    await flush();
    grant(h, 1);
    await flush();
    return { outcomes, subscription };
  }

  function sendRequests(h: Harness, names: string[], firstId = 1): void {
    names.forEach((name, i) =>
      h.broker.last.reply({ cmd: 'publish', topic: 'svc/a', payload: Buffer.from(name), qos: 1, messageId: firstId + i, retain: false, dup: false, properties: { ...idOf(h.broker.last, 'svc/+'), responseTopic: 'back', correlationData: Buffer.from(name) } } as IPublishPacket),
    );
  }

  /** PUBACKs the client sent for requests, by message id; and PUBACKs the broker owes it for replies. */
  const pubacks = (h: Harness) => h.broker.last.packets('puback').map((p) => p.messageId);
  /** The broker acknowledges the QoS 1 replies it has not acknowledged yet. */
  const acked = new WeakMap<Harness, number>();
  function ackReplies(h: Harness): void {
    const replies = h.broker.last.packets('publish');
    for (const reply of replies.slice(acked.get(h) ?? 0)) h.broker.last.reply({ cmd: 'puback', messageId: reply.messageId! });
    acked.set(h, replies.length);
  }
  /** Releases one handler and acknowledges its reply: the handler is then done. */
  async function finish(h: Harness, held: ReturnType<typeof heldHandler>, name: string): Promise<void> {
    held.release(name);
    await flush();
    ackReplies(h);
    await flush();
  }

  it('runs at most `concurrency` handlers, holds the PUBACK of the waiting requests, and starts the next one when a handler finishes', async () => {
    const h = await connected(v5);
    const held = heldHandler();
    const { outcomes } = await responding(h, 2, held.handler);
    sendRequests(h, ['r1', 'r2', 'r3', 'r4', 'r5']);
    await flush();
    expect(held.running).toEqual(['r1', 'r2']);
    expect(pubacks(h)).toEqual([]);

    await finish(h, held, 'r1');
    // r1 answered and acknowledged: r3 starts; r2..r5 still hold their PUBACKs.
    expect(outcomes).toEqual(['replied:r1']);
    expect(pubacks(h)).toEqual([1]);
    expect(held.running).toEqual(['r2', 'r3']);

    // A later request finishing first: its PUBACK still follows r2's, in arrival order [MQTT-4.6.0-2].
    await finish(h, held, 'r3');
    expect(held.running).toEqual(['r2', 'r4']);
    expect(pubacks(h)).toEqual([1]);
    for (const name of ['r2', 'r4', 'r5']) await finish(h, held, name);
    expect(held.running).toEqual([]);
    expect(outcomes.sort()).toEqual(['replied:r1', 'replied:r2', 'replied:r3', 'replied:r4', 'replied:r5']);
    expect(pubacks(h)).toEqual([1, 2, 3, 4, 5]);
    expect(h.broker.last.packets('publish').map((p) => p.payload.toString()).sort()).toEqual(['re:r1', 're:r2', 're:r3', 're:r4', 're:r5']);
  });

  it('runs 16 handlers at once by default', async () => {
    const h = await connected(v5);
    const held = heldHandler();
    await responding(h, undefined, held.handler);
    sendRequests(h, Array.from({ length: 20 }, (_, i) => `r${i + 1}`));
    await flush();
    expect(held.running).toHaveLength(16);
  });

  it('acknowledges the requests it still holds when unsubscribed, so later acknowledgements are not held back', async () => {
    const h = await connected(v5);
    const held = heldHandler();
    const { subscription } = await responding(h, 1, held.handler);
    sendRequests(h, ['r1', 'r2', 'r3']);
    await flush();
    expect(pubacks(h)).toEqual([]);
    subscription.unsubscribe();
    await flush();
    expect(pubacks(h)).toEqual([1, 2, 3]);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses concurrency %p with an InvalidArgumentError', async (concurrency) => {
    const h = await connected(v5);
    const error = await firstValueFrom(h.client.respond('svc/+', () => 'x', { concurrency })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ message: expect.stringMatching(/concurrency/) });
  });
});

describe('the MqttClient facade', () => {
  function facade() {
    const clock = new VirtualClock();
    const broker = scriptedBroker({ protocolVersion: 5, autoConnack: true });
    const client = new MqttClient(asTransportFactory(broker.factory), { protocolVersion: 5, keepalive: 0, scheduler: clock.scheduler });
    return { client, broker, clock };
  }

  it('request() rejects with a RequestTimeoutError once the timeout passed in virtual time', async () => {
    const { client, broker, clock } = facade();
    await flush();
    let outcome: unknown;
    client.request('svc/x', 'x', { timeout: 5000 }).catch((error: unknown) => (outcome = error));
    await flush();
    const subscribe = broker.last.packets('subscribe')[0];
    broker.last.reply({ cmd: 'suback', messageId: subscribe.messageId, granted: [2] } as ISubackPacket);
    await clock.advance(4999);
    expect(outcome).toBeUndefined();
    await clock.advance(1);
    expect(outcome).toBeInstanceOf(RequestTimeoutError);
  });

  it("respond() reports a handler failure as an 'error' event when no onError is given, and keeps answering", async () => {
    const { client, broker } = facade();
    const errors: Error[] = [];
    client.on('error', (error: Error) => errors.push(error));
    client.respond('svc/x', (request) => {
      if (request.payload.toString() === 'bad') throw new Error('handler failed');
      return 'good';
    });
    await flush();
    const subscribe = broker.last.packets('subscribe')[0];
    broker.last.reply({ cmd: 'suback', messageId: subscribe.messageId, granted: [0] } as ISubackPacket);
    for (const payload of ['bad', 'fine']) {
      broker.last.reply({ cmd: 'publish', topic: 'svc/x', payload: Buffer.from(payload), qos: 0, retain: false, dup: false, properties: { ...idOf(broker.last, 'svc/x'), responseTopic: 'back' } } as IPublishPacket);
    }
    await flush();
    expect(errors.map((e) => e.message)).toEqual(['handler failed']);
    expect(broker.last.packets('publish').map((p) => [p.topic, p.payload.toString()])).toEqual([['back', 'good']]);
  });
});
