/**
 * Broker URLs: `mqtt://user:pass@host:port/?clientId=x` read into connect options, the default
 * port of each scheme, and the URL with its password hidden for messages. Kept apart from
 * `resolveOptions` because `beforeConnect` and server references parse URLs long after it ran.
 */
import { InvalidArgumentError } from '../errors.js';
import type { ClientOptions, ServerAddress } from './client-options.js';

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

/** A broker URL (from `beforeConnect`) as an address, with the scheme's default port, and its credentials. */
export function serverOfUrl(url: string): { server: ServerAddress; username?: string; password?: string } {
  const parsed = parseBrokerUrl(url);
  const protocol = parsed.protocol ?? 'mqtt';
  const server: ServerAddress = { host: parsed.host ?? 'localhost', port: parsed.port ?? defaultPort(protocol), protocol };
  const out: { server: ServerAddress; username?: string; password?: string } = { server };
  if (parsed.username !== undefined) out.username = parsed.username;
  if (typeof parsed.password === 'string') out.password = parsed.password;
  return out;
}

/**
 * Whether `url` starts with a scheme as MQTT.js 5 (Node's legacy URL parser) finds one: `mqtt:`,
 * but also the `host:` of `host:1883`. MQTT.js throws "Missing protocol" for a URL without one
 * (`broker.example`, `//broker.example`); rxmqtt reads `host:1883` as `mqtt://host:1883`, where
 * MQTT.js would take `host` for an unknown scheme.
 */
export function hasScheme(url: string): boolean {
  return /^[a-z0-9.+-]+:/i.test(url);
}

/**
 * The text of a URL object: a WHATWG `URL`, or a legacy `url.parse` result (both have `href`
 * and a `protocol` ending in ':'); undefined for anything else (an options object).
 */
export function urlObjectHref(value: unknown): string | undefined {
  if (value instanceof URL) return value.href;
  if (typeof value !== 'object' || value === null) return undefined;
  const { href, protocol } = value as { href?: unknown; protocol?: unknown };
  return typeof href === 'string' && typeof protocol === 'string' && protocol.endsWith(':') ? href : undefined;
}

/** Parses `mqtt://user:pass@host:port/?clientId=x` with the WHATWG URL parser. */
export function parseBrokerUrl(url: string): ClientOptions {
  let parsed: URL;
  try {
    // `host:port` (see hasScheme) and a beforeConnect's bare host are read as mqtt://.
    parsed = new URL(url.includes('://') ? url : `mqtt://${url}`);
  } catch {
    throw new InvalidArgumentError(`Invalid broker URL: ${redactUrl(url)}`);
  }
  const out: ClientOptions = { protocol: parsed.protocol.replace(/:$/, ''), host: parsed.hostname.replace(/^\[|\]$/g, '') };
  // Only a Unix socket URL names no host (mqtt+unix:///path); anywhere else '' is a mistake.
  if (out.host === '' && !isUnixScheme(out.protocol!)) throw new InvalidArgumentError(`Invalid broker URL (no host): ${redactUrl(url)}`);
  if (parsed.port) out.port = Number(parsed.port);
  if (parsed.username) out.username = decodeUserinfo(parsed.username);
  if (parsed.password) out.password = decodeUserinfo(parsed.password);
  // `?clientId=` asks for the empty client id (the broker assigns one), as in MQTT.js.
  const clientId = parsed.searchParams.get('clientId');
  if (clientId !== null) out.clientId = clientId;
  // MQTT.js's `options.query` (informative: clientId is read above, a WebSocket keeps it in its path).
  if (parsed.search) out.query = Object.fromEntries(parsed.searchParams);
  if (parsed.pathname && parsed.pathname !== '/') out.path = parsed.pathname;
  // MQTT.js keeps a WebSocket URL's query in the path it requests (`ws://h/mqtt?token=x`).
  if (parsed.search && WEBSOCKET_SCHEMES.has(out.protocol!)) out.path = (out.path ?? '/') + parsed.search;
  return out;
}

/** `mqtt+unix`, `mqtts+unix`: a scheme naming a Unix domain socket (the URL path), as MQTT.js reads it. */
export function isUnixScheme(protocol: string): boolean {
  return protocol.endsWith('+unix');
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
