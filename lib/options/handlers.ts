/**
 * The types of the options that hand an inbound message or an AUTH challenge to user code and
 * wait for its answer (`handleMessage`, `customHandleAcks`, `handleAuth`), in MQTT.js's shapes.
 */
import type { IAuthPacket, IPublishPacket } from '../protocol/codec.js';

/** MQTT.js-compatible: `(packet, done)`; call done() when the message is handled (backpressure). */
export type HandleMessage = (packet: IPublishPacket, done: (error?: Error | null) => void) => void;

/**
 * MQTT 5: decide the reason code of the PUBACK/PUBREC for an inbound message. Answer
 * `done(null, code)` or, as MQTT.js apps do, `done(code)`; a code of 0x80 or above refuses the
 * message (it is not delivered). `done(error)`, or a code no PUBACK/PUBREC may carry (3.4.2.1),
 * is reported on 'error' and the message is refused with 0x80 (Unspecified error). Only the first
 * answer counts.
 */
export type CustomHandleAcks = (
  topic: string,
  message: Buffer,
  packet: IPublishPacket,
  done: (error: Error | number | null | undefined, reasonCode?: number) => void,
) => void;

/**
 * MQTT.js-compatible `handleAuth`: the broker sent AUTH 0x18 (Continue authentication) during
 * enhanced authentication. Answer `callback(null, { properties: { authenticationData } })` to
 * continue (the Authentication Method is always the CONNECT's), or `callback(error)` to give up.
 * `connectTimeout` covers the whole exchange before CONNACK, so a slow handler fails the attempt.
 *
 * @example
 * handleAuth: (packet, callback) =>
 *   scram.respond(packet.properties?.authenticationData).then(
 *     (data) => callback(null, { properties: { authenticationData: data } }),
 *     (error) => callback(error),
 *   )
 */
export type HandleAuth = (packet: IAuthPacket, callback: (error?: Error | null, packet?: AuthAnswer) => void) => void;

/**
 * What `handleAuth` answers with: an AUTH packet, as in MQTT.js. Only its properties count: the
 * reason code is always 0x18 [MQTT-4.12.0-3] and the method the CONNECT's [MQTT-4.12.0-5].
 */
export type AuthAnswer = Partial<IAuthPacket>;
