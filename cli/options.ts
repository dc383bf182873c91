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
  id?: string;
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
  debug?: boolean;
  noReconnect?: boolean;
  noClean?: boolean;
}

/** What a command needs to connect: the options for `connect()` and a printable address. */
export interface ConnectSettings {
  options: ClientOptions;
  /** `host:port`, for messages (never carries credentials). */
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
  url: { alias: 'L', type: 'string', group: CONNECTION, describe: 'Broker URL: mqtt[s]://[user[:pass]@]host[:port]' },
  id: { alias: 'i', type: 'string', group: CONNECTION, describe: 'Client id [default: mqttjs_<random>]' },
  username: { alias: 'u', type: 'string', group: CONNECTION, describe: 'User name' },
  password: { alias: 'P', type: 'string', group: CONNECTION, describe: 'Password (never printed)' },
  keepalive: { alias: 'k', type: 'number', group: CONNECTION, describe: 'Keepalive in seconds, 0 disables [default: 60]' },
  'protocol-version': {
    alias: 'V',
    type: 'string',
    group: CONNECTION,
    describe: 'MQTT version: 3, 4, 5, mqttv31, mqttv311 or mqttv5 [default: 4 (3.1.1)]',
  },
  'no-clean': { type: 'boolean', group: CONNECTION, describe: 'Keep the session (Clean Session/Clean Start 0); needs -i' },
  'no-reconnect': { type: 'boolean', group: CONNECTION, describe: 'Exit when the connection drops instead of reconnecting' },
  debug: { alias: 'd', type: 'boolean', group: CONNECTION, describe: 'Print connection events and every packet sent and received on stderr (secrets redacted)' },
  'will-topic': { type: 'string', group: WILL, describe: 'Topic of the will message' },
  'will-message': { type: 'string', group: WILL, describe: 'Payload of the will message [default: empty]' },
  'will-qos': { type: 'number', choices: [0, 1, 2], group: WILL, describe: 'QoS of the will message [default: 0]' },
  'will-retain': { type: 'boolean', group: WILL, describe: 'Retain the will message' },
  cafile: { type: 'string', group: TLS, describe: 'CA certificates (PEM) to verify the broker; implies TLS' },
  cert: { type: 'string', group: TLS, describe: 'Client certificate (PEM); needs --key; implies TLS' },
  key: { type: 'string', group: TLS, describe: 'Client private key (PEM); needs --cert; implies TLS' },
  insecure: { type: 'boolean', group: TLS, describe: 'Do not verify the broker certificate; implies TLS' },
  alpn: { type: 'string', array: true, group: TLS, describe: 'ALPN protocol(s), repeatable or comma-separated; implies TLS' },
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
    ...(flags.keepalive !== undefined && { keepalive: flags.keepalive }),
    ...(flags.noClean && { clean: false }),
    ...(flags.noReconnect && { reconnectPeriod: 0 }),
    ...willOf(flags),
    ...tlsOf(flags, readFile),
  };
  if (options.clean === false && !options.clientId) throw new UsageError('--no-clean needs a client id (-i/--id)');
  try {
    const resolved = resolveOptions(undefined, options);
    return { options, address: `${resolved.host}:${resolved.port}`, debug: flags.debug ?? false };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Host, port and scheme from -L, or from -h/-p (TLS when a TLS flag is given). */
function brokerAddress(flags: ConnectionFlags): ClientOptions {
  const tls = usesTls(flags);
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
  if (tls && (parsed.protocol === 'mqtt' || parsed.protocol === 'tcp')) {
    throw new UsageError(`TLS flags need an mqtts:// URL, got ${String(parsed.protocol)}://`);
  }
  return parsed;
}

/** -i/-u/-P win over the client id and credentials of the URL. */
function credentials(flags: ConnectionFlags): ClientOptions {
  return {
    ...(flags.id !== undefined && { clientId: flags.id }),
    ...(flags.username !== undefined && { username: flags.username }),
    ...(flags.password !== undefined && { password: flags.password }),
  };
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
  return Boolean(flags.cafile || flags.cert || flags.key || flags.insecure || (flags.alpn && flags.alpn.length > 0));
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
  };
}
