/**
 * mosquitto_sub's `%j` and `%J`: one JSON object per message, byte for byte as mosquitto 2.0
 * (built with cJSON) prints it, so that scripts written against mosquitto_sub keep working.
 *
 * ```
 * {"tst":"2026-12-07T08:24:27.395224Z+0000","topic":"a/b","qos":1,"retain":1,"payloadlen":7,"mid":1,
 *  "properties":{"user-properties":{"k":"v","k":"v2"},"content-type":"text/plain"},"payload":"{\"x\":1}"}
 * ```
 * (on one line). `%j` quotes the payload; `%J` inserts it as JSON (it must be valid JSON). An
 * empty payload is `null`. Strings are escaped byte by byte as cJSON does: bytes that are not
 * UTF-8 pass through unchanged, like mosquitto, rather than being dropped.
 */
import type { PublishProperties } from '../lib/session/types.js';
import { jsonTimestamp, type WallTime } from './format-time.js';
import type { PrintableMessage } from './printable.js';

/** The payload of `%J` is not JSON (mosquitto: "Message payload is not valid JSON on topic ..."). */
export class PayloadNotJsonError extends Error {
  constructor(topic: string) {
    super(`Message payload is not valid JSON on topic ${topic}`);
    this.name = 'PayloadNotJsonError';
  }
}

const SHORT_ESCAPES: Record<number, string> = { 0x22: '\\"', 0x5c: '\\\\', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' };

/** A JSON string literal of `bytes`, escaped as cJSON does (control bytes, `"` and `\`; nothing else). */
export function jsonStringOfBytes(bytes: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from('"')];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    const escape = SHORT_ESCAPES[byte] ?? (byte < 0x20 ? '\\u' + byte.toString(16).padStart(4, '0') : undefined);
    if (escape === undefined) continue;
    parts.push(bytes.subarray(start, i), Buffer.from(escape));
    start = i + 1;
  }
  parts.push(bytes.subarray(start), Buffer.from('"'));
  return Buffer.concat(parts);
}

const jsonString = (text: string) => jsonStringOfBytes(Buffer.from(text, 'utf8')).toString('utf8');

/** mosquitto's property names (mosquitto_property_identifier_to_string). */
const PROPERTY_NAMES: Record<string, string> = {
  payloadFormatIndicator: 'payload-format-indicator',
  messageExpiryInterval: 'message-expiry-interval',
  contentType: 'content-type',
  responseTopic: 'response-topic',
  correlationData: 'correlation-data',
  subscriptionIdentifier: 'subscription-identifier',
  topicAlias: 'topic-alias',
};

/** `"properties":{...}` members, in the order the packet carried them; undefined when there are none. */
function jsonProperties(properties: PublishProperties | undefined): string | undefined {
  if (!properties) return undefined;
  const members: string[] = [];
  for (const [key, value] of Object.entries(properties)) {
    if (value === undefined) continue;
    if (key === 'userProperties') {
      // cJSON keeps repeated keys: one member per user property, as they came.
      const pairs = Object.entries(value as Record<string, string | string[]>).flatMap(([name, values]) =>
        (Array.isArray(values) ? values : [values]).map((v) => `${jsonString(name)}:${jsonString(v)}`),
      );
      members.push(`"user-properties":{${pairs.join(',')}}`);
      continue;
    }
    const name = PROPERTY_NAMES[key];
    if (!name) continue;
    if (Buffer.isBuffer(value)) members.push(`"${name}":${jsonStringOfBytes(value).toString('utf8')}`);
    else if (typeof value === 'string') members.push(`"${name}":${jsonString(value)}`);
    else if (typeof value === 'boolean') members.push(`"${name}":${value ? 1 : 0}`);
    // A message matched by several subscriptions carries several identifiers: one member each, as cJSON does.
    else if (Array.isArray(value)) members.push(...value.map((id) => `"${name}":${String(id)}`));
    else members.push(`"${name}":${String(value)}`);
  }
  return members.length > 0 ? `{${members.join(',')}}` : undefined;
}

/** The payload of `%J`: the JSON value re-printed compactly, as cJSON re-prints what it parsed. */
function parsedPayload(message: PrintableMessage): Buffer {
  try {
    return Buffer.from(JSON.stringify(JSON.parse(message.payload.toString('utf8'))));
  } catch {
    throw new PayloadNotJsonError(message.topic);
  }
}

/**
 * The `%j` (`parsePayload` false) or `%J` (true) object for `message`.
 *
 * @throws PayloadNotJsonError for `%J` when the payload is not JSON.
 */
export function mosquittoJson(message: PrintableMessage, time: WallTime, parsePayload: boolean): Buffer {
  let head = `{"tst":"${jsonTimestamp(time)}","topic":${jsonString(message.topic)},"qos":${message.qos},"retain":${message.retain ? 1 : 0}`;
  head += `,"payloadlen":${message.payload.length}`;
  if (message.qos > 0) head += `,"mid":${message.packet?.messageId ?? 0}`;
  const properties = jsonProperties(message.properties);
  if (properties) head += `,"properties":${properties}`;
  let payload: Buffer;
  if (message.payload.length === 0) payload = Buffer.from('null');
  else payload = parsePayload ? parsedPayload(message) : jsonStringOfBytes(message.payload);
  return Buffer.concat([Buffer.from(head + ',"payload":'), payload, Buffer.from('}')]);
}
