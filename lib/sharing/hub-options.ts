/**
 * The options a tab sends to a SharedWorker hub: the worker runs in another global, so it gets
 * them through `postMessage`, that is as a structured clone, which carries data but no function.
 * What configures the real connection goes (url parts, clientId, clean, keepalive, protocol
 * version, credentials, properties, will, reconnect settings...); what belongs to the tab's own
 * client stays in the tab (its stores, scheduler, message handlers); a function that configures
 * the real connection (transformWsUrl, beforeConnect, createWebsocket...) cannot cross, and is
 * refused at `connect()` rather than silently dropped.
 */
import { InvalidArgumentError } from '../errors.js';
import type { ClientOptions } from '../options/client-options.js';
import type { ResolvedOptions } from '../options/options.js';

/** ClientOptions made of data alone: what the worker's `resolveOptions()` gets. */
export type HubOptions = ClientOptions;

/** What a tab says first on its port to the worker, before any ChannelMessage. */
export interface StartMessage {
  type: 'start';
  options: HubOptions;
  /** A Web Lock the tab holds while it lives: the worker learns that the tab is gone when it gets it. */
  alive?: string;
}

export function isStartMessage(data: unknown): data is StartMessage {
  return typeof data === 'object' && data !== null && (data as { type?: unknown }).type === 'start';
}

/**
 * The tab's own options: used by its client, never by the real connection (the hub drops the
 * stores too: the tabs' sessions hold what must survive).
 */
const TAB_ONLY = new Set<string>(['shared', 'incomingStore', 'outgoingStore', 'scheduler', 'timerVariant', 'messageIdProvider', 'customHandleAcks', 'handleMessage', 'log']);

/**
 * The options for the hub in a SharedWorker, from those the app gave `connect()` (`given`) and
 * their resolution (for the broker address, which `given` may have left in the URL).
 * @throws InvalidArgumentError when an option for the real connection holds a function.
 */
export function hubOptionsOf(given: ClientOptions, resolved: ResolvedOptions): HubOptions {
  const options: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(given)) {
    if (TAB_ONLY.has(name) || value === undefined) continue;
    const path = functionIn(value, name);
    if (path !== undefined) {
      throw new InvalidArgumentError(`${path} is a function, which cannot reach the SharedWorker that holds the shared connection: drop it, or share without acrossTabs({ worker })`);
    }
    options[name] = value;
  }
  const { protocol, hostname, port, path, clientId, protocolVersion } = resolved;
  return { ...options, protocol, hostname, host: hostname, port, path, clientId, protocolVersion } as HubOptions;
}

/** Where `value` holds a function (`name.a.b`), if it does. Buffers and typed arrays clone as data. */
function functionIn(value: unknown, name: string): string | undefined {
  if (typeof value === 'function') return name;
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const found = functionIn(inner, `${name}.${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}
