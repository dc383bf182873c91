/** MQTT 5 enhanced authentication in the pure session: the connect loop, re-authentication, protocol errors. */
import type { IAuthPacket, Packet } from '../../lib/protocol/codec.js';
import { AuthError, ProtocolError, TimeoutError } from '../../lib/errors.js';
import { MqttSession } from '../../lib/session/session.js';
import type { SessionOptions, SessionOutput } from '../../lib/session/types.js';
import { connack, options, publishCommand, receive, sent, trace } from './harness.js';

const METHOD = 'SCRAM-SHA-256';

function authOptions(overrides: Partial<SessionOptions> = {}): SessionOptions {
  return options({ protocolVersion: 5, properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('client-first') }, ...overrides });
}

/** `method` null: an AUTH without an Authentication Method. */
function serverAuth(reasonCode: number, data?: string, method: string | null = METHOD): IAuthPacket {
  const properties: IAuthPacket['properties'] = {};
  if (method !== null) properties.authenticationMethod = method;
  if (data !== undefined) properties.authenticationData = Buffer.from(data);
  return { cmd: 'auth', reasonCode, properties };
}

function clientAuth(reasonCode: number, data: string): IAuthPacket {
  return { cmd: 'auth', reasonCode, properties: { authenticationData: Buffer.from(data), authenticationMethod: METHOD } };
}

/** A session that sent CONNECT with an Authentication Method and awaits the server. */
function authenticating(overrides: Partial<SessionOptions> = {}): MqttSession {
  const session = new MqttSession(authOptions(overrides));
  session.step({ type: 'open' });
  return session;
}

function connectedWithMethod(): MqttSession {
  const session = authenticating();
  receive(session, connack(false, { properties: { authenticationMethod: METHOD } }));
  return session;
}

function errorOf(out: SessionOutput[]): ProtocolError {
  const output = out.find((o) => o.type === 'protocolError') as Extract<SessionOutput, { type: 'protocolError' }>;
  return output.error;
}

describe('MqttSession enhanced authentication: the connect loop (4.12)', () => {
  it('runs a two-step challenge loop: each AUTH 0x18 goes to the app, each answer goes out with the CONNECT method', () => {
    const session = authenticating();
    const first = serverAuth(0x18, 'server-first');
    expect(receive(session, first)).toEqual([{ type: 'authChallenge', packet: first }]);
    expect(session.step({ type: 'authContinue', properties: { authenticationData: Buffer.from('client-final') } })).toEqual([
      { type: 'send', packet: clientAuth(0x18, 'client-final') },
    ]);
    const second = serverAuth(0x18, 'server-final');
    expect(trace(receive(session, second))).toEqual(['authChallenge']);
    expect(sent(session.step({ type: 'authContinue', properties: { authenticationData: Buffer.from('ok') } }))).toEqual([clientAuth(0x18, 'ok')]);
    expect(trace(receive(session, connack(false, { properties: { authenticationMethod: METHOD } })))).toEqual(['connected']);
    expect(session.status).toBe('connected');
  });

  it('sends nothing but AUTH before CONNACK: a publish waits for the CONNACK [MQTT-3.1.2-30]', () => {
    const session = authenticating();
    expect(session.step(publishCommand(1, 1))).toEqual([]);
    receive(session, serverAuth(0x18, 'challenge'));
    expect(trace(session.step({ type: 'authContinue' }))).toEqual(['send:auth']);
    expect(trace(receive(session, connack()))).toEqual(['connected', 'send:publish#1']);
  });

  it('answers an app that gives up with DISCONNECT carrying the error reason code, then reports authFailed', () => {
    const session = authenticating();
    receive(session, serverAuth(0x18, 'challenge'));
    const error = new AuthError('refused', { reasonCode: 0x80 });
    expect(session.step({ type: 'authAbort', error })).toEqual([
      { type: 'send', packet: { cmd: 'disconnect', reasonCode: 0x80 } },
      { type: 'authFailed', error },
    ]);
    expect(session.status).toBe('disconnected');
  });

  it('ignores an answer when no challenge waits for one (stale, or after the connection closed)', () => {
    const session = authenticating();
    expect(session.step({ type: 'authContinue' })).toEqual([]);
    receive(session, serverAuth(0x18, 'challenge'));
    session.step({ type: 'closed' });
    expect(session.step({ type: 'authContinue' })).toEqual([]);
    expect(session.step({ type: 'authAbort', error: new AuthError('late') })).toEqual([]);
  });

  // The messages of the faults MQTT.js also detects are MQTT.js's; the method is never quoted.
  const protocolErrors: [string, Packet, number, string][] = [
    ['a different Authentication Method [MQTT-4.12.0-5]', serverAuth(0x18, 'x', 'PLAIN'), 0x82, 'AUTH with a different Authentication Method than the CONNECT'],
    ['no Authentication Method (3.15.2.2.2)', serverAuth(0x18, 'x', null), 0x82, 'AUTH with a different Authentication Method than the CONNECT'],
    ['reason code 0x19, which only a client sends (3.15.2.1)', serverAuth(0x19), 0x82, 'Protocol error: Auth packet reason code 25 is not one a broker may send'],
    ['an unknown reason code [MQTT-3.15.2-1]', serverAuth(0x05), 0x81, 'Protocol error: Auth packet reason code 5 is not one a broker may send'],
    ['Success before CONNACK: CONNACK ends the connect loop', serverAuth(0x00), 0x82, 'AUTH Success before CONNACK'],
  ];

  it.each(protocolErrors)('treats a server AUTH with %s as a protocol error', (_name, packet, reasonCode, message) => {
    const session = authenticating();
    const out = receive(session, packet);
    expect(sent(out)).toEqual([{ cmd: 'disconnect', reasonCode }]);
    expect(errorOf(out)).toMatchObject({ kind: 'ERR_PROTOCOL', reasonCode, code: reasonCode, message });
    expect(session.status).toBe('disconnected');
  });

  it.each([
    ['a CONNECT without an Authentication Method', options({ protocolVersion: 5 }), 'Protocol error: Auth packet received but enhanced authentication was not requested'],
    ['MQTT 3.1.1', options({ protocolVersion: 4 }), 'Protocol error: Auth packets are only supported in MQTT 5. Your version:4'],
  ])('reports an AUTH after %s in MQTT.js words', (_name, sessionOptions, message) => {
    const session = new MqttSession(sessionOptions);
    session.step({ type: 'open' });
    receive(session, connack(false));
    expect(errorOf(receive(session, serverAuth(0x18)))).toMatchObject({ kind: 'ERR_PROTOCOL', code: 0x82, message });
  });

  it('treats a second challenge before the app answered the first as a protocol error', () => {
    const session = authenticating();
    receive(session, serverAuth(0x18, 'one'));
    expect(trace(receive(session, serverAuth(0x18, 'two')))).toEqual(['send:disconnect', 'protocolError']);
  });

  it('treats a CONNACK naming another Authentication Method as a protocol error [MQTT-4.12.0-5], and accepts one naming none', () => {
    const mismatch = authenticating();
    expect(trace(receive(mismatch, connack(false, { properties: { authenticationMethod: 'PLAIN' } })))).toEqual(['send:disconnect', 'protocolError']);
    const silent = authenticating();
    expect(trace(receive(silent, connack()))).toEqual(['connected']);
  });

  it('treats a CONNACK with an Authentication Method after a CONNECT without one as a protocol error [MQTT-4.12.0-6]', () => {
    const session = new MqttSession(options({ protocolVersion: 5 }));
    session.step({ type: 'open' });
    expect(trace(receive(session, connack(false, { properties: { authenticationMethod: METHOD } })))).toEqual(['send:disconnect', 'protocolError']);
  });

  it('knows no Authentication Method below MQTT 5, whatever the properties say', () => {
    const session = authenticating({ protocolVersion: 4 });
    expect((receive(session, connack())[0] as { type: string }).type).toBe('connected');
    expect(trace(session.step({ type: 'reauthenticate' }))).toEqual(['reauthRefused']);
  });
});

describe('MqttSession re-authentication (4.12.1)', () => {
  it('sends AUTH 0x19 with the CONNECT method, relays the challenge, and reports the server Success [MQTT-4.12.1-1]', () => {
    const session = connectedWithMethod();
    expect(sent(session.step({ type: 'reauthenticate', properties: { authenticationData: Buffer.from('fresh') } }))).toEqual([clientAuth(0x19, 'fresh')]);
    expect(trace(receive(session, serverAuth(0x18, 'nonce')))).toEqual(['authChallenge']);
    expect(sent(session.step({ type: 'authContinue', properties: { authenticationData: Buffer.from('proof') } }))).toEqual([clientAuth(0x18, 'proof')]);
    const success = serverAuth(0x00);
    expect(receive(session, success)).toEqual([{ type: 'reauthenticated', packet: success }]);
    // The exchange is over: another one may start.
    expect(trace(session.step({ type: 'reauthenticate' }))).toEqual(['send:auth']);
  });

  it('keeps other traffic flowing during a re-authentication', () => {
    const session = connectedWithMethod();
    session.step({ type: 'reauthenticate' });
    expect(trace(session.step(publishCommand(1, 1)))).toEqual(['send:publish#1']);
    expect(trace(receive(session, { cmd: 'puback', messageId: 1 }))).toEqual(['settle:1']);
  });

  const refusals: [string, () => MqttSession, RegExp][] = [
    ['the CONNECT had no Authentication Method [MQTT-4.12.0-7]', () => {
      const session = new MqttSession(options({ protocolVersion: 5 }));
      session.step({ type: 'open' });
      receive(session, connack());
      return session;
    }, /Authentication Method/],
    ['the client is not connected', () => authenticating(), /connected/],
    ['another one is under way', () => {
      const session = connectedWithMethod();
      session.step({ type: 'reauthenticate' });
      return session;
    }, /already in progress/],
  ];

  it.each(refusals)('refuses to start when %s, and sends nothing', (_name, make, message) => {
    const out = make().step({ type: 'reauthenticate', properties: { authenticationData: Buffer.from('x') } });
    expect(trace(out)).toEqual(['reauthRefused']);
    const { error } = out[0] as Extract<SessionOutput, { type: 'reauthRefused' }>;
    expect(error).toBeInstanceOf(AuthError);
    expect(error.code).toBe('ERR_AUTH');
    expect(error.message).toMatch(message);
  });

  it('treats an AUTH outside any exchange as a protocol error', () => {
    const session = connectedWithMethod();
    expect(sent(receive(session, serverAuth(0x00)))).toEqual([{ cmd: 'disconnect', reasonCode: 0x82 }]);
  });

  it('answers a re-authentication timeout with DISCONNECT 0x80 and authFailed, and goes offline [MQTT-4.12.1-2]', () => {
    const session = connectedWithMethod();
    session.step({ type: 'reauthenticate' });
    receive(session, serverAuth(0x18, 'nonce'));
    session.step({ type: 'authContinue' });
    const error = new TimeoutError('ERR_REAUTH_TIMEOUT', 'late');
    // 0x80: 0x87 and 0x8C are the Server's DISCONNECT codes (3.14.2.1).
    expect(session.step({ type: 'reauthTimedOut', error })).toEqual([
      { type: 'send', packet: { cmd: 'disconnect', reasonCode: 0x80 } },
      { type: 'authFailed', error },
    ]);
    expect(session.status).toBe('disconnected');
  });

  const lateTimers: [string, () => MqttSession][] = [
    ['the exchange already ended with Success', () => {
      const session = connectedWithMethod();
      session.step({ type: 'reauthenticate' });
      receive(session, serverAuth(0x00));
      return session;
    }],
    ['no re-authentication was started', connectedWithMethod],
    ['the connection is already gone', () => {
      const session = connectedWithMethod();
      session.step({ type: 'reauthenticate' });
      session.step({ type: 'closed' });
      return session;
    }],
  ];

  it.each(lateTimers)('ignores a re-authentication timeout when %s', (_name, make) => {
    const session = make();
    const status = session.status;
    expect(session.step({ type: 'reauthTimedOut', error: new TimeoutError('ERR_REAUTH_TIMEOUT', 'late') })).toEqual([]);
    expect(session.status).toBe(status);
  });

  it('starts afresh on the next connection: a re-authentication cut short does not block the next one', () => {
    const session = connectedWithMethod();
    session.step({ type: 'reauthenticate' });
    session.step({ type: 'closed' });
    session.step({ type: 'open' });
    // The new CONNECT is in its own connect loop...
    expect(trace(receive(session, serverAuth(0x18, 'again')))).toEqual(['authChallenge']);
    session.step({ type: 'authContinue' });
    receive(session, connack());
    // ...and a re-authentication may start after its CONNACK.
    expect(trace(session.step({ type: 'reauthenticate' }))).toEqual(['send:auth']);
  });
});
