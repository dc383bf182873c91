/**
 * What the CONNECT announces from the connect options, and the inbound limits that follow from it:
 * pure functions of a few option fields (no IO, no clock), so the session layer owns the MQTT 5
 * rules behind them and the connection only asks.
 */
import type { IAuthPacket, IConnectPacket } from '../protocol/codec.js';

/**
 * The MQTT 5 CONNECT properties (3.1.2.11), the `properties` connect option, as mqtt-packet and
 * MQTT.js name them: `sessionExpiryInterval` (seconds), `receiveMaximum`, `maximumPacketSize`,
 * `topicAliasMaximum`, `requestResponseInformation`, `authenticationMethod`... On MQTT 5 the
 * client adds a `maximumPacketSize` (its `maximumIncomingPacketSize`) when none is given, and a
 * `receiveMaximum` from `maxUnackedMessages` when that option is set and this one is not.
 * Not sent before MQTT 5.
 */
export type ConnectProperties = NonNullable<IConnectPacket['properties']>;

/** The connect options the CONNECT properties derive from (a resolved `ClientOptions` has them all). */
export interface ConnectPropertiesOptions {
  protocolVersion: 3 | 4 | 5;
  properties?: ConnectProperties;
  authPacket?: Partial<IAuthPacket>;
  maxUnackedMessages?: number;
  maximumIncomingPacketSize: number;
}

/**
 * The CONNECT properties to send. On MQTT 5 the inbound limit is always announced as Maximum
 * Packet Size, so that the broker drops a message too large for us instead of sending it
 * [MQTT-3.1.2-25]: otherwise a too-large QoS 1/2 message would be re-sent after every reconnect.
 * A `maxUnackedMessages` the user set becomes the Receive Maximum (3.1.2.11.3) unless
 * `properties.receiveMaximum` says otherwise: the broker then throttles itself to the consumer.
 */
export function connectProperties(options: ConnectPropertiesOptions): ConnectProperties | undefined {
  if (options.protocolVersion !== 5) return options.properties;
  const properties = withAuthPacket(options.properties, options.authPacket);
  const unacked = options.maxUnackedMessages;
  const receiveMaximum = properties?.receiveMaximum === undefined && unacked !== undefined ? Math.min(unacked, 65535) : undefined;
  if (properties?.maximumPacketSize !== undefined && receiveMaximum === undefined) return properties;
  const announced: ConnectProperties = { ...properties };
  if (announced.maximumPacketSize === undefined) announced.maximumPacketSize = options.maximumIncomingPacketSize;
  if (receiveMaximum !== undefined) announced.receiveMaximum = receiveMaximum;
  return announced;
}

/**
 * The Receive Maximum a broker is held to (0x93 when exceeded): the user's
 * `properties.receiveMaximum`. One announced on behalf of `maxUnackedMessages` is a request, not
 * a limit the connection dies for: mosquitto 2.0.11 honours it for the first window only and then
 * sends ahead up to its own `max_inflight_messages` (measured in spec/interop/manual-ack.spec.ts).
 * Pausing the socket bounds what such a broker can push on us anyway.
 */
export function enforcedReceiveMaximum(options: Pick<ConnectPropertiesOptions, 'properties'>): number {
  return options.properties?.receiveMaximum ?? 65535;
}

/**
 * The largest packet the client accepts from the broker: on MQTT 5 the Maximum Packet Size it
 * announced in CONNECT (the broker must respect it [MQTT-3.1.2-24]), else `maximumIncomingPacketSize`.
 */
export function incomingPacketLimit(options: Pick<ConnectPropertiesOptions, 'protocolVersion' | 'properties' | 'maximumIncomingPacketSize'>): number {
  const announced = options.protocolVersion === 5 ? options.properties?.maximumPacketSize : undefined;
  return announced ?? options.maximumIncomingPacketSize;
}

/**
 * `authPacket`'s method and data go into the CONNECT, whose Authentication Method starts enhanced
 * authentication (3.1.2.11.9), unless `properties` names a method itself (it wins, data included).
 */
function withAuthPacket(properties: ConnectProperties | undefined, authPacket: Partial<IAuthPacket> | undefined): ConnectProperties | undefined {
  const method = authPacket?.properties?.authenticationMethod;
  if (method === undefined || properties?.authenticationMethod !== undefined) return properties;
  const merged: ConnectProperties = { ...properties, authenticationMethod: method };
  const data = authPacket?.properties?.authenticationData;
  if (data !== undefined) merged.authenticationData = data;
  return merged;
}
