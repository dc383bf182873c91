/** The canonical outgoing PUBLISH of a command: what is sent, kept in flight and stored. */
import type { IPublishPacket } from '../protocol/codec.js';
import { withoutAlias } from './outbound-aliases.js';
import type { SessionState } from './state.js';
import type { PublishCommand } from './types.js';

/**
 * The full topic and no Topic Alias: an alias is valid on one connection only [MQTT-3.3.2-7], and
 * this packet may be re-sent on another one (see `outbound-aliases.ts`).
 */
export function publishPacket(state: SessionState, command: PublishCommand, topic: string, messageId: number | undefined): IPublishPacket {
  const packet: IPublishPacket = {
    cmd: 'publish',
    topic,
    payload: command.payload,
    qos: command.qos,
    retain: command.retain,
    dup: command.dup,
  };
  if (messageId !== undefined) packet.messageId = messageId;
  const properties = state.version === 5 ? withoutAlias(command.properties) : undefined;
  if (properties !== undefined) packet.properties = properties;
  return packet;
}
