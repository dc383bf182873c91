/**
 * Picks the transport for a URL scheme. Only this file knows which schemes exist.
 */
import type { Duplex } from 'node:stream';
import { InvalidArgumentError } from '../errors.js';
import type { ResolvedOptions, ServerAddress } from '../options.js';
import { streamTransport } from './stream.js';
import { tcpTransport } from './tcp.js';
import { tlsTransport } from './tls.js';
import type { TransportFactory, TransportTarget } from './transport.js';

const TCP = new Set(['mqtt', 'tcp']);
const TLS = new Set(['mqtts', 'tls', 'ssl']);
const LATER = new Set(['ws', 'wss', 'wx', 'wxs', 'ali', 'alis', 'mqtt+unix']);

/**
 * A transport factory for the options' protocol; with `servers`, each attempt takes the next one.
 * A `target` (the URL a `beforeConnect` hook returned) overrides both for that attempt.
 */
export function transportFor(options: ResolvedOptions): TransportFactory {
  const servers: ServerAddress[] = options.servers?.length ? options.servers : [{ host: options.host, port: options.port, protocol: options.protocol }];
  const factories = servers.map((server) => factoryFor(server, options));
  let next = 0;
  return (handlers, target?: TransportTarget) =>
    target ? factoryFor(target, options)(handlers) : factories[next++ % factories.length](handlers);
}

/** Adapts an MQTT.js `streamBuilder` (a function returning a connected duplex) to a transport. */
export function streamBuilderTransport(build: () => Duplex): TransportFactory {
  return (handlers) => streamTransport(build(), handlers);
}

function factoryFor(server: ServerAddress, options: ResolvedOptions): TransportFactory {
  const protocol = (server.protocol ?? options.protocol).replace(/:$/, '');
  const { host, port } = server;
  if (TCP.has(protocol)) return tcpTransport({ host, port, noDelay: options.noDelay });
  if (TLS.has(protocol)) return tlsTransport({ ...tlsOptionsOf(options), host, port, noDelay: options.noDelay });
  if (LATER.has(protocol)) throw new InvalidArgumentError(`The ${protocol}:// transport is not available yet in rxmqtt`);
  throw new InvalidArgumentError(`Unknown protocol "${protocol}": use mqtt, tcp, mqtts, tls or ssl`);
}

/** The tls.connect options among the client options (anything not MQTT-specific passes through). */
function tlsOptionsOf(options: ResolvedOptions): Record<string, unknown> {
  const { path: _path, protocol: _protocol, servers: _servers, scheduler: _scheduler, will: _will, properties: _properties, ...rest } = options;
  return rest;
}
