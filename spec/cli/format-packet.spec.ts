import { describePacket, describeState } from '../../cli/format-packet.js';
import type { ConnectionState } from '../../lib/index.js';

describe('describePacket', () => {
  it('names the packet and its fields, never the password or the authentication data', () => {
    const line = describePacket({
      cmd: 'connect',
      protocolVersion: 5,
      clientId: 'c1',
      username: 'user',
      password: Buffer.from('hunter2'),
      properties: { authenticationMethod: 'SCRAM', authenticationData: Buffer.from('secret-proof') },
    });
    expect(line).toMatch(/^CONNECT protocolVersion=5 clientId="c1" username="user" password=<redacted> properties=/);
    expect(line).toContain('"authenticationMethod":"SCRAM"');
    expect(line).not.toMatch(/hunter2|secret-proof/);
  });

  it('prints a payload as its length and keeps the flags only on PUBLISH', () => {
    expect(describePacket({ cmd: 'publish', topic: 'a', qos: 1, retain: false, dup: false, messageId: 7, payload: Buffer.from('hello'), length: 12 })).toBe(
      'PUBLISH topic="a" qos=1 retain=false dup=false messageId=7 payload=<5 bytes>',
    );
    expect(describePacket({ cmd: 'puback', messageId: 7, qos: 0, retain: false, dup: false, length: 2 })).toBe('PUBACK messageId=7');
  });
});

describe('describeState', () => {
  const cause = new Error('reset');
  const describe_ = (state: ConnectionState, reconnectsOnly: boolean) => describeState(state, 'h:1883', (error) => error.message, reconnectsOnly);
  const connack = { cmd: 'connack', sessionPresent: false } as never;

  it('reports every step with -d', () => {
    expect(describe_({ status: 'connecting', attempt: 1 }, false)).toBe('connecting to h:1883');
    expect(describe_({ status: 'connected', attempt: 1, sessionPresent: false, connack }, false)).toBe('connected to h:1883 (session present: false)');
    expect(describe_({ status: 'reconnecting', attempt: 1, delayMs: 1000, cause }, false)).toBe('connection lost (reset); reconnecting in 1 s');
    expect(describe_({ status: 'offline', cause }, false)).toBe('offline (reset)');
  });

  it('reports only drops and reconnections for -v on a terminal', () => {
    expect(describe_({ status: 'connecting', attempt: 2 }, true)).toBeUndefined();
    expect(describe_({ status: 'connected', attempt: 1, sessionPresent: false, connack }, true)).toBeUndefined();
    expect(describe_({ status: 'reconnecting', attempt: 1, delayMs: 1500, cause }, true)).toBe('connection lost (reset); reconnecting in 1.5 s');
    expect(describe_({ status: 'connected', attempt: 2, sessionPresent: true, connack }, true)).toBe('reconnected to h:1883 (session present: true)');
  });
});
