// Errors as an MQTT.js app observes them through the facade: what the publish callback gets for
// an MQTT 5 refusal, what 'error' carries for a bad customHandleAcks answer or a bad option, and
// MQTT.js's message texts. A scripted MQTT 5 broker sends what aedes (MQTT 3.1.1 only) cannot.
import { Duplex } from 'node:stream';
import * as mqttjs from 'mqtt';
import { ClientClosedError, ErrorWithReasonCode, InvalidArgumentError, MqttClient, PublishError, type ClientOptions, type Packet } from '../../lib/index.js';
import { accepting } from '../helpers/scripted-broker.js';
import { flush } from '../helpers/virtual-clock.js';
import { recordErrors, scriptedFacade } from '../helpers/scripted-facade.js';

type Outcome = { error: Error | null | undefined; packet: Packet | undefined };

function facade(options: ClientOptions = {}) {
  const made = scriptedFacade({ clientId: 'errors', protocolVersion: 5, reconnectPeriod: 0, ...options }, { protocolVersion: 5 });
  return { ...made, errors: recordErrors(made.client) };
}

async function connectedFacade(options: ClientOptions = {}, connack: Parameters<typeof accepting>[0] = {}) {
  const f = facade(options);
  await flush();
  f.broker.last.reply(accepting(connack));
  await flush();
  expect(f.client.connected).toBe(true);
  return f;
}

function lastSent(f: ReturnType<typeof facade>, cmd: Packet['cmd']): Packet & { messageId?: number; reasonCode?: number } {
  const packet = f.broker.last.received.filter((p) => p.cmd === cmd).at(-1);
  if (!packet) throw new Error(`the client sent no ${cmd}`);
  return packet;
}

function publishOutcome(client: MqttClient, qos: 1 | 2): Promise<Outcome> {
  return new Promise((resolve) => client.publish('a/b', 'message', { qos }, (error, packet) => resolve({ error, packet })));
}

describe('a publish the MQTT 5 broker refuses', () => {
  it.each([
    ['puback', 1],
    ['pubrec', 2],
  ] as const)('calls back with an ErrorWithReasonCode and the %s itself (QoS %i), in MQTT.js words', async (cmd, qos) => {
    const f = await connectedFacade();
    const outcome = publishOutcome(f.client, qos);
    await flush();
    const ack = { cmd, messageId: lastSent(f, 'publish').messageId, reasonCode: 0x87 } as Packet;
    f.broker.last.reply(ack);
    const { error, packet } = await outcome;
    expect(error).toBeInstanceOf(ErrorWithReasonCode);
    expect(error).toBeInstanceOf(PublishError);
    expect(error).toMatchObject({ message: 'Publish error: Not authorized', code: 0x87, kind: 'ERR_PUBLISH' });
    expect(packet).toMatchObject({ cmd, messageId: (ack as { messageId: number }).messageId, reasonCode: 0x87 });
    expect((error as { packet?: unknown }).packet).toBe(packet);
  });

  it('calls back with the PUBCOMP when the broker fails the exchange at its last step', async () => {
    const f = await connectedFacade();
    const outcome = publishOutcome(f.client, 2);
    await flush();
    const { messageId } = lastSent(f, 'publish');
    f.broker.last.reply({ cmd: 'pubrec', messageId });
    await flush();
    f.broker.last.reply({ cmd: 'pubcomp', messageId, reasonCode: 0x92 });
    const { error, packet } = await outcome;
    expect(error).toMatchObject({ message: 'Publish error: Packet Identifier not found', code: 0x92 });
    expect(packet).toMatchObject({ cmd: 'pubcomp', messageId, reasonCode: 0x92 });
  });

  it('rejects publishAsync with the error, which holds the acknowledgement', async () => {
    const f = await connectedFacade();
    const outcome = f.client.publishAsync('a/b', 'x', { qos: 1 }).then(() => undefined, (e: unknown) => e as Error);
    await flush();
    f.broker.last.reply({ cmd: 'puback', messageId: lastSent(f, 'publish').messageId, reasonCode: 0x97 });
    const error = await outcome;
    expect(error).toMatchObject({ message: 'Publish error: Quota exceeded', code: 0x97, packet: { cmd: 'puback', reasonCode: 0x97 } });
  });
});

describe('customHandleAcks answers, as MQTT.js apps give them', () => {
  type Answer = (done: (error: Error | number | null | undefined, reasonCode?: number) => void) => void;

  async function receive(qos: 1 | 2, answer: Answer) {
    const f = await connectedFacade({ customHandleAcks: (_topic, _message, _packet, done) => answer(done as Parameters<Answer>[0]) });
    const messages: string[] = [];
    f.client.on('message', (topic: string) => messages.push(topic));
    f.broker.last.reply({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('payload'), qos, messageId: 7, retain: false, dup: false });
    await flush();
    return { ...f, messages, ack: lastSent(f, qos === 1 ? 'puback' : 'pubrec') };
  }

  it.each([1, 2] as const)('takes a number in the error place as the reason code (QoS %i): no error, the ack carries it', async (qos) => {
    const { errors, messages, ack } = await receive(qos, (done) => done(0x80));
    expect(errors).toEqual([]);
    expect(messages).toEqual([]);
    expect(ack).toMatchObject({ messageId: 7, reasonCode: 0x80 });
  });

  it.each([
    ['puback', 1],
    ['pubrec', 2],
  ] as const)('reports a code no %s may carry as an Error with MQTT.js text (QoS %i), and refuses the message', async (ack, qos) => {
    const f = await receive(qos, (done) => done(124124));
    expect(f.errors).toHaveLength(1);
    expect(f.errors[0]).toBeInstanceOf(InvalidArgumentError);
    expect(f.errors[0]!.message).toBe(`Wrong reason code for ${ack}`);
    expect(f.messages).toEqual([]);
    expect(f.ack).toMatchObject({ cmd: ack, messageId: 7, reasonCode: 0x80 });
  });

  it('reports an error answer on the error event once, and refuses the message, even when answered twice', async () => {
    const invalid = new Error('a/b is not valid');
    const f = await receive(1, (done) => {
      done(invalid);
      done(0);
    });
    expect(f.errors).toEqual([invalid]);
    expect(f.messages).toEqual([]);
    expect(f.broker.last.packets('puback')).toEqual([expect.objectContaining({ messageId: 7, reasonCode: 0x80 })]);
  });

  it('delivers the message and acknowledges with success on done(0) or done(null, 0)', async () => {
    for (const answer of [(done: Parameters<Answer>[0]) => done(0), (done: Parameters<Answer>[0]) => done(null, 0)]) {
      const f = await receive(1, answer);
      expect(f.errors).toEqual([]);
      expect(f.messages).toEqual(['a/b']);
      expect(f.ack).toMatchObject({ messageId: 7 });
      expect(f.ack.reasonCode ?? 0).toBe(0);
    }
  });
});

describe('options no CONNECT can be built from', () => {
  it('reports authenticationData without authenticationMethod on the error event, in MQTT.js words, with the client ended and nothing sent', async () => {
    const f = facade({ properties: { authenticationData: Buffer.from([1, 2, 3, 4]) } });
    const ended = new Promise<void>((resolve) => f.client.once('error', () => resolve()));
    await ended;
    expect(f.errors).toHaveLength(1);
    expect(f.errors[0]).toBeInstanceOf(InvalidArgumentError);
    expect(f.errors[0]!.message).toBe('Packet has no Authentication Method');
    expect(f.client.disconnected).toBe(true);
    expect(f.client.connected).toBe(false);
    expect(f.broker.connections).toHaveLength(0);
  });

  it('reports it when a manualConnect client connects, not when it is made', async () => {
    const f = facade({ manualConnect: true, properties: { authenticationData: Buffer.from('x') } });
    await flush();
    expect(f.errors).toEqual([]);
    f.client.connect();
    await flush();
    expect(f.errors.map((e) => e.message)).toEqual(['Packet has no Authentication Method']);
  });

  it('throws MQTT.js text for clean: false without a clientId', () => {
    expect(() => facade({ clientId: undefined, clean: false })).toThrow(new InvalidArgumentError('Missing clientId for unclean clients'));
    expect(() => mqttjs.connect({ clean: false, manualConnect: true })).toThrow('Missing clientId for unclean clients');
  });

  it('says what MQTT.js itself says about authenticationData without authenticationMethod', async () => {
    // A duplex that swallows what MQTT.js writes: it reports the fault as it writes its CONNECT.
    const silent = () => new Duplex({ read() {}, write: (_chunk, _encoding, done) => done() });
    const theirs = new mqttjs.MqttClient(silent, { protocolVersion: 5, reconnectPeriod: 0, properties: { authenticationData: Buffer.from('x') } });
    const [theirError] = await new Promise<Error[]>((resolve) => theirs.once('error', (error: Error) => resolve([error])));
    theirs.end(true);
    const f = facade({ properties: { authenticationData: Buffer.from('x') } });
    await new Promise<void>((resolve) => f.client.once('error', () => resolve()));
    expect(f.errors[0]!.message).toBe(theirError!.message);
  });
});

describe('Topic Alias faults, in MQTT.js words', () => {
  function publishError(client: MqttClient, topic: string, topicAlias: number): Promise<Error | null | undefined> {
    return new Promise((resolve) => client.publish(topic, 'Message', { properties: { topicAlias } }, (error) => resolve(error)));
  }

  it.each([
    ['above the Topic Alias Maximum of the CONNACK', { properties: { topicAliasMaximum: 3 } }],
    ['when the CONNACK allows no alias', {}],
  ])('calls a publish with an alias %s back with an error', async (_name, connack) => {
    const f = await connectedFacade({}, connack);
    const error = await publishError(f.client, 'test1', 4);
    expect({ message: error?.message, kind: (error as { kind?: string })?.kind }).toEqual({ message: 'Sending Topic Alias out of range', kind: 'ERR_NOT_SUPPORTED_BY_SERVER' });
    expect(error).toMatchObject({ reasonCode: 0x94, capability: 'topicAliasMaximum' });
    expect(f.broker.last.packets('publish')).toEqual([]);
  });

  it('calls a publish with an empty topic and an alias never registered back with an error', async () => {
    const f = await connectedFacade({}, { properties: { topicAliasMaximum: 3 } });
    const error = await publishError(f.client, '', 2);
    expect(error).toMatchObject({ message: 'Unregistered Topic Alias', kind: 'ERR_TOPIC_ALIAS', alias: 2 });
  });

  it.each([
    ['an alias it never registered', '', 1, 'Received unregistered Topic Alias'],
    ['an alias above our Topic Alias Maximum', 'test1', 4, 'Received Topic Alias 4 is outside the advertised Topic Alias Maximum range 1-3'],
  ])('reports a broker PUBLISH with %s on the error event', async (_name, topic, topicAlias, message) => {
    const f = await connectedFacade({ properties: { topicAliasMaximum: 3 } });
    f.broker.last.reply({ cmd: 'publish', topic, payload: Buffer.from('Message'), qos: 0, retain: false, dup: false, properties: { topicAlias } });
    await flush();
    expect(f.errors.map((e) => e.message)).toEqual([message]);
  });
});

describe('a packet over the Maximum Packet Size we announced', () => {
  it('is reported on the error event in MQTT.js words, naming its type and size, with reason code 0x95', async () => {
    const f = facade({ properties: { maximumPacketSize: 5 } });
    await flush();
    // 8 bytes: fixed header 2, flags 1, reason code 1, properties 1 + 3 (Topic Alias Maximum).
    f.broker.last.reply(accepting({ properties: { topicAliasMaximum: 3 } }));
    await flush();
    expect(f.errors).toHaveLength(1);
    expect(f.errors[0]).toMatchObject({ message: 'exceeding packets size connack: 8 bytes, maximumPacketSize is 5', code: 0x95, reasonCode: 0x95 });
    expect(f.client.connected).toBe(false);
  });
});

describe('timeouts, in MQTT.js words', () => {
  it("reports a broker that sends no CONNACK within connectTimeout as 'connack timeout'", async () => {
    const f = facade({ connectTimeout: 1000 });
    await flush();
    await f.clock.advance(1000);
    expect(f.errors).toHaveLength(1);
    expect(f.errors[0]).toMatchObject({ message: 'connack timeout', kind: 'ERR_CONNECT_TIMEOUT', timeoutMs: 1000 });
  });

  it("reports a broker that answers no PINGREQ as 'Keepalive timeout'", async () => {
    const f = await connectedFacade({ keepalive: 5 });
    await f.clock.advance(10_000);
    expect(f.broker.last.commands).toEqual(['connect', 'pingreq']);
    expect(f.errors).toHaveLength(1);
    expect(f.errors[0]).toMatchObject({ message: 'Keepalive timeout', kind: 'ERR_KEEPALIVE_TIMEOUT' });
  });
});

describe('calls after end()', () => {
  it("call back with MQTT.js's 'client disconnecting', while ending and after", async () => {
    const f = await connectedFacade();
    const outcomes: string[] = [];
    const record = (error: Error | null | undefined) => outcomes.push(error?.message ?? 'no error');
    const ended = f.client.endAsync();
    f.client.publish('t', 'while ending', { qos: 1 }, record);
    await ended;
    f.client.publish('t', 'after', { qos: 1 }, record);
    f.client.subscribe('t', record);
    f.client.unsubscribe('t', record);
    await flush();
    expect(outcomes).toEqual(['client disconnecting', 'client disconnecting', 'client disconnecting', 'client disconnecting']);
  });
});

describe('a SUBACK refusal, in MQTT.js words', () => {
  it("calls subscribe back with 'Subscribe error: Not authorized', and rejects subscribeAsync with it", async () => {
    const f = await connectedFacade();
    const called = new Promise<Error | null | undefined>((resolve) => f.client.subscribe('$SYS/#', (error) => resolve(error)));
    const rejected = f.client.subscribeAsync('other/#').then(() => undefined, (e: unknown) => e as Error);
    await flush();
    for (const subscribe of f.broker.last.packets('subscribe')) f.broker.last.reply({ cmd: 'suback', messageId: subscribe.messageId, granted: [0x87] });
    expect(await called).toMatchObject({ message: 'Subscribe error: Not authorized', code: 0x87, topic: '$SYS/#' });
    expect(await rejected).toMatchObject({ message: 'Subscribe error: Not authorized', code: 0x87, topic: 'other/#' });
  });
});

describe('the smallest Maximum Packet Size', () => {
  it('reports the CONNACK over a maximumPacketSize of 1, as MQTT.js test does', async () => {
    const f = facade({ properties: { maximumPacketSize: 1 } });
    await flush();
    f.broker.last.reply(accepting());
    await flush();
    expect(f.errors.map((e) => e.message)).toEqual(['exceeding packets size connack: 5 bytes, maximumPacketSize is 1']);
  });
});

describe('what end() cuts short', () => {
  it("fails an unacknowledged publish of a clean session with MQTT.js's 'Connection closed'", async () => {
    const f = await connectedFacade({ clean: true });
    const outcome = publishOutcome(f.client, 1);
    await flush();
    f.client.end(true);
    const { error } = await outcome;
    expect(error).toBeInstanceOf(ClientClosedError);
    expect(error?.message).toBe('Connection closed');
  });
});
