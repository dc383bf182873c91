// The error classes: `kind` classifies every error, `code` is MQTT.js's value for the same
// condition, and MQTT.js's own error classes are exported, with rxmqtt's reason-code errors among
// their instances.
import * as mqttjs from 'mqtt';
import mqtt, * as rxmqtt from '../lib/index.js';
import {
  AckTimeoutError,
  ClientClosedError,
  ConnackError,
  ErrorWithReasonCode,
  ErrorWithSubackPacket,
  InvalidArgumentError,
  MqttError,
  ProtocolError,
  PublishError,
  ServerDisconnectError,
  SubackError,
  TimeoutError,
  TransportError,
  UnsubackError,
} from '../lib/errors.js';

describe('error kinds and MQTT.js codes', () => {
  it.each([
    ['ConnackError (3.1.1)', new ConnackError(5), 'ERR_CONNACK', 5],
    ['ConnackError (5.0)', new ConnackError(0x86), 'ERR_CONNACK', 134],
    ['PublishError', new PublishError(0x87), 'ERR_PUBLISH', 0x87],
    ['SubackError', new SubackError('a/#', 0x80), 'ERR_SUBACK', 0x80],
    ['UnsubackError', new UnsubackError('a/#', 0x8f), 'ERR_UNSUBACK', 0x8f],
    ['ServerDisconnectError', new ServerDisconnectError(0x8b), 'ERR_SERVER_DISCONNECT', 0x8b],
    ['a ProtocolError with the reason code of its DISCONNECT', new ProtocolError('too big', { reasonCode: 0x95 }), 'ERR_PROTOCOL', 0x95],
    ['a TransportError with a system error', new TransportError('refused', Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), 'ERR_TRANSPORT', 'ECONNREFUSED'],
  ])('gives %s the code MQTT.js gives the same condition', (_name, error, kind, code) => {
    expect(error).toMatchObject({ kind, code });
  });

  it.each([
    ['a ProtocolError without a reason code', new ProtocolError('cannot encode'), 'ERR_PROTOCOL'],
    ['a TransportError without a system error', new TransportError('closed'), 'ERR_TRANSPORT'],
    ['a connect timeout', new TimeoutError('ERR_CONNECT_TIMEOUT', 'no CONNACK'), 'ERR_CONNECT_TIMEOUT'],
    ['a keepalive timeout', new TimeoutError('ERR_KEEPALIVE_TIMEOUT', 'no PINGRESP'), 'ERR_KEEPALIVE_TIMEOUT'],
    ['an AckTimeoutError', new AckTimeoutError(5), 'ERR_ACK_TIMEOUT'],
    ['a ClientClosedError', new ClientClosedError(), 'ERR_CLIENT_CLOSED'],
    ['an InvalidArgumentError', new InvalidArgumentError('bad topic'), 'ERR_INVALID_ARGUMENT'],
  ])('gives %s its kind as the code, as MQTT.js sets none', (_name, error, kind) => {
    expect(error).toMatchObject({ kind, code: kind });
  });

  it('keeps the errno of a TransportError, the code it had before MQTT.js codes', () => {
    const error = new TransportError('reset', Object.assign(new Error('x'), { code: 'ECONNRESET' }));
    expect(error.errno).toBe('ECONNRESET');
  });
});

describe("MQTT.js's error classes", () => {
  it('exports every ErrorWith* class MQTT.js exports, under the same name, also on the default export', () => {
    const names = Object.keys(mqttjs).filter((name) => /^ErrorWith/.test(name));
    expect(names.sort()).toEqual(['ErrorWithReasonCode', 'ErrorWithSubackPacket']);
    for (const name of names) {
      expect(typeof (rxmqtt as Record<string, unknown>)[name]).toBe('function');
      expect((mqtt as Record<string, unknown>)[name]).toBe((rxmqtt as Record<string, unknown>)[name]);
    }
  });

  it('builds an ErrorWithReasonCode the way MQTT.js does: (message, code), the code a number', () => {
    const ours = new ErrorWithReasonCode('Connection refused: Not authorized', 135);
    const theirs = new mqttjs.ErrorWithReasonCode('Connection refused: Not authorized', 135);
    expect(ours).toBeInstanceOf(Error);
    expect(ours).toBeInstanceOf(MqttError);
    expect([ours.name, ours.message, ours.code]).toEqual([theirs.name, theirs.message, theirs.code]);
    expect(ours).toMatchObject({ kind: 'ERR_REASON_CODE', reasonCode: 135 });
  });

  it('builds an ErrorWithSubackPacket the way MQTT.js does: (message, packet)', () => {
    const packet = { cmd: 'suback' as const, messageId: 1, granted: [1, 0x87] };
    const ours = new ErrorWithSubackPacket('Subscribe error', packet);
    expect(ours).toMatchObject({ name: 'ErrorWithSubackPacket', message: 'Subscribe error', packet, code: 0x87, kind: 'ERR_SUBACK' });
  });

  it.each([
    ['ConnackError', new ConnackError(5)],
    ['PublishError', new PublishError(0x87)],
    ['SubackError', new SubackError('a/#', 0x80)],
    ['UnsubackError', new UnsubackError('a/#', 0x8f)],
    ['ServerDisconnectError', new ServerDisconnectError(0x8b)],
  ])('makes a %s an ErrorWithReasonCode and still an MqttError', (name, error) => {
    expect(error).toBeInstanceOf(ErrorWithReasonCode);
    expect(error).toBeInstanceOf(MqttError);
    expect(error.name).toBe(name);
  });

  it('makes a SubackError an ErrorWithSubackPacket carrying a SUBACK that holds its code', () => {
    const error = new SubackError('a/#', 0x87, 'no');
    expect(error).toBeInstanceOf(ErrorWithSubackPacket);
    expect(error.packet).toEqual({ cmd: 'suback', granted: [0x87], properties: { reasonString: 'no' } });
  });
});
