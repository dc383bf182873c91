/**
 * Picks the transport for a URL scheme. Only this file knows which schemes exist.
 */
import type { Duplex } from 'node:stream';
import { InvalidArgumentError } from '../errors.js';
import type { ResolvedOptions } from '../options/options.js';
import type { ServerAddress } from '../options/client-options.js';
import { streamTransport } from './stream.js';
import { tcpTransport } from './tcp.js';
import { tlsTransport } from './tls.js';
import { unixTransport } from './unix.js';
import { wsTransport } from './ws.js';
import { miniProgramTransport } from './mini-program.js';
import type { TransportFactory } from './transport.js';
import { rotateServers } from './servers.js';

const TCP = new Set(['mqtt', 'tcp']);
const TLS = new Set(['mqtts', 'tls', 'ssl']);
const WS = new Set(['ws', 'wss']);

/**
 * A transport factory for the options' protocol; with `servers`, each attempt takes the next one.
 * A `target` (the URL a `beforeConnect` hook returned) overrides both for that attempt.
 *
 * @param options the resolved client options
 * @param client returns the client, handed to `transformWsUrl` (MQTT.js passes its MqttClient)
 */
export function transportFor(options: ResolvedOptions, client?: () => unknown): TransportFactory {
  return rotateServers(options, (server) => factoryFor(server, options, client));
}

/** Adapts an MQTT.js `streamBuilder` (a function returning a connected duplex) to a transport. */
export function streamBuilderTransport(build: () => Duplex): TransportFactory {
  return (handlers) => streamTransport(build(), handlers);
}

function factoryFor(server: ServerAddress, options: ResolvedOptions, client?: () => unknown): TransportFactory {
  const named = (server.protocol ?? options.protocol).replace(/:$/, '');
  const protocol = named.replace(/\+unix$/, '');
  const { host, port } = server;
  if (options.unixSocket || protocol !== named) {
    if (!options.path) throw new InvalidArgumentError('A Unix socket connection needs the socket path: mqtt+unix:///path/to/socket');
    if (TCP.has(protocol)) return unixTransport({ path: options.path });
    // tls.connect takes `path` for TLS over a Unix socket; the servername stays the host's.
    if (TLS.has(protocol)) return tlsTransport({ ...tlsOptionsOf(options), host, port, path: options.path });
    throw new InvalidArgumentError(`A Unix socket connection carries mqtt or mqtts, not "${protocol}"`);
  }
  if (TCP.has(protocol)) return tcpTransport({ host, port, noDelay: options.noDelay, localAddress: options.localAddress, localPort: options.localPort });
  if (TLS.has(protocol)) return tlsTransport({ ...tlsOptionsOf(options), host, port, noDelay: options.noDelay });
  if (WS.has(protocol)) return wsTransport(wsOptionsOf(protocol, host, port, options, client));
  const miniProgram = miniProgramTransport(protocol, host, port, options, client);
  if (miniProgram) return miniProgram;
  throw new InvalidArgumentError(`Unknown protocol "${protocol}": use mqtt, tcp, mqtts, tls, ssl, ws, wss, wx, wxs, ali, alis, mqtt+unix or mqtts+unix`);
}

/** The WebSocket settings among the client options; MQTT.js's defaults apply in wsTransport. */
function wsOptionsOf(protocol: string, host: string, port: number, options: ResolvedOptions, client?: () => unknown) {
  for (const name of ['transformWsUrl', 'createWebsocket'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw new InvalidArgumentError(`${name} must be a function`);
  }
  return {
    protocol,
    host,
    port,
    path: options.path,
    protocolId: options.protocolId,
    protocolVersion: options.protocolVersion,
    wsOptions: options.wsOptions,
    transformWsUrl: options.transformWsUrl as never,
    createWebsocket: options.createWebsocket as never,
    clientOptions: options,
    client,
  };
}

/** The tls.connect options among the client options (anything not MQTT-specific passes through). */
function tlsOptionsOf(options: ResolvedOptions): Record<string, unknown> {
  const { path: _path, protocol: _protocol, servers: _servers, scheduler: _scheduler, will: _will, properties: _properties, ...rest } = options;
  return rest;
}
