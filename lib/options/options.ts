/**
 * Connect options: the MQTT.js v5 names and defaults, plus rxmqtt's own additions, and the one
 * function that turns a URL + options into validated, defaulted settings.
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { SchedulerLike } from 'rxjs';
import { resolveBackoff, type BackoffOptions, type BackoffPolicy } from '../connection/backoff-policy.js';
import type { BeforeConnect } from '../connection/before-connect.js';
import { MAX_MQTT_PACKET_SIZE, type IAuthPacket, type IConnectPacket, type IPublishPacket, type QoS } from '../protocol/codec.js';
import { InvalidArgumentError } from '../errors.js';
import { redactWhenPrinted } from '../log.js';
import { checkCredentials, checkWill } from './options-checks.js';
import { resolveOfflineQueue, type OfflineQueueLimits, type OfflineQueueOptions } from './offline-queue-options.js';
import type { MessageIdProvider } from '../session/types.js';
import type { IStore } from '../stores/store.js';
import type { AliApi } from '../transport/ali.js';
import type { WxApi } from '../transport/wx.js';

export type WillOptions = NonNullable<IConnectPacket['will']>;
export type ConnectProperties = NonNullable<IConnectPacket['properties']>;

/** MQTT.js-compatible: `(packet, done)`; call done() when the message is handled (backpressure). */
export type HandleMessage = (packet: IPublishPacket, done: (error?: Error | null) => void) => void;

/** MQTT 5: decide the reason code of the PUBACK/PUBREC for an inbound message. */
export type CustomHandleAcks = (
  topic: string,
  message: Buffer,
  packet: IPublishPacket,
  done: (error: Error | null | undefined, reasonCode?: number) => void,
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

export interface ServerAddress {
  host: string;
  /** @default the protocol's default port (1883, 8883, 80, 443) */
  port: number;
  /** `mqtt`, `mqtts`...; the client's protocol when absent. */
  protocol?: string;
}

/**
 * rxmqtt: exponential backoff between reconnect attempts (the `reconnect` option). The fields and
 * their defaults are `BackoffOptions`'s: 1 s doubling to a 30 s cap, jitter 0.5, no attempt
 * limit, reset after a connection stayed up 10 s.
 */
export interface ReconnectOptions extends BackoffOptions {
  /** The random source of the jitter, a number in [0, 1); tests inject a fixed one. @default Math.random */
  random?: () => number;
}

/** The `reconnect` option resolved: every field set. */
export type ReconnectPolicy = BackoffPolicy & Pick<ReconnectOptions, 'random'>;

/** Every option of MQTT.js v5's `connect()` / `new MqttClient()`, and rxmqtt's additions. */
export interface ClientOptions extends Partial<Omit<TlsConnectionOptions, 'host' | 'port' | 'timeout'>> {
  /** Broker host when no URL is given. @default 'localhost' */
  host?: string;
  hostname?: string;
  /** @default 1883 for mqtt, 8883 for mqtts, 80 for ws/wx/ali, 443 for wss/wxs/alis */
  port?: number;
  /** `mqtt`, `tcp`, `mqtts`, `tls`, `ssl`, `ws`, `wss`, `wx`, `wxs`, `ali`, `alis`, `mqtt+unix`. @default 'mqtt' */
  protocol?: string;
  /**
   * Brokers tried in turn, one per connection attempt: the first attempt takes the first, each
   * reconnect the next, wrapping around. A server without `protocol` uses the client's; without
   * `port`, its protocol's default port. @default undefined (the URL's or `host`/`port`)
   */
  servers?: ServerAddress[];
  /** Seconds between PINGREQs when idle; 0 disables. @default 60 */
  keepalive?: number;
  /** Restart the ping timer whenever a packet is sent. @default true */
  reschedulePings?: boolean;
  /** @default 'rxmqtt_' + 8 random hex digits */
  clientId?: string;
  /** @default 'MQTT' ('MQIsdp' for protocolVersion 3) */
  protocolId?: 'MQTT' | 'MQIsdp';
  /** 3 (3.1), 4 (3.1.1) or 5 (5.0). @default 4 */
  protocolVersion?: 3 | 4 | 5;
  /** Clean session (3.1.1) / Clean Start (5). @default true */
  clean?: boolean;
  /** Milliseconds between reconnect attempts; 0 disables reconnecting. @default 1000 */
  reconnectPeriod?: number;
  /**
   * rxmqtt: back off exponentially between reconnect attempts instead of waiting a fixed
   * `reconnectPeriod`. `true` takes every default; an object overrides some (its `initialDelay`
   * defaults to `reconnectPeriod` when that is set). Absent or `false`: MQTT.js's fixed period.
   * `reconnectPeriod: 0` disables reconnecting either way.
   * @default undefined (fixed reconnectPeriod, as MQTT.js)
   */
  reconnect?: boolean | ReconnectOptions;
  /**
   * Keep reconnecting (with the backoff) after a CONNACK refusal no retry can fix: bad
   * credentials, not authorized, banned, bad client id, unsupported protocol (MQTT.js option).
   * @default false
   */
  reconnectOnConnackError?: boolean;
  /**
   * rxmqtt: awaited before every connect attempt (the first one too) with `{ attempt, cause }`;
   * may return `{ username, password, url }` for this attempt and the next ones (a refreshed token,
   * another broker). A hook that throws or rejects fails the attempt (`ERR_BEFORE_CONNECT`), which
   * is retried per the reconnect policy. `connectTimeout` covers the hook and the CONNACK. A `url`
   * is honoured by the TCP/TLS transports of `connect()` (custom stream builders ignore it).
   * @default undefined (no hook)
   */
  beforeConnect?: BeforeConnect;
  /** Milliseconds to wait for CONNACK. @default 30000 */
  connectTimeout?: number;
  username?: string;
  password?: string | Buffer;
  incomingStore?: IStore;
  outgoingStore?: IStore;
  /** Queue QoS 0 publishes while offline. @default true */
  queueQoSZero?: boolean;
  /**
   * rxmqtt: bound the publishes waiting while offline (`maxMessages`, `maxBytes` of payload) and
   * pick what gives way (`overflow`). See `OfflineQueueOptions`.
   * @default undefined (unbounded, as MQTT.js)
   */
  offlineQueue?: OfflineQueueOptions;
  customHandleAcks?: CustomHandleAcks;
  /**
   * MQTT 5: a publish (without alias) whose topic has an alias on this connection goes out as
   * topic '' + that alias. Aliases come from publishes that set `properties.topicAlias` with a
   * topic, or from `autoAssignTopicAlias`, and last one connection. Needs a broker Topic Alias
   * Maximum above 0 in its CONNACK; otherwise nothing changes. @default false
   */
  autoUseTopicAlias?: boolean;
  /**
   * MQTT 5: a publish whose topic has no alias yet gets one, up to the broker's Topic Alias
   * Maximum, reusing the least recently used alias when all are taken; later publishes to that
   * topic send '' + the alias. Implies `autoUseTopicAlias`. @default false
   */
  autoAssignTopicAlias?: boolean;
  /** MQTT 5 CONNECT properties. */
  properties?: ConnectProperties;
  /**
   * MQTT 5 enhanced authentication: `properties.authenticationMethod` / `authenticationData` go
   * into the CONNECT when `properties` has none (the CONNECT is the first step of the exchange,
   * 4.12). Unlike MQTT.js, no AUTH packet is sent after the CONNECT: only a Server may send AUTH
   * 0x00 (Success) and a client AUTH must answer a server's (3.15.2.1, [MQTT-4.12.0-3]).
   * @default undefined
   */
  authPacket?: Partial<IAuthPacket>;
  /**
   * MQTT 5 enhanced authentication: answers the broker's AUTH challenges (see `HandleAuth`). On the
   * MQTT.js facade, overriding the `client.handleAuth` method does the same. Without one, a
   * challenge fails the connection with an AuthError (DISCONNECT 0x83).
   * @default undefined
   */
  handleAuth?: HandleAuth;
  will?: WillOptions;
  /** Re-subscribe when the broker lost the session. @default true */
  resubscribe?: boolean;
  messageIdProvider?: MessageIdProvider;
  /** Custom log function; default is the `debug` package under `rxmqtt:*`. */
  log?: (...args: unknown[]) => void;
  /** Do not connect in the constructor; call `client.connect()`. @default false */
  manualConnect?: boolean;
  /**
   * ws/wss: the third argument of `new WebSocket(url, protocols, wsOptions)` (the `ws` package's
   * options); for wss its keys win over the TLS options (`ca`, `rejectUnauthorized`...). @default {}
   */
  wsOptions?: Record<string, unknown>;
  /**
   * ws/wss: rewrites the URL before every (re)connect (a signed URL, a fresh token). May return a
   * Promise (rxmqtt; MQTT.js cannot); a throw or rejection fails the attempt, retried per the
   * reconnect policy. @default undefined
   */
  transformWsUrl?: (url: string, options: ClientOptions, client: unknown) => string | PromiseLike<string>;
  /** ws/wss: replaces `new WebSocket(url, subprotocols, wsOptions)`; must return a `ws` WebSocket. @default undefined */
  createWebsocket?: (url: string, protocols: string[], options: ClientOptions) => unknown;
  /**
   * wx/wxs: the WeChat mini-program API whose `connectSocket` opens the socket (rxmqtt; tests pass
   * a simulated one). @default globalThis.wx
   */
  wx?: WxApi;
  /**
   * ali/alis: the Alipay mini-program API (`connectSocket`, `onSocket*`, `sendSocketMessage`,
   * `closeSocket`), as MQTT.js's `my` option. @default globalThis.my
   */
  my?: AliApi;
  /** Disable Nagle's algorithm on TCP/TLS sockets (rxmqtt). @default true */
  noDelay?: boolean;
  /**
   * mqtt/tcp (rxmqtt; tls.connect takes it too): the local address the socket binds to before
   * connecting, to pick an interface. @default undefined (the system chooses)
   */
  localAddress?: string;
  /**
   * mqtt/tcp (rxmqtt; tls.connect takes it too): the local port the socket binds to. Every
   * attempt binds it again, so a port still in use fails the attempt with EADDRINUSE (then the
   * reconnect policy applies). @default undefined (an ephemeral port)
   */
  localPort?: number;
  /** Scheduler for every timer (connect timeout, keepalive, reconnect); tests pass a virtual one. */
  scheduler?: SchedulerLike;
  /** Milliseconds `end()` waits for in-flight acknowledgements before it disconnects anyway. @default 30000 */
  endTimeout?: number;
  /**
   * rxmqtt: the default `linger` of `topic()` streams: milliseconds a filter stays subscribed at
   * the broker after its last stream left, so that a stream re-opened meanwhile costs no
   * UNSUBSCRIBE/SUBSCRIBE pair. 0 unsubscribes at once. @default 0
   */
  topicLinger?: number;
  /**
   * rxmqtt: the largest packet (header included) accepted from the broker. A larger one is refused
   * from its fixed header, before its body is read, as a ProtocolError 0x95 (Packet too large) that
   * drops the connection (then reconnects per the policy). On MQTT 5 a `properties.maximumPacketSize`
   * takes precedence: the broker must not exceed it [MQTT-3.1.2-24]. Up to 268435460 (MQTT's largest).
   * @default 16777216 (16 MiB)
   */
  maximumIncomingPacketSize?: number;
  /**
   * rxmqtt, MQTT 5: when the broker refuses the CONNECT or disconnects with 0x9C (Use another
   * server) or 0x9D (Server moved) and names a Server Reference (`host`, `host:port` or a URL),
   * the next connection attempts go there. Off by default: it lets the broker choose where the
   * client connects. @default false
   */
  followServerReference?: boolean;
  /**
   * rxmqtt: how many inbound QoS 1/2 messages `ack: 'manual'` streams (and `messages()`
   * iterators) may hold unacknowledged. Above it the client stops reading the socket, and reads
   * again once half of them are acknowledged: a slow consumer then bounds what the client holds
   * (plus the messages already in the chunk being decoded). On MQTT 5, setting it also announces
   * it in the CONNECT as Receive Maximum (at most 65535), unless `properties.receiveMaximum` is
   * set, so that the broker itself sends no more than that unacknowledged; a broker that sends
   * more anyway (mosquitto 2.0.11 does after its first window) is not disconnected for it, the
   * pause bounds it. Left unset, the CONNECT is unchanged (no Receive Maximum: 65535).
   * @default 1000 (not announced)
   */
  maxUnackedMessages?: number;
  /** Anything else is passed through (MQTT.js accepts arbitrary keys). */
  [key: string]: unknown;
}

/** The options with their defaults applied and the URL merged in. */
export interface ResolvedOptions extends ClientOptions {
  protocol: string;
  host: string;
  port: number;
  keepalive: number;
  reschedulePings: boolean;
  clientId: string;
  protocolId: 'MQTT' | 'MQIsdp';
  protocolVersion: 3 | 4 | 5;
  clean: boolean;
  reconnectPeriod: number;
  /** undefined: the MQTT.js fixed `reconnectPeriod`. */
  reconnect?: ReconnectPolicy;
  reconnectOnConnackError: boolean;
  connectTimeout: number;
  queueQoSZero: boolean;
  autoUseTopicAlias: boolean;
  autoAssignTopicAlias: boolean;
  /** undefined: unbounded. */
  offlineQueue?: OfflineQueueLimits;
  resubscribe: boolean;
  noDelay: boolean;
  endTimeout: number;
  maximumIncomingPacketSize: number;
}

/**
 * Without a limit a broker could announce a 256 MB packet and have us buffer it as it streams.
 * 16 MiB keeps that bounded while letting real payloads through: it is 16 times EMQX's default
 * `max_packet_size` (1 MB), 128 times AWS IoT's 128 KB, and far above what our own tests send
 * (1 MiB). Larger messages need `maximumIncomingPacketSize` raised, deliberately.
 */
export const DEFAULT_MAXIMUM_INCOMING_PACKET_SIZE = 16 * 1024 * 1024;

const DEFAULT_PORTS: Record<string, number> = {
  mqtt: 1883,
  tcp: 1883,
  mqtts: 8883,
  tls: 8883,
  ssl: 8883,
  ws: 80,
  wss: 443,
  wx: 80,
  wxs: 443,
  ali: 80,
  alis: 443,
};

/** The schemes whose URL path and query go to a WebSocket handshake. */
const WEBSOCKET_SCHEMES = new Set(['ws', 'wss', 'wx', 'wxs', 'ali', 'alis']);

/** The port a scheme uses when none is given: 1883 (mqtt, tcp), 8883 (mqtts, tls, ssl), 80 (ws), 443 (wss). */
export function defaultPort(protocol: string): number {
  return DEFAULT_PORTS[protocol.replace(/:$/, '')] ?? 1883;
}

export function randomClientId(): string {
  // Web Crypto, not node:crypto: the same code runs in browsers (Node >= 20 has it too).
  return 'rxmqtt_' + Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(4))).toString('hex');
}

/**
 * Merges a broker URL into the options and applies MQTT.js's defaults.
 * Throws InvalidArgumentError for a URL or option that can never work.
 */
export function resolveOptions(url: string | undefined, options: ClientOptions = {}): ResolvedOptions {
  if (url !== undefined && typeof url !== 'string') throw new InvalidArgumentError(`The broker URL must be a string, got ${typeof url}`);
  const merged: ClientOptions = { ...options };
  if (url !== undefined) Object.assign(merged, parseBrokerUrl(url), stripUndefined(options));
  const protocol = (merged.protocol ?? 'mqtt').replace(/:$/, '');
  const protocolVersion = merged.protocolVersion ?? 4;
  if (protocolVersion !== 3 && protocolVersion !== 4 && protocolVersion !== 5) {
    throw new InvalidArgumentError(`protocolVersion must be 3, 4 or 5, got ${String(protocolVersion)}`);
  }
  const clean = merged.clean ?? true;
  // [MQTT-3.1.3-7] a server may reject an empty client id with clean=0: demand one up front.
  if (!clean && !merged.clientId) throw new InvalidArgumentError('clean: false needs a clientId');
  // [MQTT-3.1.2-22] before MQTT 5 a password may only be sent with a user name.
  if (protocolVersion !== 5 && merged.password !== undefined && merged.username === undefined) {
    throw new InvalidArgumentError('A password needs a username before MQTT 5 (protocolVersion 3 and 4)');
  }
  const defaults = {
    protocol,
    host: merged.hostname ?? merged.host ?? 'localhost',
    port: Number(merged.port ?? DEFAULT_PORTS[protocol] ?? 1883),
    keepalive: merged.keepalive ?? 60,
    reschedulePings: merged.reschedulePings ?? true,
    clientId: merged.clientId ?? randomClientId(),
    protocolId: merged.protocolId ?? (protocolVersion === 3 ? 'MQIsdp' : 'MQTT'),
    protocolVersion,
    clean,
    reconnectPeriod: merged.reconnectPeriod ?? 1000,
    reconnect: resolveReconnect(merged.reconnect, merged.reconnectPeriod),
    reconnectOnConnackError: merged.reconnectOnConnackError ?? false,
    connectTimeout: merged.connectTimeout ?? 30_000,
    queueQoSZero: merged.queueQoSZero ?? true,
    autoUseTopicAlias: merged.autoUseTopicAlias ?? false,
    autoAssignTopicAlias: merged.autoAssignTopicAlias ?? false,
    offlineQueue: resolveOfflineQueue(merged.offlineQueue),
    resubscribe: merged.resubscribe ?? true,
    noDelay: merged.noDelay ?? true,
    endTimeout: merged.endTimeout ?? 30_000,
    maximumIncomingPacketSize: merged.maximumIncomingPacketSize ?? DEFAULT_MAXIMUM_INCOMING_PACKET_SIZE,
  };
  // Object.assign rather than `{ ...merged, protocol, ... }`: V8 gives every object made by a
  // spread followed by more properties a hidden class of its own (about 1 KB per client, each
  // client resolves twice), while Object.assign's results share one. An own `__proto__` key must
  // stay a plain property, as a spread makes it, not set the prototype as assigning would.
  const resolved: ResolvedOptions = Object.prototype.hasOwnProperty.call(merged, '__proto__')
    ? { ...merged, ...defaults }
    : Object.assign({}, merged, defaults);
  checkCredentials(resolved);
  checkWill(resolved.will);
  checkNumber('keepalive', resolved.keepalive, 0, 65535);
  checkNumber('reconnectPeriod', resolved.reconnectPeriod, 0, 2 ** 31 - 1);
  checkNumber('connectTimeout', resolved.connectTimeout, 0, 2 ** 31 - 1);
  checkNumber('port', resolved.port, 0, 65535);
  if (resolved.topicLinger !== undefined) checkNumber('topicLinger', resolved.topicLinger, 0, 2 ** 31 - 1);
  // 2 bytes is the smallest packet (PINGRESP); a limit below it could accept nothing.
  checkNumber('maximumIncomingPacketSize', resolved.maximumIncomingPacketSize, 2, MAX_MQTT_PACKET_SIZE);
  if (resolved.maxUnackedMessages !== undefined) checkNumber('maxUnackedMessages', resolved.maxUnackedMessages, 1, 2 ** 31 - 1);
  if (resolved.beforeConnect !== undefined && typeof resolved.beforeConnect !== 'function') {
    throw new InvalidArgumentError('beforeConnect must be a function');
  }
  if (resolved.handleAuth !== undefined && typeof resolved.handleAuth !== 'function') {
    throw new InvalidArgumentError('handleAuth must be a function');
  }
  // 3.1.2.11.10: Authentication Data without an Authentication Method is a Protocol Error.
  const auth = protocolVersion === 5 ? connectProperties(resolved) : undefined;
  if (auth?.authenticationData !== undefined && auth.authenticationMethod === undefined) {
    throw new InvalidArgumentError('properties.authenticationData needs properties.authenticationMethod');
  }
  return redactWhenPrinted(resolved);
}

/**
 * The largest packet the client accepts from the broker: on MQTT 5 the Maximum Packet Size it
 * announced in CONNECT (the broker must respect it [MQTT-3.1.2-24]), else `maximumIncomingPacketSize`.
 */
export function incomingPacketLimit(options: ResolvedOptions): number {
  const announced = options.protocolVersion === 5 ? options.properties?.maximumPacketSize : undefined;
  return announced ?? options.maximumIncomingPacketSize;
}

/**
 * The `reconnect` option with its defaults, or undefined for MQTT.js's fixed period. A user who
 * set `reconnectPeriod` meant "wait this long first", so it becomes the default `initialDelay`.
 * Idempotent: a resolved policy resolves to itself.
 */
function resolveReconnect(reconnect: ClientOptions['reconnect'], reconnectPeriod: number | undefined): ReconnectPolicy | undefined {
  if (reconnect === undefined || reconnect === false) return undefined;
  if (reconnect !== true && (typeof reconnect !== 'object' || reconnect === null)) {
    throw new InvalidArgumentError(`reconnect must be a boolean or an object, got ${typeof reconnect}`);
  }
  const { random, ...backoff } = reconnect === true ? {} : reconnect;
  if (random !== undefined && typeof random !== 'function') throw new InvalidArgumentError('reconnect.random must be a function');
  const policy = resolveBackoff(backoff, reconnectPeriod ? { initialDelay: reconnectPeriod } : {}, 'reconnect');
  return random ? { ...policy, random } : policy;
}

/** A broker URL (from `beforeConnect`) as an address, with the scheme's default port, and its credentials. */
export function serverOfUrl(url: string): { server: ServerAddress; username?: string; password?: string } {
  const parsed = parseBrokerUrl(url);
  const protocol = parsed.protocol ?? 'mqtt';
  const server: ServerAddress = { host: parsed.host ?? 'localhost', port: parsed.port ?? DEFAULT_PORTS[protocol] ?? 1883, protocol };
  const out: { server: ServerAddress; username?: string; password?: string } = { server };
  if (parsed.username !== undefined) out.username = parsed.username;
  if (typeof parsed.password === 'string') out.password = parsed.password;
  return out;
}

/** Parses `mqtt://user:pass@host:port/?clientId=x` with the WHATWG URL parser. */
export function parseBrokerUrl(url: string): ClientOptions {
  let parsed: URL;
  try {
    // MQTT.js accepts a bare host ("broker.example"): read it as mqtt://broker.example.
    parsed = new URL(url.includes('://') ? url : `mqtt://${url}`);
  } catch {
    throw new InvalidArgumentError(`Invalid broker URL: ${redactUrl(url)}`);
  }
  const out: ClientOptions = { protocol: parsed.protocol.replace(/:$/, ''), host: parsed.hostname.replace(/^\[|\]$/g, '') };
  // Only a Unix socket URL names no host (mqtt+unix:///path); anywhere else '' is a mistake.
  if (out.host === '' && out.protocol !== 'mqtt+unix') throw new InvalidArgumentError(`Invalid broker URL (no host): ${redactUrl(url)}`);
  if (parsed.port) out.port = Number(parsed.port);
  if (parsed.username) out.username = decodeUserinfo(parsed.username);
  if (parsed.password) out.password = decodeUserinfo(parsed.password);
  const clientId = parsed.searchParams.get('clientId');
  if (clientId) out.clientId = clientId;
  if (parsed.pathname && parsed.pathname !== '/') out.path = parsed.pathname;
  // MQTT.js keeps a WebSocket URL's query in the path it requests (`ws://h/mqtt?token=x`).
  if (parsed.search && WEBSOCKET_SCHEMES.has(out.protocol!)) out.path = (out.path ?? '/') + parsed.search;
  return out;
}

/**
 * A user name or password from a URL, percent-decoded. URL leaves a `%` that starts no escape
 * as it is (`mqtt://u:100%@h`); decodeURIComponent would throw on it, so such text is kept raw.
 */
function decodeUserinfo(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The URL without its password, for error messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:<redacted>@');
}

export function checkQos(qos: unknown): qos is QoS {
  return qos === 0 || qos === 1 || qos === 2;
}

function checkNumber(name: string, value: number, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}, got ${String(value)}`);
  }
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The CONNECT properties to send. On MQTT 5 the inbound limit is always announced as Maximum
 * Packet Size, so that the broker drops a message too large for us instead of sending it
 * [MQTT-3.1.2-25]: otherwise a too-large QoS 1/2 message would be re-sent after every reconnect.
 * A `maxUnackedMessages` the user set becomes the Receive Maximum (3.1.2.11.3) unless
 * `properties.receiveMaximum` says otherwise: the broker then throttles itself to the consumer.
 */
export function connectProperties(options: ResolvedOptions): ResolvedOptions['properties'] {
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
export function enforcedReceiveMaximum(options: ResolvedOptions): number {
  return options.properties?.receiveMaximum ?? 65535;
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
