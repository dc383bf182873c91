/** What the output formats of `rxmqtt sub` read from a received message. */
import type { MqttMessage } from '../lib/index.js';

/**
 * The parts of a message that are printed. `packet.messageId` is the packet identifier of a QoS 1
 * or 2 message (mosquitto's `%m` and `mid`); a received MqttMessage is one as it is.
 */
export type PrintableMessage = Pick<MqttMessage, 'topic' | 'payload' | 'qos' | 'retain' | 'properties'> & {
  packet?: { messageId?: number | undefined };
};
