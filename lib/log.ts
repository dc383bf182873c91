/**
 * The one owner of the `debug` package. Namespaces are `rxmqtt:<area>`; enable with DEBUG=rxmqtt*.
 * Callers must pass packets through `redactPacket` before logging them.
 */
import createDebug from 'debug';

/**
 * `util.inspect.custom`, which Node defines as this registered symbol: named here so that the
 * logger (also in the browser and mini-program builds) needs no `node:util`.
 */
const INSPECT_CUSTOM = Symbol.for('nodejs.util.inspect.custom');

export interface Logger {
  (format: string, ...args: unknown[]): void;
  /** Whether anything would be printed: check it before building costly log arguments. */
  enabled: boolean;
}

export function createLogger(area: string): Logger {
  return createDebug(`rxmqtt:${area}`);
}

/** Wraps the MQTT.js `log` option (a plain function) as a Logger. */
export function customLogger(area: string, log: (...args: unknown[]) => void): Logger {
  const logger = ((format: string, ...args: unknown[]) => log(`rxmqtt:${area} ${format}`, ...args)) as Logger;
  logger.enabled = true;
  return logger;
}

/** A shallow copy of a packet that is safe to log: no password, no authentication data. */
export function redactPacket<T extends object>(packet: T): T {
  const p = packet as Record<string, unknown>;
  if (!('password' in p) && !('properties' in p)) return packet;
  const copy: Record<string, unknown> = { ...p };
  if (copy.password !== undefined) copy.password = '<redacted>';
  const props = copy.properties as Record<string, unknown> | undefined;
  if (props && props.authenticationData !== undefined) {
    copy.properties = { ...props, authenticationData: '<redacted>' };
  }
  return copy as T;
}

/** Connect options that are secrets: credentials and TLS private keys (certificates are public). */
const SECRET_OPTIONS = ['password', 'key', 'passphrase', 'pfx'];
/** WebSocket headers that carry credentials. */
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie)$/i;

/**
 * A shallow copy of connect options that is safe to print or serialise: password, TLS `key`,
 * `passphrase` and `pfx`, MQTT 5 authentication data and credential headers of `wsOptions` are
 * replaced by '<redacted>'. What `JSON.stringify(client.options)` and `util.inspect` show.
 */
export function redactOptions(options: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...options };
  for (const name of SECRET_OPTIONS) if (copy[name] !== undefined) copy[name] = '<redacted>';
  if (isObject(copy.properties)) copy.properties = redactPacket({ properties: copy.properties }).properties;
  if (isObject(copy.authPacket)) copy.authPacket = redactPacket(copy.authPacket);
  if (isObject(copy.wsOptions)) {
    const ws = redactOptions(copy.wsOptions);
    if (isObject(ws.headers)) {
      ws.headers = Object.fromEntries(Object.entries(ws.headers).map(([name, value]) => [name, SECRET_HEADER.test(name) ? '<redacted>' : value]));
    }
    copy.wsOptions = ws;
  }
  return copy;
}

/**
 * Makes `options` print and serialise redacted (see `redactOptions`) while every value stays
 * readable by code, as MQTT.js's `client.options.password` is. The two members are not
 * enumerable: spreading or copying the options does not carry them along.
 */
export function redactWhenPrinted<T extends object>(options: T): T {
  return Object.defineProperties(options, {
    toJSON: { value: printRedacted, enumerable: false, configurable: true, writable: true },
    [INSPECT_CUSTOM]: { value: printRedacted, enumerable: false, configurable: true, writable: true },
  });
}

/** `toJSON` and `inspect` of redacted options: one shared function (called on the options), not a closure per client. */
function printRedacted(this: Record<string, unknown>): Record<string, unknown> {
  return redactOptions(this);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}
