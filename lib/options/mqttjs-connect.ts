/**
 * What MQTT.js's `connect([url], options)` does to the options before it makes the client, beyond
 * what `resolveOptions` does for every client: its "Missing protocol" for `protocol: null`, its
 * `auth` option, and the upgrade to a secure protocol when a key and certificate are given. Kept
 * apart from `resolveOptions` because `new MqttClient(builder, options)` skips them in MQTT.js too.
 */
import { InvalidArgumentError } from '../errors.js';
import type { ClientOptions } from './client-options.js';

/**
 * The protocol a key and certificate make of each (MQTT.js upgrades mqtt, ws, wx and ali, and
 * throws for tls:// and ssl://, which rxmqtt keeps since they are secure already).
 */
const SECURE: Record<string, string> = { mqtt: 'mqtts', ws: 'wss', wx: 'wxs', ali: 'alis', mqtts: 'mqtts', wss: 'wss', wxs: 'wxs', alis: 'alis', tls: 'tls', ssl: 'ssl' };

/**
 * The options MQTT.js's `connect()` would hand its client, for `url` (if a string) and `options`.
 * Throws as MQTT.js does: "Missing protocol" when the options set `protocol: null` beside a URL,
 * "Missing secure protocol key" for a key and certificate with no protocol at all, and "Unknown
 * protocol for secure connection" for one with a protocol that has no secure version.
 *
 * @param url the broker URL, if one was given
 * @param options the options as the caller gave them (not changed)
 * @returns a copy with `username`/`password` from `auth` and the protocol made secure
 */
export function mqttjsConnectOptions(url: string | undefined, options: ClientOptions): ClientOptions {
  const out: ClientOptions = { ...options };
  // `{ protocol: null }` overrides the URL's scheme in MQTT.js, leaving it none.
  if (url && out.protocol === null) throw new InvalidArgumentError('Missing protocol');
  if (typeof out.auth === 'string') {
    // 'user:pass' splits at the last ':' (MQTT.js's greedy match); 'user' alone is a user name.
    const pair = /^(.+):(.+)$/.exec(out.auth);
    Object.assign(out, pair ? { username: pair[1], password: pair[2] } : { username: out.auth });
  }
  if (out.key && out.cert) {
    const given = (out.protocol ?? url?.split(':', 1)[0])?.replace(/:$/, '');
    if (!given) throw new InvalidArgumentError('Missing secure protocol key');
    // `mqtt+unix`: the socket is kept, the protocol upgraded (MQTT.js strips '+unix' first).
    const [name, unix = ''] = given.split(/(?=\+unix$)/);
    if (!SECURE[name]) throw new InvalidArgumentError(`Unknown protocol for secure connection: "${name}"!`);
    out.protocol = SECURE[name] + unix;
  }
  return out;
}
