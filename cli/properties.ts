/**
 * `-D/--property command identifier value`: MQTT 5 properties given the way mosquitto_pub,
 * mosquitto_sub and mosquitto_rr take them, checked against one table and sorted by the packet
 * they go into. Pure: nothing here touches the network.
 *
 * ```
 * -D connect session-expiry-interval 3600      -> options.properties.sessionExpiryInterval
 * -D publish user-property unit celsius        -> publish properties.userProperties.unit
 * -D will content-type text/plain              -> options.will.properties.contentType
 * -D subscribe subscription-identifier 5       -> subscribe properties.subscriptionIdentifier
 * ```
 */
import type { Options } from 'yargs';
import type { ClientOptions, UserProperties } from '../lib/index.js';
import { UsageError } from './errors.js';

/** The packets a `-D` property can go into (mosquitto's command names). */
export const PROPERTY_COMMANDS = ['connect', 'publish', 'subscribe', 'unsubscribe', 'disconnect', 'will'] as const;
export type PropertyCommand = (typeof PROPERTY_COMMANDS)[number];

/** How a value is written on the command line and checked: the MQTT 5 data types (2.2.2.2). */
type ValueType = 'flag' | 'int16' | 'int32' | 'varint' | 'string' | 'binary' | 'pair';

interface PropertySpec {
  /** The property key in mqtt-packet's packet objects. */
  key: string;
  type: ValueType;
  /** The packets that may carry it, from the tables of MQTT 5 section 3 (and mosquitto's -D table). */
  commands: readonly PropertyCommand[];
}

/**
 * Every property a client may send, by mosquitto's name. Server-only properties (maximum-qos,
 * assigned-client-identifier, server-keep-alive...) are absent: a client never sends them.
 */
export const PROPERTY_TABLE: Readonly<Record<string, PropertySpec>> = {
  'payload-format-indicator': { key: 'payloadFormatIndicator', type: 'flag', commands: ['publish', 'will'] },
  'message-expiry-interval': { key: 'messageExpiryInterval', type: 'int32', commands: ['publish', 'will'] },
  'content-type': { key: 'contentType', type: 'string', commands: ['publish', 'will'] },
  'response-topic': { key: 'responseTopic', type: 'string', commands: ['publish', 'will'] },
  'correlation-data': { key: 'correlationData', type: 'binary', commands: ['publish', 'will'] },
  'subscription-identifier': { key: 'subscriptionIdentifier', type: 'varint', commands: ['subscribe'] },
  'session-expiry-interval': { key: 'sessionExpiryInterval', type: 'int32', commands: ['connect', 'disconnect'] },
  'authentication-method': { key: 'authenticationMethod', type: 'string', commands: ['connect'] },
  'authentication-data': { key: 'authenticationData', type: 'binary', commands: ['connect'] },
  'request-problem-information': { key: 'requestProblemInformation', type: 'flag', commands: ['connect'] },
  'will-delay-interval': { key: 'willDelayInterval', type: 'int32', commands: ['will'] },
  'request-response-information': { key: 'requestResponseInformation', type: 'flag', commands: ['connect'] },
  'reason-string': { key: 'reasonString', type: 'string', commands: ['disconnect'] },
  'receive-maximum': { key: 'receiveMaximum', type: 'int16', commands: ['connect'] },
  'topic-alias-maximum': { key: 'topicAliasMaximum', type: 'int16', commands: ['connect'] },
  'topic-alias': { key: 'topicAlias', type: 'int16', commands: ['publish'] },
  'maximum-packet-size': { key: 'maximumPacketSize', type: 'int32', commands: ['connect'] },
  'user-property': { key: 'userProperties', type: 'pair', commands: ['connect', 'publish', 'subscribe', 'unsubscribe', 'disconnect', 'will'] },
};

/** The properties of each packet, keyed as mqtt-packet keys them. */
export type PropertySets = Partial<Record<PropertyCommand, Record<string, unknown>>>;

/** The `-D` flag, shared by pub, sub and rr. */
export const PROPERTY_FLAGS = {
  property: {
    alias: 'D',
    type: 'string',
    array: true,
    requiresArg: true,
    group: 'MQTT 5 properties (need -V 5):',
    describe: 'MQTT 5 property: -D command identifier value, or -D command user-property key value (repeatable)',
  },
} as const satisfies Record<string, Options>;

export interface PropertyFlags {
  property?: string[];
}

/**
 * Reads the words that followed every `-D` (yargs collects them into one array) into the
 * properties of each packet. Each property takes three words, a user property four.
 *
 * @param words `['publish', 'content-type', 'text/plain', 'connect', 'user-property', 'k', 'v']`
 * @param allowed The packets this command sends.
 * @returns The properties by packet; empty when there are no words.
 * @throws UsageError for an unknown command or property, a pair the packet cannot carry, a bad value.
 */
export function parsePropertyWords(words: readonly string[] | undefined, allowed: readonly PropertyCommand[]): PropertySets {
  const sets: PropertySets = {};
  if (!words) return sets;
  for (let index = 0; index < words.length; ) {
    const [command, name] = [words[index], words[index + 1]];
    const spec = name === undefined ? undefined : PROPERTY_TABLE[name];
    if (!(PROPERTY_COMMANDS as readonly string[]).includes(command)) {
      throw new UsageError(`-D: unknown command "${command}": use ${allowed.join(', ')}`);
    }
    if (!allowed.includes(command as PropertyCommand)) {
      throw new UsageError(`-D: this command sends no ${command.toUpperCase()} packet: use ${allowed.join(', ')}`);
    }
    if (name === undefined) throw new UsageError(`-D ${command}: missing property name and value`);
    if (!spec) throw new UsageError(`-D ${command}: unknown property "${name}"`);
    if (!spec.commands.includes(command as PropertyCommand)) {
      throw new UsageError(`-D: ${name} is not allowed in ${command.toUpperCase()} (allowed in: ${spec.commands.join(', ')})`);
    }
    const arity = spec.type === 'pair' ? 2 : 1;
    const values = words.slice(index + 2, index + 2 + arity);
    if (values.length < arity) throw new UsageError(`-D ${command} ${name}: needs ${spec.type === 'pair' ? 'a key and a value' : 'a value'}`);
    const set = (sets[command as PropertyCommand] ??= {});
    addProperty(set, name, spec, values);
    index += 2 + arity;
  }
  return sets;
}

function addProperty(set: Record<string, unknown>, name: string, spec: PropertySpec, values: string[]): void {
  if (spec.type === 'pair') {
    // User properties may repeat, and the same key may appear more than once (3.3.2.3.7).
    const pairs = (set.userProperties ??= {}) as UserProperties;
    const [key, value] = values as [string, string];
    const previous = pairs[key];
    pairs[key] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
    return;
  }
  if (set[spec.key] !== undefined) throw new UsageError(`-D: ${name} given twice for the same packet (it may appear only once)`);
  set[spec.key] = parseValue(name, spec.type, values[0]!);
}

const LIMITS = { int16: 0xffff, int32: 0xffffffff, varint: 268_435_455 } as const;

function parseValue(name: string, type: Exclude<ValueType, 'pair'>, text: string): unknown {
  switch (type) {
    case 'string':
      return text;
    case 'binary':
      if (Buffer.byteLength(text) > 0xffff) throw new UsageError(`-D ${name}: longer than 65535 bytes`);
      return Buffer.from(text);
    case 'flag':
      // Payload Format Indicator, Request Problem/Response Information: 0 or 1, anything else is a
      // Protocol Error (3.1.2.11.6, 3.1.2.11.7, 3.3.2.3.2); mqtt-packet writes them from booleans.
      if (text !== '0' && text !== '1') throw new UsageError(`-D ${name}: must be 0 or 1, got "${text}"`);
      return text === '1';
    case 'int16':
    case 'int32':
    case 'varint':
      return parseInteger(name, text, type === 'varint' ? 1 : 0, LIMITS[type]);
    default: {
      const unexpected: never = type;
      throw new TypeError(`Unknown property type ${String(unexpected)}`);
    }
  }
}

/** A decimal integer in [min, max]; a Subscription Identifier of 0 is a Protocol Error (3.8.2.1.2). */
function parseInteger(name: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) throw new UsageError(`-D ${name}: must be an integer from ${min} to ${max}, got "${text}"`);
  return value;
}

/**
 * Puts the CONNECT and will properties into the connect options (on top of what other flags set).
 *
 * @throws UsageError when properties are given without MQTT 5, or will properties without a will.
 */
export function withConnectProperties(options: ClientOptions, sets: PropertySets): ClientOptions {
  if (Object.keys(sets).length === 0) return options;
  if (options.protocolVersion !== 5) throw new UsageError('-D/--property needs MQTT 5 (-V 5)');
  let out = options;
  if (sets.connect) out = { ...out, properties: { ...out.properties, ...sets.connect } };
  if (sets.will) {
    if (!out.will) throw new UsageError('-D will ... needs --will-topic');
    out = { ...out, will: { ...out.will, properties: { ...out.will.properties, ...sets.will } } };
  }
  return out;
}

/** Merges two property objects; user properties of both are kept (b's after a's). */
export function mergeProperties<T extends object>(a: T | undefined, b: object | undefined): T | undefined {
  if (!b) return a;
  if (!a) return b as T;
  const pairsA = (a as { userProperties?: UserProperties }).userProperties;
  const pairsB = (b as { userProperties?: UserProperties }).userProperties;
  const merged = { ...a, ...b } as T & { userProperties?: UserProperties };
  if (pairsA && pairsB) {
    const pairs: UserProperties = { ...pairsA };
    for (const [key, value] of Object.entries(pairsB)) {
      const before = pairs[key];
      pairs[key] = before === undefined ? value : [...[before].flat(), ...[value].flat()];
    }
    merged.userProperties = pairs;
  }
  return merged;
}
