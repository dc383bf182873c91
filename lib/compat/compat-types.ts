/**
 * The type names MQTT.js v5 exports, for programs typed against `mqtt` that switch their import
 * to rxmqtt. Each is an rxmqtt type or a narrowing of one, never wider than what the facade
 * accepts or delivers at run time: where MQTT.js's typings promise more than its code does (a
 * `resubscribe` key in a subscription map), these say what rxmqtt does. Types only.
 */
import type { ClientOptions } from '../options/client-options.js';
import type { PublishOptions, SubscribeOptions } from '../options/validate.js';
import type { IConnackPacket, IDisconnectPacket, IPublishPacket, ISubackPacket, IUnsubscribePacket, Packet, QoS } from '../protocol/codec.js';
import type { QueueFullError } from '../errors.js';
import type { MqttClient } from './compat.js';

/** ClientOptions less `key`, its index signature kept (`Omit` would keep only the signature). */
type ClientOptionsWithout<Key extends string> = { [K in keyof ClientOptions as K extends Key ? never : K]: ClientOptions[K] };

/**
 * MQTT.js `IClientOptions`: rxmqtt's client options (a superset of MQTT.js's), with the client
 * that `transformWsUrl` gets typed as the `MqttClient` that `connect()` made.
 */
export interface IClientOptions extends ClientOptionsWithout<'transformWsUrl'> {
  /**
   * ws/wss, wx/wxs, ali/alis: rewrites the URL before each connection attempt, given the options
   * and the client (MQTT.js signature; rxmqtt also awaits a returned Promise). @default undefined
   */
  transformWsUrl?: (url: string, options: ClientOptions, client: MqttClient) => string | PromiseLike<string>;
}

/** MQTT.js `IClientPublishOptions`: `qos`, `retain`, `dup`, `properties`, `cbStorePut`. */
export type IClientPublishOptions = PublishOptions;

/** MQTT.js `IClientSubscribeProperties`: the SUBSCRIBE properties alone. */
export interface IClientSubscribeProperties {
  /** MQTT 5 SUBSCRIBE properties: a Subscription Identifier, User Properties. */
  properties?: SubscribeOptions['properties'];
}

/** MQTT.js `IClientSubscribeOptions`: the options of one subscription. */
export interface IClientSubscribeOptions extends IClientSubscribeProperties {
  /** The maximum QoS the broker may deliver with on this subscription. */
  qos: QoS;
  /** MQTT 5 No Local. */
  nl?: boolean;
  /** MQTT 5 Retain As Published. */
  rap?: boolean;
  /** MQTT 5 Retain Handling (0, 1, 2). */
  rh?: number;
}

/** MQTT.js `ISubscriptionRequest`: a subscription with its filter. */
export interface ISubscriptionRequest extends IClientSubscribeOptions {
  /** The topic filter. */
  topic: string;
}

/**
 * The failure codes a SUBACK gives a filter: 0x80 in MQTT 3.1.1 (3.9.3), one of the MQTT 5
 * SUBACK reason codes >= 0x80 otherwise (3.9.3, Table 3-8).
 */
export type SubackFailureCode = 0x80 | 0x83 | 0x87 | 0x8f | 0x91 | 0x97 | 0x9e | 0xa1 | 0xa2;

/**
 * One granted entry of a SUBACK, as the subscribe callback reports it: the filter's options with
 * the granted QoS, or its failure code. MQTT.js types the failure as 128 only; an MQTT 5 broker
 * may answer with any failure code of 3.9.3.
 */
export interface ISubscriptionGrant {
  /** The topic filter. */
  topic: string;
  /** The QoS the broker granted, or its failure code for this filter. */
  qos: QoS | SubackFailureCode;
  /** MQTT 5: the No Local option the filter went out with (MQTT.js reports it too). */
  nl?: boolean;
  /** MQTT 5: the Retain As Published option the filter went out with. */
  rap?: boolean;
  /** MQTT 5: the Retain Handling option the filter went out with. */
  rh?: number;
  /** MQTT 5: the SUBSCRIBE's properties, when it had some (MQTT.js reports them, its type does not say so). */
  properties?: SubscribeOptions['properties'];
}

/**
 * MQTT.js `ISubscriptionMap`: `{ filter: options }`, where rxmqtt (like MQTT.js at run time) also
 * takes a bare QoS as the options. MQTT.js's internal `resubscribe` key is left out: rxmqtt would
 * subscribe a filter named "resubscribe".
 */
export type ISubscriptionMap = Record<string, QoS | SubscribeOptions>;

/** The options `unsubscribe` takes: MQTT 5 UNSUBSCRIBE properties. */
export interface IClientUnsubscribeProperties {
  /** MQTT 5 UNSUBSCRIBE properties (User Properties). */
  properties?: IUnsubscribePacket['properties'];
}

/**
 * MQTT.js `IClientReconnectOptions`: the stores `reconnect()` swaps in. Other stores than the
 * client's are read before the CONNECT and their packets resent, as at the first start.
 */
export interface IClientReconnectOptions {
  /** The store of inbound QoS 2 messages to use from now on. */
  incomingStore?: ClientOptions['incomingStore'];
  /** The store of outbound QoS 1/2 messages to use from now on. */
  outgoingStore?: ClientOptions['outgoingStore'];
}

/** What `end()` and `endAsync()` take: the DISCONNECT's reason code and MQTT 5 properties. */
export type IClientEndOptions = Partial<Pick<IDisconnectPacket, 'reasonCode' | 'properties'>>;

/** MQTT.js's URL schemes (`protocol`), as names for code that types them. */
export type BaseMqttProtocol = 'wss' | 'ws' | 'mqtt' | 'mqtts' | 'tcp' | 'ssl' | 'wx' | 'wxs' | 'ali' | 'alis';
/** MQTT.js's Unix socket schemes (`mqtt+unix`...): the protocol over the socket at `path`. */
export type MqttProtocolWithUnix = `${BaseMqttProtocol}+unix`;
/** Every URL scheme MQTT.js names, with and without `+unix`. */
export type MqttProtocol = BaseMqttProtocol | MqttProtocolWithUnix;

/** `cbStorePut`: a QoS 1/2 publish is in the outgoing store. */
export type StorePutCallback = () => void;
/** MQTT.js's `Callback`: a bare notification. */
export type Callback = () => void;
/** MQTT.js's `CloseCallback`: called with the error of the close, if any. */
export type CloseCallback = (error?: Error) => void;
/** MQTT.js's `GenericCallback`: an error or a result. */
export type GenericCallback<T> = (error?: Error, result?: T) => void;

/** `(err)` callbacks: `end()`'s, and `handleMessage`'s `done`. */
export type DoneCallback = (error?: Error) => void;

/**
 * The callback of `publish`, `unsubscribe`, declared as MQTT.js 5 declares it, so callbacks typed
 * for MQTT.js (`(err?: Error) => ...`) compile unchanged. On success rxmqtt passes `null`, as
 * MQTT.js does at run time whatever its declaration says: test `if (err)`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- MQTT.js's declaration
export type PacketCallback = (error?: Error, packet?: Packet) => any;

/**
 * The callback of `subscribe`: the grants come with the error too when the broker refused a
 * filter; `packet` is the SUBACK (the last one, when `subscribeBatchSize` split the subscribe).
 */
export type ClientSubscribeCallback = (error: Error | null, granted?: ISubscriptionGrant[], packet?: ISubackPacket) => void;

/** A 'connect' listener: gets the broker's CONNACK. */
export type OnConnectCallback = (packet: IConnackPacket) => void;
/** A 'disconnect' listener: gets the DISCONNECT the broker sent (MQTT 5). */
export type OnDisconnectCallback = (packet: IDisconnectPacket) => void;
/** A 'message' listener: the topic, the payload and the PUBLISH packet. */
export type OnMessageCallback = (topic: string, payload: Buffer, packet: IPublishPacket) => void;
/** A 'packetsend' or 'packetreceive' listener. */
export type OnPacketCallback = (packet: Packet) => void;
/** A 'close' listener. */
export type OnCloseCallback = () => void;
/** An 'error' listener. */
export type OnErrorCallback = (error: Error) => void;
/** A listener of an event without arguments ('end', 'reconnect', 'offline', 'outgoingEmpty'). */
export type VoidCallback = () => void;

/** The facade's events and their listeners: MQTT.js's, plus rxmqtt's 'dropped'. */
export interface MqttClientEventCallbacks {
  /** A CONNACK accepted the connection (after every reconnect too). */
  connect: OnConnectCallback;
  /** An application message arrived; wired only while it has a listener. */
  message: OnMessageCallback;
  /** A packet was sent; wired only while it has a listener. */
  packetsend: OnPacketCallback;
  /** A packet was received; wired only while it has a listener. */
  packetreceive: OnPacketCallback;
  /** The broker sent DISCONNECT (MQTT 5). */
  disconnect: OnDisconnectCallback;
  /**
   * A failure that is no call's own: a refused CONNACK, a transport error, a protocol error...
   * Without a listener it is logged instead of thrown.
   */
  error: OnErrorCallback;
  /** The connection closed. */
  close: OnCloseCallback;
  /** `end()` finished, before its callback. */
  end: VoidCallback;
  /** A reconnection attempt starts, or `reconnect()` was called. */
  reconnect: VoidCallback;
  /**
   * The connection closed and the client will reconnect by itself, as MQTT.js 5 emits it: once per
   * outage, not after each failed retry, and not when it will not reconnect.
   */
  offline: VoidCallback;
  /** `end()` waited for in-flight messages and the last one was acknowledged. */
  outgoingEmpty: VoidCallback;
  /** rxmqtt: the bounded offline queue (`offlineQueue`) dropped a publish. */
  dropped: (error: QueueFullError) => void;
}

/** The name of an event of {@link MqttClient}. */
export type MqttClientEvent = keyof MqttClientEventCallbacks;
