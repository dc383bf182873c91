import type { IPublishPacket, Packet } from '../../lib/protocol/codec.js';
import type { MqttSession } from '../../lib/session/session.js';
import type { ProtocolAnomaly, SessionOutput } from '../../lib/session/types.js';
import { fingerprint, RECENT_COMPLETIONS, RecentCompletions } from '../../lib/session/qos2-content.js';
import { connectedSession, inboundPublish, receive, reconnect, sent, trace } from './harness.js';

/** An inbound QoS 2 PUBLISH with packet id `messageId` carrying `payload`. */
function qos2(messageId: number, payload: string, extra: Partial<IPublishPacket> = {}): IPublishPacket {
  return inboundPublish(messageId, 2, 'in', { payload: Buffer.from(payload), ...extra });
}

/** Feeds a broker packet and acknowledges each delivery at once: what was delivered, sent and reported. */
function feed(session: MqttSession, packet: Packet): { delivered: string[]; sent: Packet[]; anomalies: ProtocolAnomaly[]; outputs: SessionOutput[] } {
  const outputs = receive(session, packet);
  const acks = outputs.flatMap((o) => (o.type === 'deliver' && o.ackId !== undefined ? session.step({ type: 'acknowledge', ackId: o.ackId }) : []));
  const all = [...outputs, ...acks];
  return {
    delivered: all.flatMap((o) => (o.type === 'deliver' ? [o.packet.payload.toString()] : [])),
    sent: sent(all),
    anomalies: all.flatMap((o) => (o.type === 'protocolAnomaly' ? [o] : [])),
    outputs: all,
  };
}

/** A completes: PUBLISH, PUBREC, PUBREL, PUBCOMP. */
function complete(session: MqttSession, messageId: number, payload: string): void {
  expect(feed(session, qos2(messageId, payload)).delivered).toEqual([payload]);
  expect(sent(receive(session, { cmd: 'pubrel', messageId }))).toEqual([{ cmd: 'pubcomp', messageId }]);
}

describe('MqttSession inbound QoS 2 when the broker reuses a pending packet id', () => {
  it('delivers a different message that reuses a held id with DUP=0, answers PUBREC and reports packetIdReused', () => {
    const session = connectedSession();
    expect(feed(session, qos2(7, 'A')).delivered).toEqual(['A']);
    const b = feed(session, qos2(7, 'B'));
    expect(b.delivered).toEqual(['B']);
    expect(b.sent).toEqual([{ cmd: 'pubrec', messageId: 7 }]);
    expect(b.anomalies).toEqual([{ type: 'protocolAnomaly', kind: 'packetIdReused', messageId: 7, topic: 'in' }]);
  });

  it('tells a reused id by its topic as well as its payload', () => {
    const session = connectedSession();
    feed(session, qos2(7, 'same'));
    expect(feed(session, qos2(7, 'same', { topic: 'other' })).delivered).toEqual(['same']);
  });

  it('tells a reused id by a payload of the same length', () => {
    const session = connectedSession();
    feed(session, qos2(7, 'abc'));
    expect(feed(session, qos2(7, 'abd')).delivered).toEqual(['abd']);
  });

  it('delivers neither message twice when the broker then completes the id and replays the first with DUP=1', () => {
    const session = connectedSession();
    feed(session, qos2(7, 'A'));
    feed(session, qos2(7, 'B'));
    expect(sent(receive(session, { cmd: 'pubrel', messageId: 7 }))).toEqual([{ cmd: 'pubcomp', messageId: 7 }]);
    const replayA = feed(session, qos2(7, 'A', { dup: true }));
    expect(replayA.delivered).toEqual([]);
    expect(replayA.sent).toEqual([{ cmd: 'pubrec', messageId: 7 }]);
    expect(replayA.anomalies).toEqual([{ type: 'protocolAnomaly', kind: 'staleReplay', messageId: 7, topic: 'in' }]);
    expect(feed(session, qos2(7, 'B', { dup: true })).delivered).toEqual([]);
    // The replay's own PUBREL completes like any unknown id.
    expect(sent(receive(session, { cmd: 'pubrel', messageId: 7 }))).toEqual([{ cmd: 'pubcomp', messageId: 7 }]);
  });

  it('does not deliver a replay of the superseded message while the reusing one still waits for PUBREL', () => {
    const session = connectedSession();
    feed(session, qos2(7, 'A'));
    feed(session, qos2(7, 'B'));
    const replayA = feed(session, qos2(7, 'A', { dup: true }));
    expect(replayA.delivered).toEqual([]);
    expect(replayA.sent).toEqual([{ cmd: 'pubrec', messageId: 7 }]);
    expect(replayA.anomalies.map((a) => a.kind)).toEqual(['staleReplay']);
    // B still holds the id: its conforming re-delivery is answered and not delivered again.
    expect(feed(session, qos2(7, 'B', { dup: true })).delivered).toEqual([]);
  });

  it('holds the PUBREC of a stale replay behind an earlier delivery not yet acknowledged [MQTT-4.6.0-3]', () => {
    const session = connectedSession();
    complete(session, 7, 'A');
    const pending = receive(session, qos2(8, 'C'));
    expect(trace(receive(session, qos2(7, 'A', { dup: true })))).toEqual(['protocolAnomaly']);
    const ackId = (pending[0] as Extract<SessionOutput, { type: 'deliver' }>).ackId as number;
    expect(sent(session.step({ type: 'acknowledge', ackId }))).toEqual([
      { cmd: 'pubrec', messageId: 8 },
      { cmd: 'pubrec', messageId: 7 },
    ]);
  });
});

describe('MqttSession inbound QoS 2 with a conforming broker', () => {
  it('answers a re-delivery (same content, DUP=1) before PUBREL with PUBREC and delivers it once, reporting nothing', () => {
    const session = connectedSession();
    feed(session, qos2(7, 'A'));
    const again = feed(session, qos2(7, 'A', { dup: true }));
    expect(again.outputs).toEqual([{ type: 'send', packet: { cmd: 'pubrec', messageId: 7 } }]);
  });

  it('takes the same content under a held id with DUP=0 for a re-delivery too (a broker that forgets DUP)', () => {
    const session = connectedSession();
    feed(session, qos2(7, 'A'));
    expect(feed(session, qos2(7, 'A')).outputs).toEqual([{ type: 'send', packet: { cmd: 'pubrec', messageId: 7 } }]);
  });

  it('delivers the same content again under a completed id when it comes with DUP=0 (a new message)', () => {
    const session = connectedSession();
    complete(session, 7, 'A');
    const again = feed(session, qos2(7, 'A'));
    expect(again.delivered).toEqual(['A']);
    expect(again.anomalies).toEqual([]);
  });

  it('delivers a DUP=1 PUBLISH whose first sending it never saw, when its id completed with other content', () => {
    const session = connectedSession();
    complete(session, 7, 'A');
    expect(feed(session, qos2(7, 'B', { dup: true })).delivered).toEqual(['B']);
  });

  it('forgets completed exchanges when the broker has no session any more', () => {
    const session = connectedSession({ clean: false });
    complete(session, 7, 'A');
    reconnect(session, false);
    expect(feed(session, qos2(7, 'A', { dup: true })).delivered).toEqual(['A']);
  });

  it('remembers completed exchanges across a reconnect with the session present', () => {
    const session = connectedSession({ clean: false });
    complete(session, 7, 'A');
    reconnect(session, true);
    expect(feed(session, qos2(7, 'A', { dup: true })).delivered).toEqual([]);
  });

  it('treats a re-sent id as new again after a failed PUBREC [MQTT-4.3.3-9], without calling it a replay', () => {
    const session = connectedSession({ protocolVersion: 5 });
    const first = receive(session, qos2(7, 'A'));
    const ackId = (first[0] as Extract<SessionOutput, { type: 'deliver' }>).ackId as number;
    expect(sent(session.step({ type: 'acknowledge', ackId, reasonCode: 0x80 }))).toEqual([{ cmd: 'pubrec', messageId: 7, reasonCode: 0x80 }]);
    const again = feed(session, qos2(7, 'A', { dup: true }));
    expect(again.delivered).toEqual(['A']);
    expect(again.anomalies).toEqual([]);
  });
});

describe('RecentCompletions', () => {
  it(`remembers the last ${RECENT_COMPLETIONS} completions and forgets older ones`, () => {
    const recent = new RecentCompletions();
    const oldest = qos2(1, 'first', { dup: true });
    recent.remember(1, fingerprint(oldest));
    for (let id = 2; id <= RECENT_COMPLETIONS; id++) recent.remember(id, fingerprint(qos2(id, 'x')));
    expect(recent.isReplay(oldest)).toBe(true);
    recent.remember(RECENT_COMPLETIONS + 1, fingerprint(qos2(RECENT_COMPLETIONS + 1, 'x')));
    expect(recent.isReplay(oldest)).toBe(false);
  });

  it('fingerprints the same bytes alike wherever they sit in memory (aligned or not)', () => {
    const bytes = Buffer.from('{"temperature":21.5,"seq":1}!');
    const hashes = [0, 1, 2, 3].map((offset) => {
      const backing = Buffer.alloc(bytes.length + 8);
      bytes.copy(backing, offset);
      return fingerprint({ ...qos2(1, ''), payload: backing.subarray(offset, offset + bytes.length) }).hash;
    });
    expect(new Set(hashes).size).toBe(1);
  });

  it('fingerprints payloads that differ in one byte differently, whatever the byte', () => {
    const base = Buffer.alloc(37, 0x41);
    const hashes = new Set([fingerprint({ ...qos2(1, ''), payload: base }).hash]);
    for (let i = 0; i < base.length; i++) {
      const changed = Buffer.from(base);
      changed[i] = 0x42;
      hashes.add(fingerprint({ ...qos2(1, ''), payload: changed }).hash);
    }
    expect(hashes.size).toBe(base.length + 1);
  });
});
