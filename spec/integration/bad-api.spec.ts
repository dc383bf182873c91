// Issue #8: every public method of the MqttClient facade, of `client.rx` and of connect() with bad
// input. Each row names the channel the method reports through (callback, rejected Promise,
// Observable error, a throw for options), the error class and code; then the broker must have seen
// nothing from the bad call and a valid QoS 1 publish must still round-trip.
import { lastValueFrom, timeout, type Observable } from 'rxjs';
import {
  AuthError,
  ClientClosedError,
  connect,
  connectAsync,
  InvalidArgumentError,
  MqttClient,
  type ClientOptions,
  type Packet,
} from '../../lib/index.js';
import { connected as connectedHarness, flush } from '../connection/harness.js';
import { accepting } from '../helpers/scripted-broker.js';
import { connected, record, useAedes, within, type Fixture } from './support.js';
import { HANG_DEADLINE_MS } from '../helpers/wait.js';

/** A synchronous throw where a channel was expected: never what a row wants. */
class ThrewSynchronously extends Error {}

type Outcome = Error | 'settled' | 'returned';
type ErrorClass = abstract new (...args: never[]) => Error;

/** Runs a call; a synchronous throw is recorded as ThrewSynchronously so the row fails on it. */
async function run(call: () => Promise<Outcome> | Outcome): Promise<Outcome> {
  let pending: Promise<Outcome> | Outcome;
  try {
    pending = call();
  } catch (error) {
    return new ThrewSynchronously(`threw synchronously: ${String(error)}`);
  }
  return within(Promise.resolve(pending), 'the call to report through its channel');
}

const viaCallback = (call: (cb: (error?: Error | null) => void) => unknown): Promise<Outcome> =>
  new Promise((resolve) => void call((error) => resolve(error ?? 'settled')));
const viaPromise = (promise: Promise<unknown>): Promise<Outcome> =>
  promise.then(
    () => 'settled' as const,
    (error: Error) => error,
  );
const viaObservable = (observable: Observable<unknown>): Promise<Outcome> => viaPromise(lastValueFrom(observable.pipe(timeout(HANG_DEADLINE_MS)), { defaultValue: undefined }));

/** A Buffer that says it holds 256 MiB: the size check must refuse it without reading it. */
function hugeBuffer(): Buffer {
  return Object.defineProperty(Buffer.alloc(1), 'byteLength', { value: 268_435_456 });
}
function hugeUint8Array(): Uint8Array {
  return Object.defineProperty(new Uint8Array(1), 'byteLength', { value: 268_435_456 });
}

const LONG_TOPIC = 'é'.repeat(40_000); // 80,000 UTF-8 bytes: over the 65,535 a topic may have
const NUL = 'bad/\u0000/nul';

interface Row {
  method: string;
  what: string;
  call: (client: MqttClient) => Promise<Outcome> | Outcome;
  error: [ErrorClass, string];
}

const invalid: [ErrorClass, string] = [InvalidArgumentError, 'ERR_INVALID_ARGUMENT'];

function publishRows(method: string, call: (c: MqttClient, topic: unknown, payload: unknown, options?: unknown) => Promise<Outcome>): Row[] {
  const cases: Array<[string, unknown, unknown, unknown]> = [
    ['a topic that is not a string', 42, 'x', {}],
    ['a + in the topic', 'bad/+/topic', 'x', {}],
    ['a # in the topic', 'bad/#', 'x', {}],
    ['an empty topic', '', 'x', {}],
    ['a NUL character in the topic', NUL, 'x', {}],
    ['a topic over 65535 bytes', LONG_TOPIC, 'x', {}],
    ['a number payload', 'bad/payload', 42, {}],
    ['an undefined payload', 'bad/payload', undefined, {}],
    ['QoS 3', 'bad/qos', 'x', { qos: 3 }],
    ['QoS -1', 'bad/qos', 'x', { qos: -1 }],
    ["QoS '1' (a string)", 'bad/qos', 'x', { qos: '1' }],
    ['options that are a string', 'bad/options', 'x', 'qos 1'],
    ['properties that are not an object', 'bad/options', 'x', { properties: 'p' }],
    ['a payload Buffer over 268435455 bytes', 'bad/size', hugeBuffer(), { qos: 1 }],
    ['a payload Uint8Array over 268435455 bytes', 'bad/size', hugeUint8Array(), {}],
  ];
  return cases.map(([what, topic, payload, options]) => ({ method, what, call: (c) => call(c, topic, payload, options), error: invalid }));
}

function subscribeRows(method: string, call: (c: MqttClient, topics: unknown, options?: unknown) => Promise<Outcome>): Row[] {
  const cases: Array<[string, unknown, unknown]> = [
    ['a number', 42, {}],
    ['null', null, {}],
    ['an empty array', [], {}],
    ['an empty map', {}, {}],
    ['an empty filter', '', {}],
    ['a # that is not last', 'a/#/b', {}],
    ['a + sharing a level', 'a+', {}],
    ['a NUL character', NUL, {}],
    ['a filter over 65535 bytes', LONG_TOPIC, {}],
    ['one bad filter among good ones', ['ok/a', 'a/#/b'], {}],
    ['QoS 3', 'ok/a', { qos: 3 }],
    ['retain handling 3', 'ok/a', { rh: 3 }],
    ['a map entry with QoS 3', { 'ok/a': 3 }, {}],
  ];
  return cases.map(([what, topics, options]) => ({ method, what, call: (c) => call(c, topics, options), error: invalid }));
}

function unsubscribeRows(method: string, call: (c: MqttClient, topics: unknown) => Promise<Outcome>): Row[] {
  const cases: Array<[string, unknown]> = [
    ['a number', 42],
    ['an empty array', []],
    ['an empty filter', ''],
    ['a number among strings', ['ok/a', 42]],
    ['a # that is not last', 'a/#/b'],
    ['a NUL character', NUL],
    ['a filter over 65535 bytes', LONG_TOPIC],
  ];
  return cases.map(([what, topics]) => ({ method, what, call: (c) => call(c, topics), error: invalid }));
}

function topicRows(method: string, topic: (c: MqttClient, filter: unknown, options?: unknown) => Observable<unknown>): Row[] {
  const cases: Array<[string, unknown, unknown]> = [
    ['a number', 42, undefined],
    ['an empty filter', '', undefined],
    ['a # that is not last', 'a/#/b', undefined],
    ['a NUL character', NUL, undefined],
    ['options that are a string', 'ok/a', 'qos'],
    ['QoS 3', 'ok/a', { qos: 3 }],
    ['a Subscription Identifier of 0', 'ok/a', { properties: { subscriptionIdentifier: 0 } }],
  ];
  return cases.map(([what, filter, options]) => ({ method, what, call: (c) => viaObservable(topic(c, filter, options)), error: invalid }));
}

const any = (x: unknown) => x as never;

const rows: Row[] = [
  ...publishRows('publish', (c, t, p, o) => viaCallback((cb) => c.publish(any(t), any(p), any(o), cb))),
  ...publishRows('publishAsync', (c, t, p, o) => viaPromise(c.publishAsync(any(t), any(p), any(o)))),
  ...publishRows('publish$', (c, t, p, o) => viaObservable(c.publish$(any(t), any(p), any(o)))),
  ...publishRows('rx.publish$', (c, t, p, o) => viaObservable(c.rx.publish$(any(t), any(p), any(o)))),
  ...subscribeRows('subscribe', (c, t, o) => viaCallback((cb) => c.subscribe(any(t), any(o), cb))),
  ...subscribeRows('subscribeAsync', (c, t, o) => viaPromise(c.subscribeAsync(any(t), any(o)))),
  ...unsubscribeRows('unsubscribe', (c, t) => viaCallback((cb) => c.unsubscribe(any(t), cb))),
  ...unsubscribeRows('unsubscribeAsync', (c, t) => viaPromise(c.unsubscribeAsync(any(t)))),
  ...topicRows('topic', (c, f, o) => c.topic(any(f), any(o))),
  ...topicRows('rx.topic', (c, f, o) => c.rx.topic(any(f), any(o))),
  { method: 'rx.subscribe$', what: 'an empty array', call: (c) => viaObservable(c.rx.subscribe$([])), error: invalid },
  { method: 'rx.subscribe$', what: 'a string instead of an array', call: (c) => viaObservable(c.rx.subscribe$(any('ok/a'))), error: invalid },
  { method: 'rx.subscribe$', what: 'a # that is not last', call: (c) => viaObservable(c.rx.subscribe$([{ topic: 'a/#/b', qos: 0 }])), error: invalid },
  { method: 'rx.subscribe$', what: 'an entry that is null', call: (c) => viaObservable(c.rx.subscribe$([any(null)])), error: invalid },
  { method: 'rx.unsubscribe$', what: 'an empty array', call: (c) => viaObservable(c.rx.unsubscribe$([])), error: invalid },
  { method: 'rx.unsubscribe$', what: 'a string instead of an array', call: (c) => viaObservable(c.rx.unsubscribe$(any('ok/a'))), error: invalid },
  { method: 'rx.unsubscribe$', what: 'a # that is not last', call: (c) => viaObservable(c.rx.unsubscribe$(['a/#/b'])), error: invalid },
  // request/respond need MQTT 5, which aedes does not speak: on 3.1.1 they refuse, typed.
  { method: 'request', what: 'an MQTT 3.1.1 client', call: (c) => viaPromise(c.request('svc/x', 'q')), error: invalid },
  { method: 'rx.request', what: 'an MQTT 3.1.1 client', call: (c) => viaObservable(c.rx.request('svc/x', 'q')), error: invalid },
  { method: 'respond', what: 'an MQTT 3.1.1 client', call: (c) => viaCallback((cb) => c.respond('svc/x', () => 'a', { onError: cb })), error: invalid },
  { method: 'rx.respond', what: 'an MQTT 3.1.1 client', call: (c) => viaObservable(c.rx.respond('svc/x', () => 'a')), error: invalid },
  { method: 'reauthenticate', what: 'a CONNECT without an Authentication Method', call: (c) => viaCallback((cb) => c.reauthenticate({}, cb)), error: [AuthError, 'ERR_AUTH'] },
  { method: 'reauthenticateAsync', what: 'a CONNECT without an Authentication Method', call: (c) => viaPromise(c.reauthenticateAsync({})), error: [AuthError, 'ERR_AUTH'] },
  { method: 'rx.reauthenticate', what: 'a CONNECT without an Authentication Method', call: (c) => viaPromise(c.rx.reauthenticate()), error: [AuthError, 'ERR_AUTH'] },
  { method: 'rx.reauthenticate$', what: 'a CONNECT without an Authentication Method', call: (c) => viaObservable(c.rx.reauthenticate$()), error: [AuthError, 'ERR_AUTH'] },
];

/**
 * Proves the broker got nothing from the bad calls: a QoS 1 publish made after them reaches the
 * broker after anything they might have queued, and it is the only packet the client sent.
 */
async function expectNothingSentAndUsable(f: Fixture, client: MqttClient, sent: Packet[], brokerSaw: string[]): Promise<void> {
  const sentinelSeen = new Promise<void>((resolve) => f.aedes.broker.on('publish', (packet) => packet.topic === 'bad/sentinel' && resolve()));
  await within(client.publishAsync('bad/sentinel', 'last', { qos: 1 }), 'the sentinel publish');
  await within(sentinelSeen, 'aedes to report the sentinel publish');
  expect(sent.map((p) => p.cmd).filter((cmd) => cmd !== 'puback' && cmd !== 'pingreq')).toEqual(['publish']);
  expect(brokerSaw).toEqual(['bad/sentinel']);
  expect(client.connected).toBe(true);
}

describe('every public method with bad input, against aedes', () => {
  const fixture = useAedes();

  async function setUp() {
    const f = fixture();
    const client = await connected(f.rx());
    const sent = record(f, client.packetsOut$);
    const brokerSaw: string[] = [];
    f.aedes.broker.on('publish', (packet, from) => from && brokerSaw.push(packet.topic));
    f.aedes.broker.on('subscribe', (subs) => brokerSaw.push(...subs.map((s) => `subscribe ${s.topic}`)));
    f.aedes.broker.on('unsubscribe', (topics) => brokerSaw.push(...topics.map((t) => `unsubscribe ${t}`)));
    return { f, client, sent, brokerSaw };
  }

  it.each(rows.map((row) => [row.method, row.what, row] as const))('%s with %s fails through its channel, sends nothing, stays usable', async (_m, _w, row) => {
    const { f, client, sent, brokerSaw } = await setUp();
    const outcome = await run(() => row.call(client));
    expect(outcome).toBeInstanceOf(row.error[0]);
    expect(outcome).toMatchObject({ code: row.error[1] });
    await expectNothingSentAndUsable(f, client, sent, brokerSaw);
  });

  it('removeOutgoingMessage with an unknown, negative or non-number id does nothing and throws nothing', async () => {
    const { f, client, sent, brokerSaw } = await setUp();
    for (const id of [4242, -1, 'x', undefined, 1.5]) expect(client.removeOutgoingMessage(any(id))).toBe(client);
    await flush();
    await expectNothingSentAndUsable(f, client, sent, brokerSaw);
  });

  it('getLastMessageId and handleMessage answer without sending anything', async () => {
    const { f, client, sent, brokerSaw } = await setUp();
    expect(client.getLastMessageId()).toBeNull();
    const handled = await new Promise<unknown>((resolve) => client.handleMessage(any({ cmd: 'publish', topic: 'x', payload: Buffer.alloc(0) }), resolve));
    expect(handled).toBeUndefined();
    await expectNothingSentAndUsable(f, client, sent, brokerSaw);
  });

  it('connect() called again on a connected client sends no second CONNECT and keeps the session', async () => {
    const f = fixture();
    const connects: string[] = [];
    f.aedes.broker.on('client', (c) => connects.push(c.id));
    const client = await connected(f.rx('in-memory', { clientId: 'twice' }));
    const sent = record(f, client.packetsOut$);
    expect(client.connect()).toBe(client);
    expect(client.connect()).toBe(client);
    await flush();
    const brokerSaw: string[] = [];
    f.aedes.broker.on('publish', (packet, from) => from && brokerSaw.push(packet.topic));
    await expectNothingSentAndUsable(f, client, sent, brokerSaw);
    expect(connects).toEqual(['twice']);
  });

  it('concurrent end() calls send one DISCONNECT, run every callback and emit one end event', async () => {
    const f = fixture();
    const client = await connected(f.rx());
    const sent = record(f, client.packetsOut$);
    let ends = 0;
    client.on('end', () => ends++);
    const callbacks = [
      new Promise<void>((resolve) => client.end(() => resolve())),
      new Promise<void>((resolve) => client.end(false, () => resolve())),
      client.endAsync(),
      client.endAsync(true),
      client.rx.end(),
      new Promise<void>((resolve) => client.end(true, {}, () => resolve())),
    ];
    await within(Promise.all(callbacks), 'every end() to settle');
    await flush();
    expect(sent.map((p) => p.cmd)).toEqual(['disconnect']);
    expect(ends).toBe(1);
    expect(client.state.status).toBe('closed');
  });

  describe('after end()', () => {
    const afterEnd: Array<[string, (c: MqttClient) => Promise<Outcome>]> = [
      ['publish', (c) => viaCallback((cb) => c.publish('after/end', 'x', { qos: 1 }, cb))],
      ['publishAsync', (c) => viaPromise(c.publishAsync('after/end', 'x'))],
      ['publish$', (c) => viaObservable(c.publish$('after/end', 'x'))],
      ['subscribe', (c) => viaCallback((cb) => c.subscribe('after/end', cb))],
      ['subscribeAsync', (c) => viaPromise(c.subscribeAsync({ 'after/end': 1 }))],
      ['unsubscribe', (c) => viaCallback((cb) => c.unsubscribe('after/end', cb))],
      ['unsubscribeAsync', (c) => viaPromise(c.unsubscribeAsync('after/end'))],
      ['topic', (c) => viaObservable(c.topic('after/end'))],
      ['rx.topic', (c) => viaObservable(c.rx.topic('after/end'))],
      ['rx.publish$', (c) => viaObservable(c.rx.publish$('after/end', 'x', { qos: 2 }))],
      ['rx.subscribe$', (c) => viaObservable(c.rx.subscribe$([{ topic: 'after/end', qos: 0 }]))],
      ['rx.unsubscribe$', (c) => viaObservable(c.rx.unsubscribe$(['after/end']))],
      ['reauthenticateAsync', (c) => viaPromise(c.reauthenticateAsync({}))],
    ];

    it.each(afterEnd)('%s fails with ClientClosedError through its channel and sends nothing', async (_method, call) => {
      const f = fixture();
      const client = await connected(f.rx());
      const sent = record(f, client.packetsOut$);
      await within(client.endAsync(), 'endAsync');
      const outcome = await run(() => call(client));
      expect(outcome).toBeInstanceOf(ClientClosedError);
      expect(outcome).toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
      await flush();
      expect(sent.map((p) => p.cmd)).toEqual(['disconnect']);
    });

    it('end() again settles at once; reconnect() opens a new connection (MQTT.js) that works', async () => {
      const f = fixture();
      const client = await connected(f.rx());
      await within(client.endAsync(), 'endAsync');
      await within(client.endAsync(), 'a second endAsync');
      await within(new Promise<void>((resolve) => client.end(true, () => resolve())), 'a forced end');
      client.reconnect();
      await connected(client);
      const back = new Promise<string>((resolve) => client.once('message', (topic) => resolve(topic)));
      await client.subscribeAsync('again/#');
      await client.publishAsync('again/x', 'y', { qos: 1 });
      expect(await within(back, 'the round trip')).toBe('again/x');
    });
  });
});

describe('connect() and connectAsync() with bad options', () => {
  const fixture = useAedes();

  const badOptions: Array<[string, ClientOptions]> = [
    ['keepalive -1', { keepalive: -1 }],
    ['keepalive 65536', { keepalive: 65536 }],
    ["keepalive '10' (a string)", { keepalive: any('10') }],
    ['keepalive 1.5', { keepalive: 1.5 }],
    ['connectTimeout -1', { connectTimeout: -1 }],
    ['connectTimeout NaN', { connectTimeout: NaN }],
    ['reconnectPeriod -1', { reconnectPeriod: -1 }],
    ['reconnectPeriod 2^31', { reconnectPeriod: 2 ** 31 }],
    ['protocolVersion 6', { protocolVersion: any(6) }],
    ["protocolVersion '5' (a string)", { protocolVersion: any('5') }],
    ['port 70000', { port: 70000 }],
    ['reconnect: "yes"', { reconnect: any('yes') }],
    ['clean: false without a clientId', { clean: false }],
    ['a clientId that is not a string', { clientId: any(42) }],
    ['a username that is not a string', { username: any(42) }],
    ['a password that is a number', { username: 'u', password: any(42) }],
    ['a password without a username (3.1.1)', { password: 'p' }],
    ['a will topic with a wildcard', { will: { topic: 'will/+', payload: Buffer.from('x'), qos: 0, retain: false } }],
    ['an empty will topic', { will: { topic: '', payload: Buffer.from('x'), qos: 0, retain: false } }],
    ['a will with QoS 3', { will: { topic: 'will/x', payload: Buffer.from('x'), qos: any(3), retain: false } }],
    ['a will payload that is a number', { will: { topic: 'will/x', payload: any(42), qos: 0, retain: false } }],
    ['a maximumIncomingPacketSize of 1', { maximumIncomingPacketSize: 1 }],
  ];

  it.each(badOptions)('throws an InvalidArgumentError at the call for %s, opening nothing', async (_what, options) => {
    const f = fixture();
    let clients = 0;
    f.aedes.broker.on('client', () => clients++);
    let opened = 0;
    for (const make of [() => connect(f.aedes.url, options), () => connect({ ...options, host: '127.0.0.1', port: options.port ?? f.aedes.port }), () => new MqttClient(() => (opened++, f.aedes.connectStream()), options)]) {
      let thrown: unknown;
      try {
        const client = make();
        f.defer(() => client.endAsync(true));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InvalidArgumentError);
      expect(thrown).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    }
    const rejected = await run(() => viaPromise(connectAsync(f.aedes.url, options)));
    expect(rejected).toBeInstanceOf(InvalidArgumentError);
    expect(opened).toBe(0);
    // The broker is fine and a good client still connects.
    await connected(f.rx());
    expect(clients).toBe(1);
  });

  it.each([
    ['a malformed URL', 'mqtt://[::1'],
    ['an unknown scheme', 'http://127.0.0.1:1883'],
    ['an empty URL', ''],
    ['a port out of range', 'mqtt://127.0.0.1:99999'],
    ['a mqtt+unix URL without a path', 'mqtt+unix://'],
  ])('throws an InvalidArgumentError for %s; connectAsync rejects with it', async (_what, url) => {
    expect(() => connect(url, { reconnectPeriod: 0 })).toThrow(InvalidArgumentError);
    expect(await run(() => viaPromise(connectAsync(url, { reconnectPeriod: 0 })))).toBeInstanceOf(InvalidArgumentError);
  });

  it('a URL that is not a string throws an InvalidArgumentError', () => {
    expect(() => connect(any(42))).toThrow(InvalidArgumentError);
  });
});

describe('MQTT 5 only methods with bad input (scripted broker)', () => {
  const client = { protocolVersion: 5 as const, keepalive: 0, reconnectPeriod: 0 };

  const cases: Array<[string, (h: Awaited<ReturnType<typeof connectedHarness>>) => Promise<Outcome>]> = [
    ['request with a wildcard topic', (h) => viaObservable(h.client.request('svc/+', 'q'))],
    ['request with a number payload', (h) => viaObservable(h.client.request('svc/x', any(42)))],
    ['request with a timeout of 0', (h) => viaObservable(h.client.request('svc/x', 'q', { timeout: 0 }))],
    ["request with a timeout of '5' (a string)", (h) => viaObservable(h.client.request('svc/x', 'q', { timeout: any('5') }))],
    ['request with a wildcard responseTopic', (h) => viaObservable(h.client.request('svc/x', 'q', { responseTopic: 'r/#' }))],
    ['respond with a handler that is not a function', (h) => viaObservable(h.client.respond('svc/x', any('handler')))],
    ['respond with a # that is not last', (h) => viaObservable(h.client.respond('svc/#/x', () => 'a'))],
    ['respond with QoS 3', (h) => viaObservable(h.client.respond('svc/x', () => 'a', { qos: any(3) }))],
    ['a topic Subscription Identifier above 268435455', (h) => viaObservable(h.client.topic('a', { properties: { subscriptionIdentifier: 268_435_456 } }))],
    ['a publish with a Topic Alias of 0', (h) => viaObservable(h.client.publish$('a', 'x', { properties: { topicAlias: 0 } }))],
  ];

  it.each(cases)('%s fails with an InvalidArgumentError through its channel and sends nothing', async (_what, call) => {
    const h = await connectedHarness({ client });
    const outcome = await run(() => call(h));
    expect(outcome).toBeInstanceOf(InvalidArgumentError);
    expect(outcome).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await flush();
    expect(h.broker.last.commands).toEqual(['connect']);
    // Still usable: a QoS 1 publish goes out and completes.
    const done = viaObservable(h.client.publish$('ok/x', 'y', { qos: 1 }));
    await flush();
    h.broker.last.reply({ cmd: 'puback', messageId: h.client.getLastMessageId()! });
    expect(await done).toBe('settled');
    expect(h.broker.last.commands).toEqual(['connect', 'publish']);
  });

  it('reauthenticate while another is under way fails with an AuthError and sends one AUTH', async () => {
    const h = await connectedHarness({
      client: { ...client, properties: { authenticationMethod: 'TOKEN', authenticationData: Buffer.from('t') } },
      broker: { autoConnack: false },
      connect: true,
    });
    h.broker.last.reply(accepting({ properties: { authenticationMethod: 'TOKEN' } }));
    await flush();
    const first = viaPromise(h.client.reauthenticate({ authenticationData: Buffer.from('t2') }));
    const second = await run(() => viaPromise(h.client.reauthenticate({ authenticationData: Buffer.from('t3') })));
    expect(second).toBeInstanceOf(AuthError);
    expect(second).toMatchObject({ code: 'ERR_AUTH' });
    await flush();
    expect(h.broker.last.packets('auth')).toHaveLength(1);
    h.broker.last.reply({ cmd: 'auth', reasonCode: 0, properties: { authenticationMethod: 'TOKEN' } });
    expect(await first).toBe('settled');
  });
});
