import type { Packet } from '../../lib/protocol/codec.js';
import { ConnackError, ProtocolError } from '../../lib/errors.js';
import { MqttSession } from '../../lib/session/session.js';
import type { SessionOptions } from '../../lib/session/types.js';
import { connack, connectedSession, options, receive, sent, trace } from './harness.js';

describe('MqttSession connection', () => {
  const connectCases: [string, Partial<SessionOptions>, Packet][] = [
    [
      'MQTT 3.1',
      { protocolId: 'MQIsdp', protocolVersion: 3, clientId: 'c3', keepalive: 10 },
      { cmd: 'connect', protocolId: 'MQIsdp', protocolVersion: 3, clientId: 'c3', clean: true, keepalive: 10 },
    ],
    [
      'MQTT 3.1.1 with credentials and will',
      {
        clientId: 'c4',
        clean: false,
        username: 'u',
        password: 'secret',
        will: { topic: 'w', payload: 'bye', qos: 1, retain: true },
        properties: { sessionExpiryInterval: 10 }, // ignored below v5
      },
      {
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clientId: 'c4',
        clean: false,
        keepalive: 60,
        username: 'u',
        password: Buffer.from('secret'),
        will: { topic: 'w', payload: 'bye', qos: 1, retain: true },
      },
    ],
    [
      'MQTT 5 with properties',
      { protocolVersion: 5, clientId: 'c5', keepalive: 0, password: Buffer.from([1, 2]), properties: { sessionExpiryInterval: 300, receiveMaximum: 10 } },
      {
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 5,
        clientId: 'c5',
        clean: true,
        keepalive: 0,
        password: Buffer.from([1, 2]),
        properties: { sessionExpiryInterval: 300, receiveMaximum: 10 },
      },
    ],
  ];

  it.each(connectCases)('sends CONNECT built from the options on open (%s)', (_name, overrides, expected) => {
    const session = new MqttSession(options(overrides));
    const out = session.step({ type: 'open' });
    expect(out).toStrictEqual([{ type: 'send', packet: expected }]);
    expect(session.status).toBe('awaitingConnack');
  });

  it('becomes connected on a successful CONNACK and reports it first', () => {
    const session = new MqttSession(options());
    session.step({ type: 'open' });
    const ack = connack();
    expect(receive(session, ack)).toEqual([{ type: 'connected', connack: ack }]);
    expect(session.status).toBe('connected');
    expect(session.connack).toBe(ack);
  });

  it('keeps the assigned client identifier on the v5 connack', () => {
    const session = connectedSession({ protocolVersion: 5, clientId: '' }, connack(false, { properties: { assignedClientIdentifier: 'auto-1' } }));
    expect(session.connack?.properties?.assignedClientIdentifier).toBe('auto-1');
  });

  const refusals: [3 | 4 | 5, number][] = [
    [3, 1], [4, 1], [4, 2], [4, 3], [4, 4], [4, 5],
    [5, 0x80], [5, 0x84], [5, 0x85], [5, 0x86], [5, 0x87], [5, 0x88], [5, 0x8a], [5, 0x9c],
  ];

  it.each(refusals)('reports a refused CONNACK (MQTT level %i, code %i) and disconnects', (version, code) => {
    const session = new MqttSession(options({ protocolVersion: version, protocolId: version === 3 ? 'MQIsdp' : 'MQTT' }));
    session.step({ type: 'open' });
    const ack = version === 5 ? connack(false, { reasonCode: code, returnCode: undefined, properties: { reasonString: 'nope' } }) : connack(false, { returnCode: code, reasonCode: undefined });
    const out = receive(session, ack);
    expect(out).toHaveLength(1);
    const refused = out[0] as Extract<(typeof out)[0], { type: 'refused' }>;
    expect(refused.type).toBe('refused');
    expect(refused.connack).toBe(ack);
    expect(refused.error).toBeInstanceOf(ConnackError);
    expect(refused.error.reasonCode).toBe(code);
    if (version === 5) expect(refused.error.reasonString).toBe('nope');
    expect(session.status).toBe('disconnected');
  });

  it.each([
    ['publish', { cmd: 'publish', topic: 't', payload: '', qos: 0, retain: false, dup: false }],
    ['suback', { cmd: 'suback', messageId: 1, granted: [0] }],
    ['pingresp', { cmd: 'pingresp' }],
  ] as [string, Packet][])('treats %s before CONNACK as a protocol error', (_name, packet) => {
    const session = new MqttSession(options());
    session.step({ type: 'open' });
    const out = receive(session, packet);
    expect(trace(out)).toEqual(['protocolError']);
    expect((out[0] as { error: ProtocolError }).error).toBeInstanceOf(ProtocolError);
    expect(session.status).toBe('disconnected');
  });

  it('sends a v5 DISCONNECT 0x82 before reporting a packet received before CONNACK', () => {
    const session = new MqttSession(options({ protocolVersion: 5 }));
    session.step({ type: 'open' });
    const out = receive(session, { cmd: 'pingresp' });
    expect(sent(out)).toEqual([{ cmd: 'disconnect', reasonCode: 0x82 }]);
    expect(trace(out)).toEqual(['send:disconnect', 'protocolError']);
    expect((out[1] as { error: ProtocolError }).error.reasonCode).toBe(0x82);
  });

  it('treats a v5 AUTH before CONNACK as a protocol error when the CONNECT named no Authentication Method [MQTT-4.12.0-6]', () => {
    const session = new MqttSession(options({ protocolVersion: 5 }));
    session.step({ type: 'open' });
    expect(trace(receive(session, { cmd: 'auth', reasonCode: 0x18 }))).toEqual(['send:disconnect', 'protocolError']);
    expect(session.status).toBe('disconnected');
  });

  it('treats a second CONNACK on the same connection as a protocol error', () => {
    const session = connectedSession({ protocolVersion: 5 });
    const out = receive(session, connack());
    expect(sent(out)).toEqual([{ cmd: 'disconnect', reasonCode: 0x82 }]);
    expect(trace(out)).toEqual(['send:disconnect', 'protocolError']);
    const { error } = out.find((o) => o.type === 'protocolError') as { error: Error };
    expect(error.message).toBe('Protocol error: duplicate CONNACK on the same network connection'); // MQTT.js's text
    expect(session.status).toBe('disconnected');
  });

  it.each([
    ['connect', { cmd: 'connect', clientId: 'x' }],
    ['subscribe', { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a', qos: 0 }] }],
    ['unsubscribe', { cmd: 'unsubscribe', messageId: 1, unsubscriptions: ['a'] }],
    ['pingreq', { cmd: 'pingreq' }],
  ] as [string, Packet][])('treats a %s packet from the server as a protocol error', (_name, packet) => {
    const v4 = connectedSession();
    expect(trace(receive(v4, packet))).toEqual(['protocolError']);
    expect(v4.status).toBe('disconnected');
    const v5 = connectedSession({ protocolVersion: 5 });
    const out = receive(v5, packet);
    expect(sent(out)).toEqual([{ cmd: 'disconnect', reasonCode: 0x82 }]);
    expect(trace(out)).toEqual(['send:disconnect', 'protocolError']);
  });

  it('treats AUTH as a protocol error in MQTT 3.1.1, and in MQTT 5 without an Authentication Method [MQTT-4.12.0-6]', () => {
    expect(trace(receive(connectedSession(), { cmd: 'auth', reasonCode: 0 }))).toEqual(['protocolError']);
    const v5 = connectedSession({ protocolVersion: 5 });
    expect(sent(receive(v5, { cmd: 'auth', reasonCode: 0x00 }))).toEqual([{ cmd: 'disconnect', reasonCode: 0x82 }]);
    expect(v5.status).toBe('disconnected');
  });

  it('reports a v5 DISCONNECT from the server and disconnects', () => {
    const session = connectedSession({ protocolVersion: 5 });
    const packet: Packet = { cmd: 'disconnect', reasonCode: 0x8b };
    expect(receive(session, packet)).toEqual([{ type: 'serverDisconnect', packet }]);
    expect(session.status).toBe('disconnected');
  });

  it('treats DISCONNECT from an MQTT 3.1.1 server as a protocol error', () => {
    expect(trace(receive(connectedSession(), { cmd: 'disconnect' }))).toEqual(['protocolError']);
  });

  it('ignores packets that arrive after the session gave up on the connection', () => {
    const session = connectedSession();
    session.step({ type: 'closed' });
    expect(receive(session, { cmd: 'pingresp' })).toEqual([]);
  });

  it('sends PINGREQ when a ping is due only while connected', () => {
    const session = new MqttSession(options());
    expect(session.step({ type: 'pingDue' })).toEqual([]);
    session.step({ type: 'open' });
    expect(session.step({ type: 'pingDue' })).toEqual([]);
    receive(session, connack());
    expect(session.step({ type: 'pingDue' })).toEqual([{ type: 'send', packet: { cmd: 'pingreq' } }]);
    expect(receive(session, { cmd: 'pingresp' })).toEqual([{ type: 'pingResponse' }]);
  });

  it('sends DISCONNECT then closes on disconnect while connected', () => {
    const session = connectedSession();
    expect(session.step({ type: 'disconnect', reasonCode: 4 })).toEqual([{ type: 'send', packet: { cmd: 'disconnect' } }, { type: 'close' }]);
    expect(session.status).toBe('disconnected');
  });

  it('puts the reason code and properties on a v5 DISCONNECT', () => {
    const session = connectedSession({ protocolVersion: 5 });
    const out = session.step({ type: 'disconnect', reasonCode: 0x04, properties: { sessionExpiryInterval: 0 } });
    expect(sent(out)).toEqual([{ cmd: 'disconnect', reasonCode: 0x04, properties: { sessionExpiryInterval: 0 } }]);
  });

  it('sends DISCONNECT while awaiting CONNACK, and only closes when already disconnected', () => {
    const session = new MqttSession(options());
    expect(session.step({ type: 'disconnect' })).toEqual([{ type: 'close' }]);
    session.step({ type: 'open' });
    expect(trace(session.step({ type: 'disconnect' }))).toEqual(['send:disconnect', 'close']);
  });

  it('starts a fresh connection when opened while still connected', () => {
    const session = connectedSession();
    const out = session.step({ type: 'open' });
    expect(trace(out)).toEqual(['send:connect']);
    expect(session.status).toBe('awaitingConnack');
    expect(trace(receive(session, connack()))).toEqual(['connected']);
  });

  it('reports the protocol version', () => {
    expect(new MqttSession(options({ protocolVersion: 5 })).protocolVersion).toBe(5);
  });
});
