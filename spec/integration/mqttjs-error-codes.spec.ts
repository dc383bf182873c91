// `err.code` as MQTT.js sets it, for each condition both clients report: against aedes side by side
// with MQTT.js itself (a refused 3.1.1 CONNACK, a closed port, a refused SUBSCRIBE), and against a
// scripted MQTT 5 broker for the reason codes aedes cannot send (CONNACK, PUBACK/PUBREC, SUBACK).
import * as mqttjs from 'mqtt';
import { asTransportFactory } from '../../lib/compat/compat.js';
import {
  ConnackError,
  connect,
  ErrorWithReasonCode,
  ErrorWithSubackPacket,
  MqttClient,
  PublishError,
  SubackError,
  TransportError,
  type ClientOptions,
  type Packet,
} from '../../lib/index.js';
import { freePort } from '../helpers/mosquitto.js';
import { scriptedBroker } from '../helpers/scripted-broker.js';
import { flush, VirtualClock } from '../helpers/virtual-clock.js';
import { once } from '../helpers/wait.js';
import { connected, QUICK, useAedes } from './support.js';

type CodedError = Error & { code?: unknown; kind?: unknown };

describe('error codes as MQTT.js sets them, against aedes and MQTT.js itself', () => {
  const fixture = useAedes();

  it.each([4, 5])('gives a CONNACK refused with return code %i the code MQTT.js gives it, that number', async (returnCode) => {
    const f = fixture();
    f.aedes.broker.authenticate = (_client, _username, _password, callback) =>
      callback(Object.assign(new Error('refused by the test'), { returnCode }) as never, false);
    const [[ours], [theirs]] = await Promise.all([once<[CodedError]>(f.rx(), 'error'), once<[CodedError]>(f.js(), 'error')]);
    expect(theirs.code).toBe(returnCode);
    expect(ours.code).toBe(theirs.code);
    expect(ours).toBeInstanceOf(ConnackError);
    expect(ours).toBeInstanceOf(ErrorWithReasonCode);
    expect(ours).toMatchObject({ kind: 'ERR_CONNACK', reasonCode: returnCode });
  });

  it('reports an MQTT 5 CONNECT refused by aedes, which has no MQTT 5, as MQTT.js does: ConnackError 1, Unacceptable protocol version', async () => {
    const f = fixture();
    // aedes answers with the two-byte 3.1.1 CONNACK, return code 1 ([MQTT-3.1.2-2], 3.1.1).
    const [[ours], [theirs]] = await Promise.all([once<[CodedError]>(f.rx('tcp', { protocolVersion: 5 }), 'error'), once<[CodedError]>(f.js('tcp', { protocolVersion: 5 }), 'error')]);
    expect(theirs.code).toBe(1);
    expect(ours).toBeInstanceOf(ConnackError);
    expect(ours).toMatchObject({ kind: 'ERR_CONNACK', code: 1, reasonCode: 1, message: 'Connection refused: Unacceptable protocol version' });
  });

  it('gives a connection to a closed loopback port the code MQTT.js gives it, ECONNREFUSED', async () => {
    const url = `mqtt://127.0.0.1:${await freePort()}`;
    const ours = connect(url, QUICK);
    const theirs = mqttjs.connect(url, { reconnectPeriod: 0, connectTimeout: 3000 });
    fixture().defer(() => ours.endAsync(true));
    fixture().defer(() => theirs.endAsync(true));
    const [[oursError], [theirsError]] = await Promise.all([once<[CodedError]>(ours, 'error'), once<[CodedError]>(theirs, 'error')]);
    expect(theirsError.code).toBe('ECONNREFUSED');
    expect(oursError.code).toBe(theirsError.code);
    expect(oursError).toBeInstanceOf(TransportError);
    expect(oursError).toMatchObject({ kind: 'ERR_TRANSPORT', errno: 'ECONNREFUSED' });
  });

  it('rejects a refused SUBSCRIBE with an ErrorWithSubackPacket holding the SUBACK, as MQTT.js does', async () => {
    const f = fixture();
    f.aedes.broker.authorizeSubscribe = (_client, sub, callback) => callback(null, sub.topic === 'refused/x' ? null : sub);
    const ours = await connected(f.rx());
    const theirs = await connected(f.js());
    const theirsError = await theirs.subscribeAsync(['ok/x', 'refused/x']).then(
      () => undefined,
      (e: unknown) => e as mqttjs.ErrorWithSubackPacket,
    );
    const oursError = await ours.subscribeAsync(['ok/x', 'refused/x']).then(
      () => undefined,
      (e: unknown) => e as ErrorWithSubackPacket,
    );
    expect(theirsError).toBeInstanceOf(mqttjs.ErrorWithSubackPacket);
    expect(oursError).toBeInstanceOf(ErrorWithSubackPacket);
    expect(oursError).toBeInstanceOf(SubackError);
    expect(oursError?.packet.granted).toEqual(theirsError?.packet.granted);
    // MQTT.js sets no code on this one; rxmqtt's, a reason-code error, carries the refusal's.
    expect(oursError).toMatchObject({ kind: 'ERR_SUBACK', code: 0x80, topic: 'refused/x' });
  });
});

describe('MQTT 5 reason codes as MQTT.js sets them in err.code, from a scripted broker', () => {
  function facade(options: ClientOptions = {}) {
    const clock = new VirtualClock();
    const broker = scriptedBroker({ protocolVersion: 5 });
    const client = new MqttClient(asTransportFactory(broker.factory), {
      clientId: 'codes',
      protocolVersion: 5,
      keepalive: 0,
      reconnectPeriod: 0,
      scheduler: clock.scheduler,
      ...options,
    });
    const errors: CodedError[] = [];
    client.on('error', (error: CodedError) => errors.push(error));
    return { client, broker, errors };
  }

  async function connectedFacade() {
    const f = facade();
    await flush();
    f.broker.last.reply({ cmd: 'connack', sessionPresent: false, reasonCode: 0 });
    await flush();
    expect(f.client.connected).toBe(true);
    return f;
  }

  function lastSent(f: ReturnType<typeof facade>, cmd: Packet['cmd']): Packet & { messageId?: number } {
    const packet = f.broker.last.received.filter((p) => p.cmd === cmd).at(-1);
    if (!packet) throw new Error(`the client sent no ${cmd}`);
    return packet;
  }

  it.each([
    [0x86, 'bad user name or password'],
    [0x87, 'not authorized'],
    [0x8a, 'banned'],
  ])('reports a CONNACK refused with reason code %i as an ErrorWithReasonCode of that code (%s)', async (reasonCode) => {
    const f = facade();
    await flush();
    f.broker.last.reply({ cmd: 'connack', sessionPresent: false, reasonCode });
    await flush();
    expect(f.errors).toHaveLength(1);
    expect(f.errors[0]).toBeInstanceOf(ErrorWithReasonCode);
    expect(f.errors[0]).toBeInstanceOf(ConnackError);
    expect(f.errors[0]).toMatchObject({ code: reasonCode, kind: 'ERR_CONNACK', reasonCode });
  });

  it.each([
    ['puback', 1, 0x87],
    ['pubrec', 2, 0x97],
  ] as const)('calls publish back with an ErrorWithReasonCode of the %s failure code (QoS %i, code %i)', async (cmd, qos, reasonCode) => {
    const f = await connectedFacade();
    const outcome = new Promise<CodedError | undefined>((resolve) => f.client.publish('t', 'x', { qos }, (error) => resolve(error ?? undefined)));
    await flush();
    f.broker.last.reply({ cmd, messageId: lastSent(f, 'publish').messageId, reasonCode } as Packet);
    const error = await outcome;
    expect(error).toBeInstanceOf(ErrorWithReasonCode);
    expect(error).toBeInstanceOf(PublishError);
    expect(error).toMatchObject({ code: reasonCode, kind: 'ERR_PUBLISH', reasonCode });
  });

  it('calls subscribe back with an error whose code is the SUBACK failure code, the SUBACK in its packet', async () => {
    const f = await connectedFacade();
    const outcome = new Promise<CodedError | null | undefined>((resolve) => f.client.subscribe('t/#', (error: CodedError | null | undefined) => resolve(error)));
    await flush();
    f.broker.last.reply({ cmd: 'suback', messageId: lastSent(f, 'subscribe').messageId, granted: [0x87], properties: { reasonString: 'no' } });
    const error = await outcome;
    expect(error).toBeInstanceOf(ErrorWithReasonCode);
    expect(error).toBeInstanceOf(ErrorWithSubackPacket);
    expect(error).toMatchObject({ code: 0x87, kind: 'ERR_SUBACK', reasonString: 'no', packet: { granted: [0x87] } });
  });
});
