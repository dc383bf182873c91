/**
 * MQTT 5 server redirection (4.11): a broker that refuses a CONNECT, or ends a connection, with
 * 0x9C (Use another server) or 0x9D (Server moved) may name another broker in its Server
 * Reference property. Following it is opt-in (`followServerReference`): a broker that could send
 * us anywhere is a trust decision the application makes, not the client.
 */
import { serverOfUrl } from '../options/broker-url.js';
import type { ServerAddress } from '../options/client-options.js';
import type { ResolvedOptions } from '../options/options.js';

const USE_ANOTHER_SERVER = 0x9c;
const SERVER_MOVED = 0x9d;

/** Where the next connection attempt goes, or undefined to stay where we are. */
export function redirectTarget(options: ResolvedOptions, reasonCode: number | undefined, reference: string | undefined): ServerAddress | undefined {
  if (!options.followServerReference || options.protocolVersion !== 5) return undefined;
  if (reasonCode !== USE_ANOTHER_SERVER && reasonCode !== SERVER_MOVED) return undefined;
  return reference === undefined ? undefined : parseServerReference(reference, options.protocol);
}

/**
 * The spec leaves the reference's format open (4.11: "host" or "host:port", and a list of them
 * separated by spaces in common use); a URL with a scheme is accepted too. The first entry wins;
 * without a scheme the client's own protocol (and its default port) is kept. Undefined when it
 * cannot be read.
 */
export function parseServerReference(reference: string, protocol: string): ServerAddress | undefined {
  const first = reference.trim().split(/\s+/)[0];
  if (!first) return undefined;
  try {
    return serverOfUrl(first.includes('://') ? first : `${protocol}://${first}`).server;
  } catch {
    return undefined;
  }
}
