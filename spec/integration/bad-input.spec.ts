// Bad input through every API channel (callback, Promise, Observable): each call fails with a
// typed error and nothing reaches the broker. Calls after end() fail with ClientClosedError and
// never hang.
import { firstValueFrom, lastValueFrom, timeout } from 'rxjs';
import { ClientClosedError, connect, connectAsync, InvalidArgumentError, MqttClient, type Packet } from '../../lib/index.js';
import { connected, record, useAedes, within, type Fixture } from './support.js';
import { HANG_DEADLINE_MS } from '../helpers/wait.js';

type Outcome = Error | null | undefined | 'settled';

/** The error a callback-style call reported (or 'settled' when it succeeded), within 2 s. */
function viaCallback(call: (callback: (error?: Error | null) => void) => void): Promise<Outcome> {
  return within(new Promise<Outcome>((resolve) => call((error) => resolve(error ?? 'settled'))), 'the callback');
}

function viaPromise(promise: Promise<unknown>): Promise<Outcome> {
  return within(
    promise.then(
      () => 'settled' as const,
      (error: Error) => error,
    ),
    'the Promise',
  );
}

function expectInvalid(outcome: Outcome): void {
  expect(outcome).toBeInstanceOf(InvalidArgumentError);
  expect(outcome).toBeInstanceOf(TypeError);
  expect(outcome).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
}

function expectClosed(outcome: Outcome): void {
  expect(outcome).toBeInstanceOf(ClientClosedError);
  expect(outcome).toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
}

/**
 * Proves the broker saw nothing from `client` but a sentinel: a QoS 1 publish made after the bad
 * calls reaches the broker after anything they might have queued.
 */
async function expectNothingSent(f: Fixture, client: MqttClient, sent: Packet[], brokerSaw: string[]) {
  const sentinelSeen = new Promise<void>((resolve) =>
    f.aedes.broker.on('publish', (packet) => packet.topic === 'bad/sentinel' && resolve()),
  );
  await client.publishAsync('bad/sentinel', 'last', { qos: 1 });
  await within(sentinelSeen, 'aedes to report the sentinel publish');
  expect(sent.map((p) => p.cmd).filter((cmd) => cmd !== 'puback')).toEqual(['publish']);
  expect(brokerSaw).toEqual(['bad/sentinel']);
}

describe('bad input against aedes', () => {
  const fixture = useAedes();

  async function setUp() {
    const f = fixture();
    const client = await connected(f.rx());
    const sent = record(f, client.packetsOut$);
    const brokerSaw: string[] = [];
    f.aedes.broker.on('publish', (packet, from) => from && brokerSaw.push(packet.topic));
    return { f, client, sent, brokerSaw };
  }

  const badPublishes: Array<[string, string, unknown, object]> = [
    ['a topic with +', 'bad/+/topic', 'x', {}],
    ['a topic with #', 'bad/#', 'x', {}],
    ['an empty topic', '', 'x', {}],
    ['QoS 3', 'bad/qos', 'x', { qos: 3 }],
    ['a number payload', 'bad/payload', 42, {}],
    ['an object payload', 'bad/payload', { json: true }, {}],
    ['a null payload', 'bad/payload', null, {}],
    ['a NUL character in the topic', 'bad/\u0000/nul', 'x', {}],
    ['a topic over 65535 bytes', 'é'.repeat(40_000), 'x', {}],
    ['options that are not an object', 'bad/options', 'x', 'qos 1' as never],
    ['a Topic Alias of 0 (3.3.2.3.4)', 'bad/alias', 'x', { properties: { topicAlias: 0 } }],
    ['a Topic Alias above 65535', 'bad/alias', 'x', { properties: { topicAlias: 65536 } }],
    ['a Topic Alias that is not an integer', 'bad/alias', 'x', { properties: { topicAlias: 1.5 } }],
    ['an empty topic and an invalid Topic Alias', '', 'x', { properties: { topicAlias: -1 } }],
  ];

  it.each(badPublishes)('refuses a publish with %s through the callback, the Promise and publish$, sending nothing', async (_what, topic, payload, options) => {
    const { f, client, sent, brokerSaw } = await setUp();
    expectInvalid(await viaCallback((cb) => client.publish(topic, payload as string, options, cb)));
    expectInvalid(await viaPromise(client.publishAsync(topic, payload as string, options)));
    expectInvalid(await viaPromise(lastValueFrom(client.publish$(topic, payload as string, options).pipe(timeout(HANG_DEADLINE_MS)))));
    await expectNothingSent(f, client, sent, brokerSaw);
  });

  it.each([
    ['a # that is not last', 'a/#/b'],
    ['a + sharing a level', 'a+'],
    ['an empty filter', ''],
    ['a shared subscription without a group', '$share//bad'],
  ])('refuses a subscription to %s through subscribe, subscribeAsync, the map form and topic(), sending nothing', async (_what, filter) => {
    const { f, client, sent, brokerSaw } = await setUp();
    const brokerSubscribes: string[] = [];
    f.aedes.broker.on('subscribe', (subs) => brokerSubscribes.push(...subs.map((s) => s.topic)));
    expectInvalid(await viaCallback((cb) => client.subscribe(filter, cb)));
    expectInvalid(await viaCallback((cb) => client.subscribe(['ok/filter', filter], { qos: 1 }, cb)));
    expectInvalid(await viaPromise(client.subscribeAsync({ [filter]: { qos: 0 } })));
    expectInvalid(await viaPromise(firstValueFrom(client.topic(filter).pipe(timeout(HANG_DEADLINE_MS)))));
    await expectNothingSent(f, client, sent, brokerSaw);
    expect(brokerSubscribes).toEqual([]);
  });

  it('refuses a subscription with QoS 3 or no topic, and an unsubscribe with no topic, sending nothing', async () => {
    const { f, client, sent, brokerSaw } = await setUp();
    expectInvalid(await viaPromise(client.subscribeAsync('ok/filter', { qos: 3 as never })));
    expectInvalid(await viaPromise(firstValueFrom(client.topic('ok/filter', { qos: 3 as never }).pipe(timeout(HANG_DEADLINE_MS)))));
    expectInvalid(await viaPromise(client.unsubscribeAsync('')));
    expectInvalid(await viaPromise(client.unsubscribeAsync([])));
    expectInvalid(await viaPromise(client.subscribeAsync(42 as never)));
    expectInvalid(await viaPromise(client.subscribeAsync(null as never)));
    expectInvalid(await viaPromise(client.subscribeAsync([])));
    await expectNothingSent(f, client, sent, brokerSaw);
  });

  describe('clean: false without a clientId', () => {
    it('makes connect() and new MqttClient() throw an InvalidArgumentError before opening anything', async () => {
      const f = fixture();
      const clients: string[] = [];
      f.aedes.broker.on('client', (c) => clients.push(c.id));
      let opened = 0;
      expect(() => connect(f.aedes.url, { clean: false })).toThrow(InvalidArgumentError);
      expect(() => new MqttClient(() => (opened++, f.aedes.connectStream()), { clean: false })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
      expect(opened).toBe(0);
      await connected(f.rx('in-memory', { clientId: 'witness' }));
      expect(clients).toEqual(['witness']);
    });

    it('makes connectAsync reject with an InvalidArgumentError', async () => {
      const f = fixture();
      expectInvalid(await viaPromise(connectAsync(f.aedes.url, { clean: false, reconnectPeriod: 0 })));
    });
  });

  describe('after end()', () => {
    it('fails every call with ClientClosedError through its own channel, promptly', async () => {
      const f = fixture();
      const client = await connected(f.rx());
      const sent = record(f, client.packetsOut$);
      await within(client.endAsync(), 'endAsync');
      expect(sent.map((p) => p.cmd)).toEqual(['disconnect']);

      expectClosed(await viaCallback((cb) => client.publish('after/end', 'x', cb)));
      expectClosed(await viaCallback((cb) => client.publish('after/end', 'x', { qos: 1 }, cb)));
      expectClosed(await viaPromise(client.publishAsync('after/end', 'x', { qos: 2 })));
      expectClosed(await viaPromise(lastValueFrom(client.publish$('after/end', 'x').pipe(timeout(HANG_DEADLINE_MS)))));
      expectClosed(await viaCallback((cb) => client.subscribe('after/end', cb)));
      expectClosed(await viaPromise(client.subscribeAsync('after/end')));
      expectClosed(await viaPromise(client.unsubscribeAsync('after/end')));
      expectClosed(await viaPromise(firstValueFrom(client.topic('after/end').pipe(timeout(HANG_DEADLINE_MS)))));
      // Ending again is harmless and prompt.
      await within(client.endAsync(), 'a second endAsync');
      expect(sent.map((p) => p.cmd)).toEqual(['disconnect']);
    });

    it('fails calls made while end() waits for in-flight acknowledgements', async () => {
      const f = fixture();
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        f.aedes.broker.authorizePublish = (_client, _packet, callback) => {
          release = () => callback(null);
          resolve();
        };
      });
      const client = await connected(f.rx());
      const inflight = client.publishAsync('ending/x', 'in flight', { qos: 1 });
      const ended = client.endAsync();
      expect(client.disconnecting).toBe(true);
      expectClosed(await viaPromise(client.publishAsync('ending/x', 'too late', { qos: 1 })));
      expectClosed(await viaPromise(client.subscribeAsync('ending/x')));
      await within(held, 'the held PUBLISH');
      release();
      await viaPromise(inflight).then((outcome) => expect(outcome).toBe('settled'));
      await within(ended, 'endAsync');
    });

    it('fails an unanswered QoS 1 publish with ClientClosedError on a forced end', async () => {
      const f = fixture();
      f.aedes.broker.authorizePublish = () => undefined; // never acknowledged
      const client = await connected(f.rx());
      const pending = viaPromise(client.publishAsync('forced/x', 'dropped', { qos: 1 }));
      await within(client.endAsync(true), 'a forced endAsync');
      expectClosed(await pending);
    });
  });
});
