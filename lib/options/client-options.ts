/**
 * `ClientOptions`: every option of MQTT.js v5's `connect()`, with its name and default, plus
 * rxmqtt's own additions. Types only; `resolveOptions` (options.ts) applies the defaults.
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { SchedulerLike } from 'rxjs';
import type { BeforeConnect } from '../connection/before-connect.js';
import type { IAuthPacket, IConnectPacket } from '../protocol/codec.js';
import type { ConnectProperties } from '../session/connect-properties.js';
import type { MessageIdProvider } from '../session/types.js';
import type { IStore } from '../stores/store.js';
import type { AliApi } from '../transport/ali.js';
import type { WxApi } from '../transport/wx.js';
import type { TimerVariant } from '../platform/timer-variant.js';
import type { CustomHandleAcks, HandleAuth } from './handlers.js';
import type { OfflineQueueOptions } from './offline-queue-options.js';
import type { ConnectionSharing } from './connection-sharing.js';
import type { ReconnectOptions } from './reconnect-options.js';

export type { ReconnectOptions, ReconnectPolicy } from './reconnect-options.js';

/**
 * The Will Message the broker publishes for this client if the connection ends without a
 * DISCONNECT (MQTT.js's `will` option): `topic`, `payload`, `qos`, `retain`, and the MQTT 5 Will
 * Properties (`willDelayInterval`...). Its topic is checked like a publish's [MQTT-3.1.3-10].
 */
export type WillOptions = NonNullable<IConnectPacket['will']>;

/** One broker of the `servers` option (MQTT.js's `{ host, port, protocol }`). */
export interface ServerAddress {
  /** Host name or IP address. */
  host: string;
  /** @default the protocol's default port (1883, 8883, 80, 443) */
  port: number;
  /** `mqtt`, `mqtts`...; the client's protocol when absent. */
  protocol?: string;
}

/** Every option of MQTT.js v5's `connect()` / `new MqttClient()`, and rxmqtt's additions. */
export interface ClientOptions extends Partial<Omit<TlsConnectionOptions, 'host' | 'port' | 'timeout'>> {
  /** Broker host when no URL is given. @default 'localhost' */
  host?: string;
  /** Takes precedence over `host` (MQTT.js). Resolved options always carry it, equal to `host`. @default host */
  hostname?: string;
  /**
   * Connect to the Unix domain socket at `path` instead of `host`/`port`, over `mqtt` (or `mqtts`,
   * TLS over the socket). A `mqtt+unix:///path` URL sets it (MQTT.js). @default false
   */
  unixSocket?: boolean;
  /**
   * The socket file (with `unixSocket`), or the WebSocket path and query (ws/wss, wx/wxs,
   * ali/alis). Dropped for TCP and TLS, as MQTT.js drops it. @default undefined ('/' for WebSockets)
   */
  path?: string;
  /** @default 1883 for mqtt, 8883 for mqtts, 80 for ws/wx/ali, 443 for wss/wxs/alis */
  port?: number;
  /**
   * `mqtt`, `tcp`, `mqtts`, `tls`, `ssl`, `ws`, `wss`, `wx`, `wxs`, `ali`, `alis`; `mqtt+unix` and
   * `mqtts+unix` resolve to `mqtt`/`mqtts` with `unixSocket`. @default 'mqtt'
   */
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
  /**
   * The empty string is sent as it is (the broker then assigns one, [MQTT-3.1.3-6]).
   * @default 'mqttjs_' + 8 random hex digits: MQTT.js's prefix, kept because broker ACLs and
   * dashboards are often keyed on it
   */
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
  /**
   * rxmqtt, MQTT 5: milliseconds a `reauthenticate()` waits for the broker's AUTH 0x00 (Success),
   * counted from the AUTH 0x19, challenges included. Then it fails with a TimeoutError
   * (`ERR_REAUTH_TIMEOUT`) and the connection is closed with DISCONNECT 0x80 [MQTT-4.12.1-2]
   * (then reconnects per the reconnect policy).
   * @default connectTimeout
   */
  reauthTimeout?: number;
  /** The CONNECT's User Name. Never logged. @default undefined */
  username?: string;
  /** The CONNECT's Password. Never logged. @default undefined */
  password?: string | Buffer;
  /** MQTT.js's store of inbound QoS 2 ids awaiting PUBREL; FileStore/IndexedDBStore keep them across restarts. @default undefined (in memory) */
  incomingStore?: IStore;
  /** MQTT.js's store of outbound QoS 1/2 publishes awaiting their ack; a durable one lets a restart resend them. @default undefined (in memory) */
  outgoingStore?: IStore;
  /** Queue QoS 0 publishes while offline. @default true */
  queueQoSZero?: boolean;
  /**
   * rxmqtt: bound the publishes waiting while offline (`maxMessages`, `maxBytes` of payload) and
   * pick what gives way (`overflow`). See `OfflineQueueOptions`.
   * @default undefined (unbounded, as MQTT.js)
   */
  offlineQueue?: OfflineQueueOptions;
  /** MQTT 5, MQTT.js option: chooses the reason code of the PUBACK/PUBREC of each inbound QoS 1/2 message. @default undefined (0x00, Success) */
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
  /** The Will Message, sent in the CONNECT. @default undefined (no will) */
  will?: WillOptions;
  /** Re-subscribe when the broker lost the session. @default true */
  resubscribe?: boolean;
  /**
   * The most filters one SUBSCRIBE packet carries (MQTT.js): a `subscribe()` of more goes out as
   * several packets, and so does the automatic resubscribe; the callback still runs once, with
   * every grant and the last SUBACK. For brokers that cap it (AWS IoT Core: 8).
   * @default undefined (no limit; `null` too, as MQTT.js's default)
   */
  subscribeBatchSize?: number | null;
  /** MQTT.js option: allocates packet ids; the built-in ones skip ids in flight [MQTT-2.2.1-3]. @default new DefaultMessageIdProvider() */
  messageIdProvider?: MessageIdProvider;
  /** Custom log function; default is the `debug` package under `rxmqtt:*`. */
  log?: (...args: unknown[]) => void;
  /** Do not connect in the constructor; call `client.connect()`. @default false */
  manualConnect?: boolean;
  /**
   * MQTT.js: `false` makes mqtt-packet allocate each 2-byte number as it encodes it instead of
   * reading its pre-generated table. Process-wide, as in MQTT.js (the switch is mqtt-packet's).
   * @default true
   */
  writeCache?: boolean;
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
  /**
   * Browser build: follow the network and the page. On `offline` the connection is closed and
   * reported `offline` at once (not after a keepalive timeout) and no retry runs until `online`,
   * which reconnects at once (not after the rest of the backoff). When the page resumes after a
   * freeze, becomes visible or comes back from the back/forward cache, a PINGREQ checks the
   * connection at once, and a pending retry runs now. Nothing queued or in flight is lost. In a
   * worker, only `online`/`offline`. Node has none of these events: the option changes nothing.
   * @default true
   */
  watchNetwork?: boolean;
  /** Scheduler for every timer (connect timeout, keepalive, reconnect); tests pass a virtual one. */
  scheduler?: SchedulerLike;
  /**
   * MQTT.js: which timers the connection uses, `'native'` (setTimeout), `'worker'` (kept by an
   * inline Web Worker, not throttled in background tabs; setTimeout where no worker can start),
   * `'auto'`, or `{ set(callback, ms), clear(id) }` of your own. rxmqtt turns it into the
   * `scheduler`, which wins when both are given.
   * @default 'auto' (setTimeout in Node, worker timers in the browser build)
   */
  timerVariant?: TimerVariant;
  /**
   * MQTT.js declares `keyPath`, `certPath` and `caPaths` but its `connect()` never reads the
   * files; neither does rxmqtt, so an app moving over behaves the same. Read them yourself into
   * `key`, `cert` and `ca` (`readFileSync`). @default undefined (ignored)
   */
  keyPath?: string;
  /** See `keyPath`: ignored, as in MQTT.js. */
  certPath?: string;
  /** See `keyPath`: ignored, as in MQTT.js. */
  caPaths?: string | string[];
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
  /**
   * rxmqtt: share one connection between several clients, e.g. `acrossTabs()`: every tab of an
   * origin uses one MQTT connection (see `acrossTabs`). Only `connect()` reads it.
   * @default undefined (a connection of the client's own)
   */
  shared?: ConnectionSharing;
  /** Anything else is passed through (MQTT.js accepts arbitrary keys). */
  [key: string]: unknown;
}
