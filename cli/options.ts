/**
 * The connection flags every client command shares (mosquitto_pub/mosquitto_sub names), and the
 * pure translation of those flags into `connect()` options. Nothing here touches the network or
 * the file system: files are read through the `readFile` the caller passes in.
 */
import type { Options } from 'yargs';
import type { ClientOptions, UserProperties, WillOptions } from '../lib/index.js';
import { parseBrokerUrl } from '../lib/options/broker-url.js';
import { resolveOptions } from '../lib/options/options.js';
import { UsageError } from './errors.js';

/** The parsed connection flags (yargs' camel-cased keys). */
export interface ConnectionFlags {
  host?: string;
  port?: number;
  url?: string;
  unix?: string;
  id?: string;
  idPrefix?: string;
  username?: string;
  password?: string;
  keepalive?: number;
  protocolVersion?: string | number;
  willTopic?: string;
  willMessage?: string;
  willQos?: number;
  willRetain?: boolean;
  cafile?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
  alpn?: string[];
  ciphers?: string;
  tlsVersion?: string;
  bindAddress?: string;
  debug?: boolean;
  noReconnect?: boolean;
  noClean?: boolean;
  sessionExpiry?: string;
}

/** What a command needs to connect: the options for `connect()` and a printable address. */
export interface ConnectSettings {
  options: ClientOptions;
  /** `host:port`, or the socket path of a Unix socket, for messages (never carries credentials). */
  address: string;
  /** -d: print connection events and every packet on stderr. */
  debug: boolean;
}

const CONNECTION = 'Connection:';
const TLS = 'TLS:';
const WILL = 'Will:';

/** yargs definitions of the connection flags. `-h` is the host, as in mosquitto: help is `--help`. */
export const CONNECTION_FLAGS = {
  host: { alias: 'h', type: 'string', group: CONNECTION, describe: 'Broker host [default: localhost]' },
  port: { alias: 'p', type: 'number', group: CONNECTION, describe: 'Broker port [default: 1883, 8883 with TLS]' },
  url: { alias: 'L', type: 'string', group: CONNECTION, describe: 'Broker URL: mqtt://, mqtts://, ws://, wss:// or mqtt+unix:// (e.g. mqtts://user:pass@host:8883, ws://host:8080/mqtt, mqtt+unix:///run/mqtt.sock)' },
  unix: { type: 'string', requiresArg: true, group: CONNECTION, describe: 'Connect through this Unix domain socket instead of TCP' },
  id: { alias: 'i', type: 'string', group: CONNECTION, describe: 'Client id [default: mqttjs_<random>]' },
  'id-prefix': { alias: 'I', type: 'string', requiresArg: true, group: CONNECTION, describe: 'Client id: this prefix followed by the process id' },
  username: { alias: 'u', type: 'string', group: CONNECTION, describe: 'User name' },
  password: { alias: 'P', type: 'string', group: CONNECTION, describe: 'Password (never printed)' },
  keepalive: { alias: 'k', type: 'number', group: CONNECTION, describe: 'Keepalive in seconds, 0 disables [default: 60]' },
  'protocol-version': {
    alias: 'V',
    type: 'string',
    group: CONNECTION,
    describe: 'MQTT version: 3, 4, 5, mqttv31, mqttv311 or mqttv5 [default: 4 (3.1.1)]',
  },
  'no-clean': { alias: 'c', type: 'boolean', group: CONNECTION, describe: 'Keep the session (Clean Session/Clean Start 0); needs -i' },
  'bind-address': { alias: 'A', type: 'string', requiresArg: true, group: CONNECTION, describe: 'Local address to connect from (picks the interface)' },
  nodelay: { type: 'boolean', group: CONNECTION, describe: "Accepted for mosquitto's sake: Nagle's algorithm is always off" },
  'session-expiry': {
    alias: 'x',
    type: 'string',
    requiresArg: true,
    group: CONNECTION,
    describe: 'MQTT 5 Session Expiry Interval in seconds; -1 or ∞: the session never expires [default: 0]',
  },
  'no-reconnect': { type: 'boolean', group: CONNECTION, describe: 'Exit when the connection drops instead of reconnecting' },
  debug: { alias: 'd', type: 'boolean', group: CONNECTION, describe: 'Print connection events and every packet sent and received on stderr (secrets redacted)' },
  'will-topic': { type: 'string', group: WILL, describe: 'Topic of the will message' },
  'will-message': { alias: 'will-payload', type: 'string', group: WILL, describe: 'Payload of the will message [default: empty]' },
  'will-qos': { type: 'number', choices: [0, 1, 2], group: WILL, describe: 'QoS of the will message [default: 0]' },
  'will-retain': { type: 'boolean', group: WILL, describe: 'Retain the will message' },
  cafile: { type: 'string', group: TLS, describe: 'CA certificates (PEM) to verify the broker; implies TLS' },
  cert: { type: 'string', group: TLS, describe: 'Client certificate (PEM); needs --key; implies TLS' },
  key: { type: 'string', group: TLS, describe: 'Client private key (PEM); needs --cert; implies TLS' },
  insecure: { type: 'boolean', group: TLS, describe: 'Do not verify the broker certificate; implies TLS' },
  ciphers: { type: 'string', requiresArg: true, group: TLS, describe: 'OpenSSL cipher list; implies TLS' },
  'tls-version': { type: 'string', requiresArg: true, group: TLS, describe: 'Only this TLS version: tlsv1.3, tlsv1.2 or tlsv1.1; implies TLS' },
  alpn: { alias: 'tls-alpn', type: 'string', array: true, group: TLS, describe: 'ALPN protocol(s), repeatable or comma-separated; implies TLS' },
} as const satisfies Record<string, Options>;

/** `3`, `4`, `5`, `31`, `311`, `mqttv31`, `mqttv311`, `mqttv5` -> the protocolVersion option. */
export function parseProtocolVersion(value: string | number | undefined): 3 | 4 | 5 {
  if (value === undefined) return 4;
  const text = String(value).trim().toLowerCase().replace(/^mqttv/, '');
  switch (text) {
    case '3':
    case '31':
      return 3;
    case '4':
    case '311':
      return 4;
    case '5':
    case '50':
      return 5;
    default:
      throw new UsageError(`Unknown protocol version "${String(value)}": use 3, 4, 5, mqttv31, mqttv311 or mqttv5`);
  }
}

/** `['a=1', 'b=2', 'a=3']` -> `{ a: ['1', '3'], b: '2' }` (MQTT 5 user properties may repeat). */
export function parseUserProperties(pairs: readonly string[] | undefined): UserProperties | undefined {
  if (!pairs || pairs.length === 0) return undefined;
  const out: UserProperties = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--user-property needs key=value, got "${pair}"`);
    const key = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const previous = out[key];
    out[key] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return out;
}

/**
 * Turns the connection flags into `connect()` options, checking them the way the library would
 * (a bad port or URL is a usage error here, before any socket is opened).
 *
 * @param flags The parsed flags.
 * @param readFile Reads the --cafile/--cert/--key files.
 * @returns The options and the broker's `host:port`.
 */
export function toConnectSettings(flags: ConnectionFlags, readFile: (path: string) => Buffer): ConnectSettings {
  const protocolVersion = parseProtocolVersion(flags.protocolVersion);
  const options: ClientOptions = {
    ...brokerAddress(flags),
    protocolVersion,
    ...credentials(flags),
    ...sessionExpiryOf(flags, protocolVersion),
    ...(flags.keepalive !== undefined && { keepalive: flags.keepalive }),
    ...(flags.bindAddress !== undefined && { localAddress: flags.bindAddress }),
    ...(flags.noClean && { clean: false }),
    ...(flags.noReconnect && { reconnectPeriod: 0 }),
    ...willOf(flags),
    ...tlsOf(flags, readFile),
  };
  if (options.clean === false && !options.clientId) throw new UsageError('--no-clean needs a client id (-i/--id)');
  try {
    const resolved = resolveOptions(undefined, options);
    // A Unix socket has no port: name its path, which is what a user has to check.
    const address = resolved.unixSocket && resolved.path ? resolved.path : `${resolved.host}:${resolved.port}`;
    return { options, address, debug: flags.debug ?? false };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Host, port and scheme from -L, or from -h/-p (TLS when a TLS flag is given). */
function brokerAddress(flags: ConnectionFlags): ClientOptions {
  const tls = usesTls(flags);
  if (flags.unix !== undefined) {
    if (flags.url !== undefined || flags.host !== undefined || flags.port !== undefined) {
      throw new UsageError('--unix cannot be combined with -L/--url, -h/--host or -p/--port');
    }
    if (flags.unix === '') throw new UsageError('--unix needs the path of the socket file');
    return { protocol: tls ? 'mqtts' : 'mqtt', unixSocket: true, path: flags.unix };
  }
  if (flags.url === undefined) {
    return { protocol: tls ? 'mqtts' : 'mqtt', host: flags.host ?? 'localhost', ...(flags.port !== undefined && { port: flags.port }) };
  }
  if (flags.host !== undefined || flags.port !== undefined) {
    throw new UsageError('-L/--url cannot be combined with -h/--host or -p/--port');
  }
  let parsed: ClientOptions;
  try {
    parsed = parseBrokerUrl(flags.url);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  // Over ws:// the TLS options would be dropped without a word: the user meant wss://.
  if (tls && (parsed.protocol === 'mqtt' || parsed.protocol === 'tcp' || parsed.protocol === 'ws')) {
    throw new UsageError(`TLS flags need an mqtts:// or wss:// URL, got ${String(parsed.protocol)}://`);
  }
  return parsed;
}

/** -i/-I/-u/-P win over the client id and credentials of the URL. */
function credentials(flags: ConnectionFlags): ClientOptions {
  if (flags.id !== undefined && flags.idPrefix !== undefined) throw new UsageError('Give -i/--id or -I/--id-prefix, not both');
  return {
    ...(flags.id !== undefined && { clientId: flags.id }),
    // mosquitto -I: the prefix and the process id, so brokers with clientid_prefixes accept it.
    ...(flags.idPrefix !== undefined && { clientId: `${flags.idPrefix}${process.pid}` }),
    ...(flags.username !== undefined && { username: flags.username }),
    ...(flags.password !== undefined && { password: flags.password }),
  };
}

/** The largest Session Expiry Interval: the session never expires (3.1.2.11.2). */
const NEVER_EXPIRES = 0xffffffff;

/** -x as mosquitto reads it: seconds, or -1 / ∞ / 4294967295 for a session that never expires. */
function sessionExpiryOf(flags: ConnectionFlags, protocolVersion: 3 | 4 | 5): ClientOptions {
  const text = flags.sessionExpiry;
  // As mosquitto's -c: on MQTT 5 a persistent session never expires unless -x says otherwise
  // (without a Session Expiry Interval the broker ends the session at disconnect, 3.1.2.11.2).
  if (text === undefined) return flags.noClean && protocolVersion === 5 ? { properties: { sessionExpiryInterval: NEVER_EXPIRES } } : {};
  if (protocolVersion !== 5) throw new UsageError('-x/--session-expiry needs MQTT 5 (-V 5)');
  const seconds = text === '-1' || text === '∞' ? NEVER_EXPIRES : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(seconds >= 0 && seconds <= NEVER_EXPIRES)) {
    throw new UsageError(`-x/--session-expiry must be seconds from 0 to ${NEVER_EXPIRES}, or -1 for never, got "${text}"`);
  }
  return { properties: { sessionExpiryInterval: seconds } };
}

function willOf(flags: ConnectionFlags): { will?: WillOptions } {
  if (flags.willTopic === undefined) {
    if (flags.willMessage !== undefined || flags.willQos !== undefined || flags.willRetain) {
      throw new UsageError('--will-message, --will-qos and --will-retain need --will-topic');
    }
    return {};
  }
  const qos = (flags.willQos ?? 0) as 0 | 1 | 2;
  return { will: { topic: flags.willTopic, payload: Buffer.from(flags.willMessage ?? ''), qos, retain: flags.willRetain ?? false } };
}

function usesTls(flags: ConnectionFlags): boolean {
  return Boolean(
    flags.cafile || flags.cert || flags.key || flags.insecure || flags.ciphers || flags.tlsVersion || (flags.alpn && flags.alpn.length > 0),
  );
}

function tlsOf(flags: ConnectionFlags, readFile: (path: string) => Buffer): ClientOptions {
  if ((flags.cert === undefined) !== (flags.key === undefined)) throw new UsageError('--cert and --key go together');
  const read = (flag: string, path: string) => {
    try {
      return readFile(path);
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new UsageError(`Cannot read ${flag} "${path}": ${code ?? (error as Error).message}`);
    }
  };
  const alpn = flags.alpn?.flatMap((entry) => entry.split(',')).map((entry) => entry.trim()).filter(Boolean);
  return {
    ...(flags.cafile !== undefined && { ca: read('--cafile', flags.cafile) }),
    ...(flags.cert !== undefined && { cert: read('--cert', flags.cert) }),
    ...(flags.key !== undefined && { key: read('--key', flags.key) }),
    ...(flags.insecure && { rejectUnauthorized: false }),
    ...(alpn && alpn.length > 0 && { ALPNProtocols: alpn }),
    ...(flags.ciphers !== undefined && { ciphers: flags.ciphers }),
    ...tlsVersionOf(flags.tlsVersion),
  };
}

const TLS_VERSIONS = { 'tlsv1.3': 'TLSv1.3', 'tlsv1.2': 'TLSv1.2', 'tlsv1.1': 'TLSv1.1' } as const;

/** mosquitto's --tls-version: that version and no other. */
function tlsVersionOf(name: string | undefined): ClientOptions {
  if (name === undefined) return {};
  const version = TLS_VERSIONS[name.toLowerCase() as keyof typeof TLS_VERSIONS];
  if (!version) throw new UsageError(`--tls-version must be tlsv1.3, tlsv1.2 or tlsv1.1, got "${name}"`);
  return { minVersion: version, maxVersion: version };
}
