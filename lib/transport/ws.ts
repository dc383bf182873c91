/**
 * WebSocket transport (Node) for `ws://` and `wss://`: the only importer of the `ws` package.
 * MQTT rides in binary frames under the `mqtt` sub-protocol (`mqttv3.1` for MQTT 3.1), as
 * MQTT.js v5 does; the frames are adapted to a byte stream by `createWebSocketStream`.
 */
import WebSocket, { createWebSocketStream, type ClientOptions as WsClientOptions } from 'ws';
import { createLogger } from '../log.js';
import { deferredTransport } from './deferred.js';
import { streamTransport } from './stream.js';
import type { Transport, TransportFactory, TransportHandlers } from './transport.js';

const log = createLogger('transport');

/** The TLS options a `wss://` connection takes from the client options, as MQTT.js (plus a few more). */
const WSS_OPTIONS = [
  'rejectUnauthorized',
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'servername',
  'ALPNProtocols',
  'checkServerIdentity',
  'ciphers',
  'minVersion',
  'maxVersion',
  'crl',
  'secureContext',
] as const;

export interface WsTransportOptions {
  /** `ws` or `wss`. */
  protocol: string;
  host: string;
  /** @default 80 for ws, 443 for wss */
  port?: number;
  /** The URL path (and query); MQTT.js uses `/` when the URL has none (not `/mqtt`). @default '/' */
  path?: string;
  protocolId?: 'MQTT' | 'MQIsdp';
  protocolVersion?: 3 | 4 | 5;
  /** Passed as the third argument of `new WebSocket(url, protocols, wsOptions)`; wins over TLS options. @default {} */
  wsOptions?: Record<string, unknown>;
  /**
   * Rewrites the URL before every (re)connect, e.g. to sign it. May return a Promise (MQTT.js
   * cannot); a throw or a rejection fails this attempt, which is retried per the reconnect policy.
   * @default undefined
   */
  transformWsUrl?: (url: string, options: never, client: never) => string | PromiseLike<string>;
  /** Replaces `new WebSocket(url, protocols, wsOptions)` when given; must return a `ws` WebSocket. @default undefined */
  createWebsocket?: (url: string, protocols: string[], options: never) => unknown;
  /** The client options handed to `transformWsUrl` and `createWebsocket`, as MQTT.js does. */
  clientOptions?: Record<string, unknown>;
  /** The client handed to `transformWsUrl` (read at each attempt: the client exists after the factory). */
  client?: () => unknown;
}

/**
 * WebSocket transport for `ws://` and `wss://` URLs.
 *
 * ```ts
 * const factory = wsTransport({ protocol: 'wss', host: 'broker.example', path: '/mqtt' });
 * ```
 *
 * @param options where to connect and how; every field of `WsTransportOptions`
 * @returns a factory opening a fresh WebSocket per connection attempt
 */
export function wsTransport(options: WsTransportOptions): TransportFactory {
  const secure = options.protocol === 'wss';
  const port = options.port ?? (secure ? 443 : 80);
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const baseUrl = `${options.protocol}://${host}:${port}${options.path ?? '/'}`;
  const protocols = [options.protocolId === 'MQIsdp' && options.protocolVersion === 3 ? 'mqttv3.1' : 'mqtt'];
  const wsOptions = secure ? { ...tlsOptionsOf(options.clientOptions ?? {}), ...options.wsOptions } : { ...options.wsOptions };
  const clientOptions = (options.clientOptions ?? {}) as never;

  const open = (url: string, handlers: TransportHandlers): Transport => {
    // Not the URL: a transformed one may carry a token.
    log('opening %s://%s:%d (sub-protocol %s)', options.protocol, options.host, port, protocols[0]);
    const socket = (
      options.createWebsocket ? options.createWebsocket(url, protocols, clientOptions) : new WebSocket(url, protocols, wsOptions as WsClientOptions)
    ) as WebSocket;
    const stream = createWebSocketStream(socket);
    // The duplex buffers writes until the socket opens; it never says so itself, so relay 'open'.
    if (socket.readyState === WebSocket.OPEN) queueMicrotask(() => stream.emit('open'));
    else socket.once('open', () => stream.emit('open'));
    // A close frame ends the duplex only once its buffer is read: with inbound paused that could
    // wait forever, so a closed socket tears the stream down at once (as MQTT.js does).
    socket.once('close', () => stream.destroy());
    return streamTransport(stream, handlers, 'open');
  };

  return (handlers) => {
    const transform = options.transformWsUrl;
    if (!transform) return open(baseUrl, handlers);
    // Called a microtask later, never inside the factory: the first attempt starts while the
    // client is still being constructed, and transformWsUrl must be handed that client.
    const url = Promise.resolve().then(() => transform(baseUrl, clientOptions, options.client?.() as never));
    return deferredTransport(url, handlers, open);
  };
}

function tlsOptionsOf(options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of WSS_OPTIONS) if (options[key] !== undefined) out[key] = options[key];
  return out;
}
