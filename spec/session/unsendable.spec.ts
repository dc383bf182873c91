/**
 * The session's side of packets that never crossed the wire boundary: `unsendable` (a packet of
 * ours the codec refused, or over the broker's Maximum Packet Size) and `malformed` (bytes from the
 * broker that do not decode). The shell only reports them; these tables say what they mean.
 */
import { MqttError, PacketTooLargeError, ProtocolError } from '../../lib/errors.js';
import type { Packet } from '../../lib/protocol/codec.js';
import { MqttSession } from '../../lib/session/session.js';
import type { SessionOutput } from '../../lib/session/types.js';
import { connectedSession, options, publishCommand, settles, subscribeCommand, trace } from './harness.js';

const tooLarge = new PacketTooLargeError(2000, 1000);

function sendOf(outputs: SessionOutput[]): Extract<SessionOutput, { type: 'send' }> {
  const send = outputs.find((o): o is Extract<SessionOutput, { type: 'send' }> => o.type === 'send');
  if (!send) throw new Error(`no send in ${trace(outputs).join(', ')}`);
  return send;
}

describe('MqttSession unsendable packets', () => {
  it('fails a QoS 0 publish with the reason, through the token its send carried', () => {
    const session = connectedSession();
    const send = sendOf(session.step(publishCommand(7, 0, 'big')));
    expect(send.token).toBe(7);
    const out = session.step({ type: 'unsendable', packet: send.packet, error: tooLarge, token: send.token });
    expect(settles(out)).toEqual([{ type: 'settle', token: 7, error: tooLarge }]);
  });

  it('fails a QoS 1 publish, frees its packet id and sends the next command waiting for one', () => {
    const session = connectedSession();
    const send = sendOf(session.step(publishCommand(1, 1, 'big')));
    expect(session.inflightCount).toBe(1);
    const out = session.step({ type: 'unsendable', packet: send.packet, error: tooLarge });
    expect(settles(out)).toEqual([{ type: 'settle', token: 1, error: tooLarge, result: { type: 'publish', messageId: send.packet.messageId } }]);
    expect(session.inflightCount).toBe(0);
  });

  it('fails a SUBSCRIBE the codec refused instead of leaving it waiting for a SUBACK', () => {
    const session = connectedSession();
    const send = sendOf(session.step(subscribeCommand(3, 'a/#')));
    const refused = new MqttError('ERR_INVALID_ARGUMENT', 'the codec refused it');
    const out = session.step({ type: 'unsendable', packet: send.packet, error: refused });
    expect(settles(out)).toEqual([{ type: 'settle', token: 3, error: refused }]);
    expect(session.inflightCount).toBe(0);
  });

  it('ends the attempt when the CONNECT itself cannot be sent', () => {
    const session = new MqttSession(options());
    const connect = sendOf(session.step({ type: 'open' }));
    expect(connect.packet.cmd).toBe('connect');
    expect(session.step({ type: 'unsendable', packet: connect.packet, error: tooLarge })).toEqual([{ type: 'failed', error: tooLarge }]);
  });

  it('reports an acknowledgement nobody waits on as an error of its own', () => {
    const session = connectedSession();
    const puback: Packet = { cmd: 'puback', messageId: 4 };
    expect(session.step({ type: 'unsendable', packet: puback, error: tooLarge })).toEqual([{ type: 'error', error: tooLarge }]);
  });

  it('leaves an outgoing publish in flight when an unsendable PUBACK carries the same packet id (another table)', () => {
    const session = connectedSession();
    const send = sendOf(session.step(publishCommand(1, 1, 'mine')));
    const puback: Packet = { cmd: 'puback', messageId: send.packet.messageId };
    expect(session.step({ type: 'unsendable', packet: puback, error: tooLarge })).toEqual([{ type: 'error', error: tooLarge }]);
    expect(session.inflightCount).toBe(1);
  });

  it('forgets the Topic Alias a too-large PUBLISH would have registered (the broker never learnt it)', () => {
    const session = connectedSession({ protocolVersion: 5, autoAssignTopicAlias: true }, { cmd: 'connack', sessionPresent: false, reasonCode: 0, properties: { topicAliasMaximum: 2 } });
    const first = sendOf(session.step(publishCommand(1, 0, 'a/b')));
    expect(first.packet).toMatchObject({ topic: 'a/b', properties: { topicAlias: 1 } });
    session.step({ type: 'unsendable', packet: first.packet, error: tooLarge, token: first.token });
    // Not '' + alias 1: the broker would not know it. The topic registers alias 1 again instead.
    expect(sendOf(session.step(publishCommand(2, 0, 'a/b'))).packet).toMatchObject({ topic: 'a/b', properties: { topicAlias: 1 } });
  });
});

describe('MqttSession malformed input', () => {
  const undecodable = (reasonCode?: number) => new ProtocolError('bad bytes', { reasonCode });

  it.each([
    ['Malformed Packet (0x81)', 0x81],
    ['Packet too large (0x95)', 0x95],
  ])('on MQTT 5 answers with DISCONNECT carrying the decoder reason code, %s, then ends the connection', (_name, reasonCode) => {
    const session = connectedSession({ protocolVersion: 5 });
    const error = undecodable(reasonCode);
    expect(session.step({ type: 'malformed', error })).toEqual([
      { type: 'send', packet: { cmd: 'disconnect', reasonCode } },
      { type: 'failed', error },
    ]);
  });

  it('says 0x81 when the decoder gave no reason code', () => {
    const session = connectedSession({ protocolVersion: 5 });
    expect(sendOf(session.step({ type: 'malformed', error: new MqttError('ERR_PROTOCOL', 'bad bytes') })).packet).toEqual({ cmd: 'disconnect', reasonCode: 0x81 });
  });

  it('on MQTT 3.1.1 just ends the connection: there is no reason code to send', () => {
    const session = connectedSession();
    const error = undecodable(0x81);
    expect(session.step({ type: 'malformed', error })).toEqual([{ type: 'failed', error }]);
  });

  it('sends nothing once the connection is already lost', () => {
    const session = connectedSession({ protocolVersion: 5 });
    session.step({ type: 'closed' });
    const error = undecodable(0x81);
    expect(session.step({ type: 'malformed', error })).toEqual([{ type: 'failed', error }]);
  });
});
