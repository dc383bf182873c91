/**
 * What MQTT.js's `connect([url], options)` does to the options before it makes the client, beyond
 * what `resolveOptions` does for every client: its errors for a missing protocol, its `auth`
 * option, `query`, and the upgrade to a secure protocol when a key and certificate are given.
 * Kept apart from `resolveOptions` because `new MqttClient(builder, options)` skips them in
 * MQTT.js too.
 */
import { InvalidArgumentError } from '../errors.js';
import { queryOfUrl } from './broker-url.js';
import type { ClientOptions } from './client-options.js';

/** The protocol a key and certificate turn each plain one into (MQTT.js). */
const SECURE_VERSION_OF: Record<string, string> = { mqtt: 'mqtts', ws: 'wss', wx: 'wxs', ali: 'alis' };
/** Already secure; MQTT.js accepts only mqtts, wss, wxs and alis, and throws for tls:// and ssl://. */
const SECURE = new Set(['mqtts', 'tls', 'ssl', 'wss', 'wxs', 'alis']);

/**
 * The options MQTT.js's `connect()` would hand its client, for `url` (if a string) and `options`.
 * Throws as MQTT.js does: "Missing protocol" when the options set `protocol: null` beside a URL,
 * "Missing secure protocol key" for a key and certificate with no protocol at all, and "Unknown
 * protocol for secure connection" for one with a protocol that has no secure version.
 *
 * @param url the broker URL, if one was given
 * @param options the options as the caller gave them (not changed)
 * @returns a copy with `username`/`password` from `auth`, `query` from the URL, the protocol made secure
 */
export function mqttjsConnectOptions(url: string | undefined, options: ClientOptions): ClientOptions {
  const out: ClientOptions = { ...options };
  if (url !== undefined && url !== '') {
    // `{ protocol: null }` overrides the URL's scheme in MQTT.js, leaving it none.
    if (out.protocol === null) throw new InvalidArgumentError('Missing protocol');
    if (out.query === undefined) out.query = queryOfUrl(url);
  }
  if (typeof out.auth === 'string') Object.assign(out, credentialsOfAuth(out.auth));
  if (out.key && out.cert) out.protocol = secureProtocol(url, out.protocol);
  return out;
}

/** `auth: 'user:pass'` (split at the last ':', as MQTT.js's greedy match does) or `auth: 'user'`. */
function credentialsOfAuth(auth: string): { username: string; password?: string } {
  const match = /^(.+):(.+)$/.exec(auth);
  return match ? { username: match[1], password: match[2] } : { username: auth };
}

function secureProtocol(url: string | undefined, protocol: unknown): string {
  const given = typeof protocol === 'string' ? protocol : url ? /^([a-z0-9.+-]+):/i.exec(url)?.[1] : undefined;
  if (!given) throw new InvalidArgumentError('Missing secure protocol key');
  const name = given.replace(/:$/, '');
  if (SECURE.has(name) || name.endsWith('s+unix')) return name;
  const secure = SECURE_VERSION_OF[name.replace(/\+unix$/, '')];
  if (!secure) throw new InvalidArgumentError(`Unknown protocol for secure connection: "${name}"!`);
  return name.endsWith('+unix') ? `${secure}+unix` : secure;
}
