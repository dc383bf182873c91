/**
 * The brokers a client connects to, in turn: the `servers` list (each entry checked, with its
 * protocol's default port when it names none), or the one broker of the options. Shared by the
 * Node and the browser transport selection.
 */
import { InvalidArgumentError } from '../errors.js';
import { defaultPort } from '../options/broker-url.js';
import type { ServerAddress } from '../options/client-options.js';
import type { ResolvedOptions } from '../options/options.js';
import type { TransportFactory, TransportTarget } from './transport.js';

/**
 * One factory that connects to the next server of the list at each attempt (wrapping around), or
 * to `target` when the connection names one (`beforeConnect`'s URL, a Server Reference).
 */
export function rotateServers(options: ResolvedOptions, factoryFor: (server: ServerAddress) => TransportFactory): TransportFactory {
  const factories = serversOf(options).map(factoryFor);
  let next = 0;
  return (handlers, target?: TransportTarget) => (target ? factoryFor(target)(handlers) : factories[next++ % factories.length](handlers));
}

export function serversOf(options: ResolvedOptions): ServerAddress[] {
  if (!options.servers?.length) return [{ host: options.host, port: options.port, protocol: options.protocol }];
  return options.servers.map((server, i) => checkServer(server, i, options.protocol));
}

/** A `servers` entry, checked, with its protocol's default port when it names none. */
function checkServer(server: ServerAddress, index: number, protocol: string): ServerAddress {
  if (typeof server !== 'object' || server === null || typeof server.host !== 'string' || server.host === '') {
    throw new InvalidArgumentError(`servers[${index}] needs a host name`);
  }
  const port = server.port ?? defaultPort(server.protocol ?? protocol);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`servers[${index}].port must be an integer in 0..65535, got ${String(server.port)}`);
  }
  return { ...server, port };
}

