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
  /** The topic it was published to; the full one even when the PUBLISH named it by Topic Alias alone. */
  topic: string;
  /** The payload bytes, as received. */
  payload: Buffer;
  /** The QoS it was delivered with. */
  qos: QoS;
  /** The PUBLISH's RETAIN flag: set on a retained message the broker sends because of a new subscription (and, with Retain As Published, as published). */
  retain: boolean;
  /** The PUBLISH's DUP flag: the broker may have sent it before. */
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
