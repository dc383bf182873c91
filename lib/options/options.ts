/**
 * The one function that turns a URL + `ClientOptions` into validated, defaulted settings
 * (`ResolvedOptions`): MQTT.js's defaults, rxmqtt's additions, and the checks that make a bad
 * option throw at the call rather than at the first connect.
 */
import { resolveBackoff } from '../connection/backoff-policy.js';
import { MAX_MQTT_PACKET_SIZE } from '../protocol/codec.js';
import { InvalidArgumentError } from '../errors.js';
import { redactWhenPrinted } from '../log.js';
import { connectProperties } from '../session/connect-properties.js';
import { defaultPort, isUnixScheme, parseBrokerUrl } from './broker-url.js';
import type { ClientOptions, ReconnectPolicy } from './client-options.js';
import { checkCredentials, checkWill } from './options-checks.js';
import { schedulerOfTimerVariant } from '../platform/timer-variant.js';
import { resolveOfflineQueue, type OfflineQueueLimits } from './offline-queue-options.js';


/** The options with their defaults applied and the URL merged in. */
export interface ResolvedOptions extends ClientOptions {
  /** Without `+unix`: that is `unixSocket`. */
  protocol: string;
  unixSocket: boolean;
  hostname: string;
  host: string;
  port: number;
  keepalive: number;
  reschedulePings: boolean;
  clientId: string;
  protocolId: 'MQTT' | 'MQIsdp';
  protocolVersion: 3 | 4 | 5;
  clean: boolean;
  reconnectPeriod: number;
  /** undefined: the MQTT.js fixed `reconnectPeriod`. */
  reconnect?: ReconnectPolicy;
  reconnectOnConnackError: boolean;
  connectTimeout: number;
  queueQoSZero: boolean;
  autoUseTopicAlias: boolean;
  autoAssignTopicAlias: boolean;
  /** undefined: unbounded. */
  offlineQueue?: OfflineQueueLimits;
  resubscribe: boolean;
  noDelay: boolean;
  endTimeout: number;
  maximumIncomingPacketSize: number;
}

/**
 * Without a limit a broker could announce a 256 MB packet and have us buffer it as it streams.
 * 16 MiB keeps that bounded while letting real payloads through: it is 16 times EMQX's default
 * `max_packet_size` (1 MB), 128 times AWS IoT's 128 KB, and far above what our own tests send
 * (1 MiB). Larger messages need `maximumIncomingPacketSize` raised, deliberately.
 */
export const DEFAULT_MAXIMUM_INCOMING_PACKET_SIZE = 16 * 1024 * 1024;

const TCP_OR_TLS = new Set(['mqtt', 'tcp', 'mqtts', 'tls', 'ssl']);

/**
 * The client id used when none is given: `mqttjs_` and 8 hex digits, as MQTT.js makes it, so that
 * an app moving over keeps matching broker ACLs and dashboards keyed on that prefix.
 */
export function randomClientId(): string {
  // Web Crypto, not node:crypto: the same code runs in browsers (Node >= 20 has it too).
  return 'mqttjs_' + Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(4))).toString('hex');
}

/**
 * Merges a broker URL into the options and applies MQTT.js's defaults.
 * Throws InvalidArgumentError for a URL or option that can never work.
 */
export function resolveOptions(url: string | undefined, options: ClientOptions = {}): ResolvedOptions {
  if (url !== undefined && typeof url !== 'string') throw new InvalidArgumentError(`The broker URL must be a string, got ${typeof url}`);
  const merged: ClientOptions = { ...options };
  if (url !== undefined) Object.assign(merged, parseBrokerUrl(url), stripUndefined(options));
  const given = (merged.protocol ?? 'mqtt').replace(/:$/, '');
  // MQTT.js: `mqtt+unix://` (or `unixSocket: true`) connects to the Unix socket at `path`, over
  // the protocol without its `+unix` (mqtt, or mqtts for TLS over the socket).
  const unixSocket = merged.unixSocket === true || isUnixScheme(given);
  const protocol = given.replace(/\+unix$/, '');
  const protocolVersion = merged.protocolVersion ?? 4;
  if (protocolVersion !== 3 && protocolVersion !== 4 && protocolVersion !== 5) {
    throw new InvalidArgumentError(`protocolVersion must be 3, 4 or 5, got ${String(protocolVersion)}`);
  }
  const clean = merged.clean ?? true;
  // [MQTT-3.1.3-7] a server may reject an empty client id with clean=0: demand one up front.
  // The message is MQTT.js's, which apps compare.
  if (!clean && !merged.clientId) throw new InvalidArgumentError('Missing clientId for unclean clients');
  // [MQTT-3.1.2-22] before MQTT 5 a password may only be sent with a user name.
  if (protocolVersion !== 5 && merged.password !== undefined && merged.username === undefined) {
    throw new InvalidArgumentError('A password needs a username before MQTT 5 (protocolVersion 3 and 4)');
  }
  const host = merged.hostname ?? merged.host ?? 'localhost';
  // `scheduler` (rxmqtt) wins over MQTT.js's `timerVariant`, which only picks one.
  const scheduler = merged.scheduler ?? timerVariantScheduler(merged.timerVariant);
  const defaults = {
    protocol,
    unixSocket,
    host,
    // MQTT.js's TCP stream builder sets it so; apps and its tests read it.
    hostname: host,
    port: Number(merged.port ?? defaultPort(protocol)),
    keepalive: merged.keepalive ?? 60,
    reschedulePings: merged.reschedulePings ?? true,
    clientId: merged.clientId ?? randomClientId(),
    protocolId: merged.protocolId ?? (protocolVersion === 3 ? 'MQIsdp' : 'MQTT'),
    protocolVersion,
    clean,
    reconnectPeriod: merged.reconnectPeriod ?? 1000,
    reconnect: resolveReconnect(merged.reconnect, merged.reconnectPeriod),
    reconnectOnConnackError: merged.reconnectOnConnackError ?? false,
    connectTimeout: merged.connectTimeout ?? 30_000,
    queueQoSZero: merged.queueQoSZero ?? true,
    autoUseTopicAlias: merged.autoUseTopicAlias ?? false,
    autoAssignTopicAlias: merged.autoAssignTopicAlias ?? false,
    offlineQueue: resolveOfflineQueue(merged.offlineQueue),
    resubscribe: merged.resubscribe ?? true,
    noDelay: merged.noDelay ?? true,
    endTimeout: merged.endTimeout ?? 30_000,
    maximumIncomingPacketSize: merged.maximumIncomingPacketSize ?? DEFAULT_MAXIMUM_INCOMING_PACKET_SIZE,
    ...(scheduler && { scheduler }),
  };
  // As MQTT.js: a path means something to WebSocket, mini-program and Unix socket connections
  // only; on TCP or TLS (`mqtt://host/x`) it is dropped rather than carried into tls.connect.
  const kept = !unixSocket && TCP_OR_TLS.has(protocol) && !merged.servers?.length ? withoutPath(merged) : merged;
  // An own `__proto__` key must stay a plain property, as a spread makes it, not set the prototype
  // as assigning would. The result is copied twice more: an object that got more than a dozen
  // properties added one by one (by Object.assign, a spread followed by more, or after a delete)
  // is a dictionary, about 1.8 KB per client; a spread of it gives each client's options a hidden
  // class of its own (1.1 KB); Object.assign of that spread into {} copies its hidden class, one
  // that all clients with the same option names share (about 0.5 KB, the client id included).
  const resolved: ResolvedOptions = Object.prototype.hasOwnProperty.call(kept, '__proto__')
    ? { ...kept, ...defaults }
    : Object.assign({}, { ...Object.assign({}, kept, defaults) });
  checkCredentials(resolved);
  checkWill(resolved.will);
  checkNumber('keepalive', resolved.keepalive, 0, 65535);
  checkNumber('reconnectPeriod', resolved.reconnectPeriod, 0, 2 ** 31 - 1);
  checkNumber('connectTimeout', resolved.connectTimeout, 0, 2 ** 31 - 1);
  if (resolved.reauthTimeout !== undefined) checkNumber('reauthTimeout', resolved.reauthTimeout, 1, 2 ** 31 - 1);
  checkNumber('port', resolved.port, 0, 65535);
  if (resolved.topicLinger !== undefined) checkNumber('topicLinger', resolved.topicLinger, 0, 2 ** 31 - 1);
  // 2 bytes is the smallest packet (PINGRESP); a limit below it could accept nothing.
  checkNumber('maximumIncomingPacketSize', resolved.maximumIncomingPacketSize, 2, MAX_MQTT_PACKET_SIZE);
  if (resolved.subscribeBatchSize != null) checkNumber('subscribeBatchSize', resolved.subscribeBatchSize, 1, 65535);
  if (resolved.maxUnackedMessages !== undefined) checkNumber('maxUnackedMessages', resolved.maxUnackedMessages, 1, 2 ** 31 - 1);
  if (resolved.beforeConnect !== undefined && typeof resolved.beforeConnect !== 'function') {
    throw new InvalidArgumentError('beforeConnect must be a function');
  }
  if (resolved.handleAuth !== undefined && typeof resolved.handleAuth !== 'function') {
    throw new InvalidArgumentError('handleAuth must be a function');
  }
  return redactWhenPrinted(resolved);
}

/**
 * Why no CONNECT can be built from these options, or undefined: checked when connecting, not when
 * the client is made, because MQTT.js reports it then, on 'error', with the client ended (an app
 * listening for 'error' must hear it rather than have the constructor throw).
 * 3.1.2.11.10: Authentication Data without an Authentication Method is a Protocol Error.
 */
export function connectOptionsError(options: ResolvedOptions): InvalidArgumentError | undefined {
  const auth = options.protocolVersion === 5 ? connectProperties(options) : undefined;
  if (auth?.authenticationData === undefined || auth.authenticationMethod !== undefined) return undefined;
  return new InvalidArgumentError('Packet has no Authentication Method');
}

/**
 * The `reconnect` option with its defaults, or undefined for MQTT.js's fixed period. A user who
 * set `reconnectPeriod` meant "wait this long first", so it becomes the default `initialDelay`.
 * Idempotent: a resolved policy resolves to itself.
 */
function resolveReconnect(reconnect: ClientOptions['reconnect'], reconnectPeriod: number | undefined): ReconnectPolicy | undefined {
  if (reconnect === undefined || reconnect === false) return undefined;
  if (reconnect !== true && (typeof reconnect !== 'object' || reconnect === null)) {
    throw new InvalidArgumentError(`reconnect must be a boolean or an object, got ${typeof reconnect}`);
  }
  const { random, ...backoff } = reconnect === true ? {} : reconnect;
  if (random !== undefined && typeof random !== 'function') throw new InvalidArgumentError('reconnect.random must be a function');
  const policy = resolveBackoff(backoff, reconnectPeriod ? { initialDelay: reconnectPeriod } : {}, 'reconnect');
  return random ? { ...policy, random } : policy;
}

function checkNumber(name: string, value: number, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}, got ${String(value)}`);
  }
}

function withoutPath({ path: _path, ...rest }: ClientOptions): ClientOptions {
  return rest;
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function timerVariantScheduler(variant: unknown) {
  try {
    return schedulerOfTimerVariant(variant);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}
