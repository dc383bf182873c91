/** Small builders shared by the session specs: options, commands, broker packets, output filters. */
import type { IConnackPacket, IPublishPacket, Packet, QoS } from '../../lib/protocol/codec.js';
import { MqttSession } from '../../lib/session/session.js';
import type { PublishCommand, SessionOptions, SessionOutput, SubscribeCommand } from '../../lib/session/types.js';

export function options(overrides: Partial<SessionOptions> = {}): SessionOptions {
  return {
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId: 'client-1',
    clean: true,
    keepalive: 60,
    resubscribe: true,
    queueQoSZero: true,
    ...overrides,
  };
}

export function connack(sessionPresent = false, extra: Partial<IConnackPacket> = {}): IConnackPacket {
  return { cmd: 'connack', sessionPresent, returnCode: 0, reasonCode: 0, ...extra };
}

/** A session that has sent CONNECT and received a successful CONNACK. */
export function connectedSession(overrides: Partial<SessionOptions> = {}, ack: IConnackPacket = connack()): MqttSession {
  const session = new MqttSession(options(overrides));
  session.step({ type: 'open' });
  session.step({ type: 'packet', packet: ack });
  return session;
}

/** Feeds a broker packet. */
export function receive(session: MqttSession, packet: Packet): SessionOutput[] {
  return session.step({ type: 'packet', packet });
}

/** Transport drops, reopens, and the broker answers CONNACK. Returns the outputs of the CONNACK. */
export function reconnect(session: MqttSession, sessionPresent: boolean, extra: Partial<IConnackPacket> = {}): SessionOutput[] {
  session.step({ type: 'closed' });
  session.step({ type: 'open' });
  return receive(session, connack(sessionPresent, extra));
}

export function publishCommand(token: number, qos: QoS, topic = 't', extra: Partial<PublishCommand> = {}): PublishCommand {
  return { type: 'publish', token, topic, payload: `m${token}`, qos, retain: false, dup: false, ...extra };
}

export function subscribeCommand(token: number, ...topics: string[]): SubscribeCommand {
  return { type: 'subscribe', token, subscriptions: topics.map((topic) => ({ topic, qos: 1 as QoS })) };
}

export function inboundPublish(messageId: number, qos: QoS, topic = 'in', extra: Partial<IPublishPacket> = {}): IPublishPacket {
  const packet: IPublishPacket = { cmd: 'publish', topic, payload: Buffer.from('x'), qos, retain: false, dup: false, ...extra };
  if (qos > 0) packet.messageId = messageId;
  return packet;
}

/** The packets of the `send` outputs, in order. */
export function sent(outputs: SessionOutput[]): Packet[] {
  return outputs.flatMap((o) => (o.type === 'send' ? [o.packet] : []));
}

/** A compact trace of outputs: `send:publish#3`, `settle:7`, `settle:7!ERR_PUBLISH`, `deliver`... */
export function trace(outputs: SessionOutput[]): string[] {
  return outputs.map((o) => {
    switch (o.type) {
      case 'send':
        return `send:${o.packet.cmd}${o.packet.messageId === undefined ? '' : `#${o.packet.messageId}`}`;
      case 'settle':
        return `settle:${o.token}${o.error ? `!${o.error.kind}` : ''}`;
      default:
        return o.type;
    }
  });
}

/** The `settle` outputs, in order. */
export function settles(outputs: SessionOutput[]): Extract<SessionOutput, { type: 'settle' }>[] {
  return outputs.flatMap((o) => (o.type === 'settle' ? [o] : []));
}
