import type { IConnectPacket } from '../../lib/protocol/codec.js';
import { MqttSession } from '../../lib/session/session.js';
import { connack, options, receive, sent } from './harness.js';

function connectOf(session: MqttSession): IConnectPacket {
  return sent(session.step({ type: 'open' }))[0] as IConnectPacket;
}

describe('MqttSession configure', () => {
  it('sends the new credentials in the next CONNECT', () => {
    const session = new MqttSession(options({ username: 'alice', password: 'old-token' }));
    expect(session.step({ type: 'configure', password: 'new-token' })).toEqual([]);
    const connect = connectOf(session);
    expect(connect.username).toBe('alice');
    expect(connect.password).toEqual(Buffer.from('new-token'));
  });

  it('keeps a field that is left undefined and replaces one that is given', () => {
    const session = new MqttSession(options({ username: 'alice', password: 'pw' }));
    session.step({ type: 'configure', username: 'bob' });
    const connect = connectOf(session);
    expect([connect.username, connect.password?.toString()]).toEqual(['bob', 'pw']);
  });

  it('does not touch the connection in progress, nor the options object it was given', () => {
    const given = options({ password: 'first' });
    const session = new MqttSession(given);
    connectOf(session);
    receive(session, connack());
    expect(session.step({ type: 'configure', password: Buffer.from('second') })).toEqual([]);
    expect(session.status).toBe('connected');
    expect(given.password).toBe('first');
    session.step({ type: 'closed' });
    expect(connectOf(session).password).toEqual(Buffer.from('second'));
  });
});
