import type { IPublishPacket, QoS } from '../protocol/codec.js';
import type { PublishProperties } from '../session/types.js';

/**
 * An inbound application message, as `topic()` and `messages$` emit it. `MqttMessage<T>` is one
 * of a `topic(filter, { codec })` stream: its payload decoded by the codec into `value`.
 */
export type MqttMessage<T = void> = InboundMessage &
  ([T] extends [void]
    ? {
        /** Absent: the stream has no codec, the payload is in `payload` only. */
        value?: undefined;
      }
    : {
        /** The payload as the stream's codec decoded it (`payload` keeps the bytes). */
        value: T;
      });

/** The fields of every inbound message, whatever the stream's codec. */
export interface InboundMessage {
  /**
   * The full topic the message was published to, also when the PUBLISH named it by an MQTT 5
   * Topic Alias alone (then `packet.topic` is empty).
   */
  topic: string;
  /** The payload bytes (a Buffer even when the packet decoded to a string). */
  payload: Buffer;
  /** The QoS of the PUBLISH as the broker delivered it (at most the QoS the subscription was granted). */
  qos: QoS;
  /**
   * The RETAIN flag: true for a retained message sent because of a new subscription (and on
   * MQTT 5, with Retain As Published, for a message published with retain).
   */
  retain: boolean;
  /** The DUP flag: the broker may have sent this QoS 1/2 message before ([MQTT-3.3.1-1]). */
  dup: boolean;
  /** MQTT 5 properties (user properties, content type, correlation data...). */
  properties?: PublishProperties;
  /**
   * The PUBLISH packet as decoded (MQTT.js's third `message` argument): one that named its topic
   * by an MQTT 5 Topic Alias alone keeps its empty `topic` there, as in MQTT.js; `topic` above is
   * the full one.
   */
  packet: IPublishPacket;
  /** The named levels of a `topic('sensors/:id')` pattern, by name; only on such streams. */
  params?: Readonly<Record<string, string>>;
}

/**
 * Builds the message once per delivery; every stream that receives it shares the object.
 * `topic`: the full topic, when the packet's own is empty (Topic Alias).
 */
export function toMessage(packet: IPublishPacket, topic = packet.topic): MqttMessage {
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
  return {
    topic,
    payload,
    qos: packet.qos,
    retain: packet.retain,
    dup: packet.dup,
    properties: packet.properties,
    packet,
  };
}
