/**
 * Pure output formatting for `rxmqtt sub`: one message in, the exact bytes of one output line out.
 *
 * ```
 * text:  <payload>                  (-v: <topic> <payload>), payload bytes written as they are
 * hex:   <payload as hex>           (-v: <topic> <hex>)
 * json:  {"topic":"a/b","qos":1,"retain":false,"payload":"hi"}
 *        {"topic":"a/b","qos":0,"retain":true,"payload":"/w==","encoding":"base64"}
 * other: a mosquitto_sub format string ("%t %p", "@H:@M:@S %j"): see format-template.ts
 * ```
 */
import { isUtf8 } from 'node:buffer';
import { FormatError, parseFormat, renderFormat, type FormatTemplate } from './format-template.js';
import type { WallTime } from './format-time.js';
import type { PrintableMessage } from './printable.js';

export type { PrintableMessage } from './printable.js';

/** The shorthands `-F` keeps besides mosquitto format strings. */
export const OUTPUT_FORMATS = ['text', 'json', 'hex'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** How each message is printed: a shorthand (with -v), or a mosquitto format string. */
export type OutputSpec = { format: OutputFormat; verbose: boolean; newline: boolean } | { template: FormatTemplate; newline: boolean };

/**
 * Reads `-F`: one of the shorthands, else a mosquitto_sub format string.
 *
 * @throws FormatError for a format string mosquitto_sub would refuse.
 */
export function parseOutputSpec(format: string, verbose: boolean, newline: boolean): OutputSpec {
  if ((OUTPUT_FORMATS as readonly string[]).includes(format)) return { format: format as OutputFormat, verbose, newline };
  if (format === '') throw new FormatError('Empty format string');
  const template = parseFormat(format);
  // mosquitto prints such a string as is for every message; here it is far likelier a misspelt shorthand.
  if (template.segments.every((segment) => segment.kind === 'text')) {
    throw new FormatError(`must be text, json or hex, or a format string with %, @ or \\ fields; got "${format}"`);
  }
  // mosquitto: "-F overrides -v, but not -N".
  return { template, newline };
}

/**
 * The bytes printed for `message` (newline included unless -N).
 *
 * @param time When the message is printed (the time fields of a format string).
 * @param onProblem Told about a field that could not be printed (`%J` of a payload that is not JSON).
 */
export function formatOutput(message: PrintableMessage, output: OutputSpec, time: WallTime, onProblem: (problem: Error) => void): Buffer {
  if ('template' in output) {
    const line = renderFormat(output.template, message, time, onProblem);
    return output.newline ? Buffer.concat([line, NEWLINE]) : line;
  }
  const line = formatLine(message, output.format, output.verbose);
  return output.newline ? line : line.subarray(0, line.length - 1);
}

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
