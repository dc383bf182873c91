// MQTT 5 Message Expiry Interval of publishes that wait in the pending queue: the lifetime counts
// from the publish call; expired ones are not sent, the others go out with what is left.
import type { IPublishPacket } from '../../lib/protocol/codec.js';
import { MessageExpiredError } from '../../lib/errors.js';
import { MqttSession } from '../../lib/session/session.js';
import { connack, options, publishCommand, sent, settles } from './harness.js';

const expiring = (token: number, messageExpiryInterval: number, qos: 0 | 1 = 1) =>
  publishCommand(token, qos, `t/${token}`, { properties: { messageExpiryInterval } });

/** A v5 session, offline, whose clock reads `now`. */
function offline(version: 4 | 5 = 5) {
  const session = new MqttSession(options({ protocolVersion: version }));
  return {
    session,
    at: (now: number, input: Parameters<MqttSession['step']>[0]) => session.step(input, now),
    connectAt: (now: number) => {
      session.step({ type: 'open' }, now);
      return session.step({ type: 'packet', packet: connack(false) }, now);
    },
  };
}

describe('MqttSession message expiry of queued publishes (MQTT 5)', () => {
  it('does not send a publish that waited its whole lifetime, and fails it with MessageExpiredError', () => {
    const s = offline();
    s.at(0, expiring(1, 5));
    const out = s.connectAt(5_000);
    expect(sent(out).filter((p) => p.cmd === 'publish')).toEqual([]);
    const [settle] = settles(out);
    expect(settle.token).toBe(1);
    expect(settle.error).toBeInstanceOf(MessageExpiredError);
    expect(settle.error).toMatchObject({ code: 'ERR_MESSAGE_EXPIRED', topic: 't/1' });
    expect(s.session.pendingCount).toBe(0);
  });

  it('sends one that waited less, with the whole seconds it waited taken off its interval', () => {
    const s = offline();
    s.at(1_000, expiring(1, 60));
    const [publish] = sent(s.connectAt(11_999)).filter((p) => p.cmd === 'publish') as IPublishPacket[];
    expect(publish.properties).toEqual({ messageExpiryInterval: 50 });
  });

  it('keeps the order of the survivors and leaves publishes without a lifetime alone', () => {
    const s = offline();
    s.at(0, expiring(1, 1));
    s.at(0, publishCommand(2, 1, 't/2'));
    s.at(0, expiring(3, 100));
    s.at(0, expiring(4, 2, 0));
    const out = s.connectAt(3_000);
    expect(sent(out).flatMap((p) => (p.cmd === 'publish' ? [p.topic] : []))).toEqual(['t/2', 't/3']);
    expect(settles(out).flatMap((o) => (o.error ? [o.token] : []))).toEqual([1, 4]);
  });

  it('sends a publish issued while connected untouched', () => {
    const s = offline();
    s.connectAt(0);
    const [publish] = sent(s.at(10_000, expiring(1, 5))) as IPublishPacket[];
    expect(publish.properties).toEqual({ messageExpiryInterval: 5 });
  });

  it('ages a publish that waits for Receive Maximum on a live connection too', () => {
    const s = offline();
    s.session.step({ type: 'open' }, 0);
    s.session.step({ type: 'packet', packet: connack(false, { properties: { receiveMaximum: 1 } }) }, 0);
    s.at(0, publishCommand(1, 1, 'first'));
    s.at(0, expiring(2, 3));
    const out = s.at(4_000, { type: 'packet', packet: { cmd: 'puback', messageId: 1 } });
    expect(sent(out)).toEqual([]);
    expect(settles(out).map((o) => o.error?.code)).toEqual([undefined, 'ERR_MESSAGE_EXPIRED']);
  });

  it('re-sends an in-flight publish after a reconnect however long it took: the broker may have it', () => {
    const s = offline();
    s.connectAt(0);
    s.at(0, expiring(1, 1));
    s.session.step({ type: 'closed' }, 0);
    s.session.step({ type: 'open' }, 60_000);
    const out = s.session.step({ type: 'packet', packet: connack(false) }, 60_000);
    expect(sent(out).map((p) => p.cmd)).toEqual(['publish']);
  });

  it('expires nothing when the caller gives no time', () => {
    const session = new MqttSession(options({ protocolVersion: 5 }));
    session.step(expiring(1, 1));
    session.step({ type: 'open' });
    expect(sent(session.step({ type: 'packet', packet: connack(false) })).map((p) => p.cmd)).toEqual(['publish']);
  });

  it('ignores the property on MQTT 3.1.1, which has no expiry', () => {
    const s = offline(4);
    s.at(0, expiring(1, 1));
    expect(sent(s.connectAt(60_000)).map((p) => p.cmd)).toEqual(['publish']);
  });
});
