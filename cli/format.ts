/**
 * Pure output formatting for `rxmqtt sub`: one message in, the exact bytes of one output line out.
 *
 * ```
 * text:  <payload>                  (-v: <topic> <payload>), payload bytes written as they are
 * hex:   <payload as hex>           (-v: <topic> <hex>)
 * json:  {"topic":"a/b","qos":1,"retain":false,"payload":"hi"}
 *        {"topic":"a/b","qos":0,"retain":true,"payload":"/w==","encoding":"base64"}
 * ```
 */
import { isUtf8 } from 'node:buffer';
import type { MqttMessage } from '../lib/index.js';

export const OUTPUT_FORMATS = ['text', 'json', 'hex'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The parts of a message that are printed. */
export type PrintableMessage = Pick<MqttMessage, 'topic' | 'payload' | 'qos' | 'retain' | 'properties'>;

const NEWLINE = Buffer.from('\n');

/**
 * One output line for `message`, newline included.
 *
 * @param message The received message.
 * @param format `text` (payload as is), `hex`, or `json` (one object per line).
 * @param verbose Prefix text and hex lines with the topic and a space (json always has the topic).
 * @returns The bytes to write.
 */
export function formatLine(message: PrintableMessage, format: OutputFormat, verbose = false): Buffer {
  switch (format) {
    case 'text':
      return Buffer.concat(verbose ? [Buffer.from(message.topic + ' '), message.payload, NEWLINE] : [message.payload, NEWLINE]);
    case 'hex':
      return Buffer.from((verbose ? message.topic + ' ' : '') + message.payload.toString('hex') + '\n');
    case 'json':
      return Buffer.from(JSON.stringify(toJsonRecord(message)) + '\n');
    default: {
      const unexpected: never = format;
      throw new TypeError(`Unknown output format ${String(unexpected)}`);
    }
  }
}

/**
 * The JSON object printed for `message`: `topic`, `qos`, `retain`, MQTT 5 `properties` when the
 * message has any, and `payload` as a string when it is valid UTF-8, else base64 with
 * `"encoding": "base64"`. Binary property values (correlation data) are encoded the same way,
 * as a string or as `{ "encoding": "base64", "data": "..." }`.
 */
export function toJsonRecord(message: PrintableMessage): Record<string, unknown> {
  const record: Record<string, unknown> = { topic: message.topic, qos: message.qos, retain: message.retain };
  const properties = message.properties && jsonProperties(message.properties);
  if (properties) record.properties = properties;
  if (isUtf8(message.payload)) {
    record.payload = message.payload.toString('utf8');
  } else {
    record.payload = message.payload.toString('base64');
    record.encoding = 'base64';
  }
  return record;
}

function jsonProperties(properties: object): Record<string, unknown> | undefined {
  const entries = Object.entries(properties).filter(([, value]) => value !== undefined);
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.map(([key, value]) => [key, Buffer.isBuffer(value) ? jsonBytes(value) : value]));
}

function jsonBytes(bytes: Buffer): string | { encoding: 'base64'; data: string } {
  return isUtf8(bytes) ? bytes.toString('utf8') : { encoding: 'base64', data: bytes.toString('base64') };
}
