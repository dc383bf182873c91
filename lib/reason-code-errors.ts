/**
 * The errors that carry a broker's reason code: each is an `ErrorWithReasonCode` whose `code` is
 * that number, as MQTT.js reports the same refusals (`err.code === 5` for a 3.1.1 CONNACK refusing
 * a login, `135` for an MQTT 5 PUBACK "Not authorized"). Their messages are MQTT.js's word for word
 * ("Connection refused: Not authorized", "Publish error: Quota exceeded"), since apps compare them;
 * the details (the code, the topic, the broker's Reason String) are properties.
 */
import { ErrorWithReasonCode } from './error-base.js';
import type { MqttErrorKind } from './error-codes.js';
import type { IPubackPacket, IPubcompPacket, IPubrecPacket, ISubackPacket } from './protocol/codec.js';
import { connackReason } from './protocol/reason-codes.js';

/** The broker refused the connection (CONNACK return/reason code != 0); `code` is that code. */
export class ConnackError extends ErrorWithReasonCode {
  override name = 'ConnackError';
  constructor(reasonCode: number, reasonString?: string) {
    super(`Connection refused: ${connackReason(reasonCode)}`, reasonCode, { kind: 'ERR_CONNACK', reasonString });
  }
}

/** The first failure code of a SUBACK: 0x80 (Unspecified error) when it holds none. */
function firstRefusal(packet: ISubackPacket): number {
  const refused = packet.granted.find((code) => typeof code === 'number' && code >= 0x80);
  return typeof refused === 'number' ? refused : 0x80;
}

/**
 * MQTT.js's error for a SUBSCRIBE that failed, carrying the SUBACK (`err.packet`). rxmqtt's
 * SubackError is one; `code` is the SUBACK's first failure code.
 */
export class ErrorWithSubackPacket extends ErrorWithReasonCode {
  override name = 'ErrorWithSubackPacket';
  /** The SUBACK that refused the subscription. */
  readonly packet: ISubackPacket;
  constructor(message: string, packet: ISubackPacket, options: { kind?: MqttErrorKind; reasonCode?: number } = {}) {
    const { kind = 'ERR_SUBACK', reasonCode = firstRefusal(packet) } = options;
    super(message, reasonCode, { kind, reasonString: packet.properties?.reasonString });
    this.packet = packet;
  }
}

/**
 * The broker refused one filter of a SUBSCRIBE (SUBACK code >= 0x80); `code` is that code and
 * `packet` the SUBACK.
 */
export class SubackError extends ErrorWithSubackPacket {
  override name = 'SubackError';
  /** The filter the broker refused. */
  readonly topic: string;
  /**
   * @param packet The SUBACK; without it, one holding `reasonCode` (and `reasonString`) alone.
   */
  constructor(topic: string, reasonCode: number, reasonString?: string, packet?: ISubackPacket) {
    const suback: ISubackPacket = packet ?? { cmd: 'suback', granted: [reasonCode], ...(reasonString === undefined ? {} : { properties: { reasonString } }) };
    super(`Subscribe error: ${connackReason(reasonCode)}`, suback, { kind: 'ERR_SUBACK', reasonCode });
    this.topic = topic;
  }
}

/** The broker answered an UNSUBSCRIBE with a failure reason code (MQTT 5); `code` is that code. */
export class UnsubackError extends ErrorWithReasonCode {
  override name = 'UnsubackError';
  /** The filter whose UNSUBSCRIBE failed. */
  readonly topic: string;
  constructor(topic: string, reasonCode: number, reasonString?: string) {
    super(`Unsubscribe from "${topic}" failed (code ${reasonCode})`, reasonCode, { kind: 'ERR_UNSUBACK', reasonString });
    this.topic = topic;
  }
}

/** The acknowledgement that refused a publish: a PUBACK (QoS 1), or a PUBREC or PUBCOMP (QoS 2). */
export type PublishAck = IPubackPacket | IPubrecPacket | IPubcompPacket;

/**
 * The broker answered a QoS 1/2 PUBLISH with a failure reason code (MQTT 5 PUBACK/PUBREC/PUBCOMP
 * >= 0x80); `code` is that code and `packet` that acknowledgement, which MQTT.js passes to the
 * publish callback beside the error (`callback(err, packet)`).
 */
export class PublishError extends ErrorWithReasonCode {
  override name = 'PublishError';
  /** The PUBACK, PUBREC or PUBCOMP that carried the failure code (absent when built without one). */
  readonly packet?: PublishAck;
  constructor(reasonCode: number, reasonString?: string, packet?: PublishAck) {
    super(`Publish error: ${connackReason(reasonCode)}`, reasonCode, { kind: 'ERR_PUBLISH', reasonString });
    if (packet !== undefined) this.packet = packet;
  }
}

/** The broker sent DISCONNECT (MQTT 5); `code` is its reason code. */
export class ServerDisconnectError extends ErrorWithReasonCode {
  override name = 'ServerDisconnectError';
  constructor(reasonCode: number, reasonString?: string) {
    super(`Disconnected by the broker (code ${reasonCode})`, reasonCode, { kind: 'ERR_SERVER_DISCONNECT', reasonString });
  }
}
