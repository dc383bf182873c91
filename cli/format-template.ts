/**
 * mosquitto_sub's `-F` format strings, parsed once and rendered per message (mosquitto_sub(1),
 * "OUTPUT FORMAT"). Pure: the message and the time are inputs, the bytes of the line the output.
 *
 * ```
 * %t topic  %p payload  %x/%X payload in hex  %l length  %q QoS  %r retained (1/0)  %m packet id
 * %C %D %E %F %R %S %A %P  MQTT 5 content type, correlation data, expiry, format indicator,
 *                          response topic, subscription id, topic alias, user properties (k:v k:v)
 * %j %J  JSON of the message (payload quoted / inserted as JSON)   %I ISO time   %U Unix time.ns
 * @Y @m @d @H @M @S ... strftime fields in local time, @N nanoseconds, @@ a literal @
 * \n \t \r \0 \a \e \v \\ escapes     %-010.5t flags, width and precision where mosquitto has them
 * ```
 * The quirks of mosquitto 2.0 are kept on purpose (scripts depend on them): `%5p` cuts the payload
 * to 5 bytes, an absent `%5E` prints its padding, an absent `%5R` prints nothing.
 */
import { mosquittoJson, PayloadNotJsonError } from './format-json.js';
import { formatStrftime, isoTime, unixTime, type WallTime } from './format-time.js';
import type { PrintableMessage } from './printable.js';

/** How a `%` field is laid out: `%-08.3t` is left-aligned, zero-padded, width 8, precision 3. */
interface FieldSpec {
  conversion: string;
  leftAlign: boolean;
  zeroPad: boolean;
  /** Minimum width in bytes; 0 for none. */
  width: number;
  /** Maximum width in bytes (%C %I %R %t); -1 for none. */
  precision: number;
}

type Segment = { kind: 'text'; bytes: Buffer } | { kind: 'field'; spec: FieldSpec } | { kind: 'time'; conversion: string };

/** A parsed `-F` format string. */
export interface FormatTemplate {
  readonly segments: readonly Segment[];
}

/** The `%` conversions mosquitto_sub 2.0 accepts; any other is an error, as there. */
const CONVERSIONS = new Set('%ACDEFIjJlmPpqRrStUxX');

const ESCAPES: Record<string, string> = { '\\': '\\', '0': '\0', a: '\x07', e: '\x1b', n: '\n', r: '\r', t: '\t', v: '\v' };

/** A `-F` string that cannot be used; the message names the offending sequence, as mosquitto's does. */
export class FormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormatError';
  }
}

/** Reads the flags, width and precision after a `%` at `start`; returns the spec and the index after it. */
function parseField(format: string, start: number): { spec: FieldSpec; next: number } {
  let i = start;
  const spec: FieldSpec = { conversion: '', leftAlign: false, zeroPad: false, width: 0, precision: -1 };
  if (format[i] === '-') (spec.leftAlign = true), i++;
  if (format[i] === '0') (spec.zeroPad = !spec.leftAlign), i++; // "%-05l": 0 is ignored with -
  while (i < format.length && format[i]! >= '0' && format[i]! <= '9') spec.width = spec.width * 10 + Number(format[i++]);
  if (format[i] === '.') {
    spec.precision = 0;
    i++;
    while (i < format.length && format[i]! >= '0' && format[i]! <= '9') spec.precision = spec.precision * 10 + Number(format[i++]);
  }
  if (i >= format.length) throw new FormatError('Incomplete format specifier');
  spec.conversion = format[i]!;
  if (!CONVERSIONS.has(spec.conversion)) throw new FormatError(`Invalid format specifier '${spec.conversion}'`);
  return { spec, next: i + 1 };
}

/**
 * Parses a mosquitto_sub format string.
 *
 * @throws FormatError for an unknown `%` conversion or `\` escape, or one cut off at the end.
 */
export function parseFormat(format: string): FormatTemplate {
  const segments: Segment[] = [];
  let text = '';
  const flushText = () => {
    if (text) segments.push({ kind: 'text', bytes: Buffer.from(text, 'utf8') });
    text = '';
  };
  for (let i = 0; i < format.length; i++) {
    const char = format[i]!;
    if (char === '%') {
      flushText();
      const { spec, next } = parseField(format, i + 1);
      segments.push({ kind: 'field', spec });
      i = next - 1;
    } else if (char === '@') {
      if (i + 1 >= format.length) throw new FormatError('Incomplete format specifier');
      const conversion = format[++i]!;
      if (conversion === '@') text += '@';
      else flushText(), segments.push({ kind: 'time', conversion });
    } else if (char === '\\') {
      if (i + 1 >= format.length) throw new FormatError('Incomplete escape specifier');
      const escaped = ESCAPES[format[++i]!];
      if (escaped === undefined) throw new FormatError(`Invalid escape specifier '${format[i]}'`);
      text += escaped;
    } else {
      text += char;
    }
  }
  flushText();
  return { segments };
}

const ascii = (text: string) => Buffer.from(text, 'latin1');

/** printf's `%d` with the field's width, alignment and zero padding. */
function int(value: number, spec: FieldSpec): Buffer {
  const digits = String(value);
  if (spec.leftAlign) return ascii(digits.padEnd(spec.width, ' '));
  return ascii(digits.padStart(spec.width, spec.zeroPad ? '0' : ' '));
}

/** printf's `%*.*s`, counting bytes as C does. */
function str(value: string | Buffer, spec: FieldSpec): Buffer {
  let bytes = Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
  if (spec.precision >= 0) bytes = bytes.subarray(0, spec.precision);
  const padding = ascii(' '.repeat(Math.max(0, spec.width - bytes.length)));
  return Buffer.concat(spec.leftAlign ? [bytes, padding] : [padding, bytes]);
}

/** An absent optional property: the padding alone (`pad` is ' ' or the field's zero). */
const blank = (spec: FieldSpec, pad = spec.zeroPad ? '0' : ' ') => ascii(pad.repeat(spec.width));

/**
 * `%p`, `%x`, `%X` as mosquitto 2.0's write_payload: a width also cuts the payload to that many
 * bytes (hex: that many digits, rounded down to whole bytes), and pads a shorter one.
 */
function payload(bytes: Buffer, spec: FieldSpec, hex: 'lower' | 'upper' | undefined): Buffer {
  let shown = bytes;
  let padLength = spec.width - bytes.length;
  if (spec.width > 0) {
    shown = bytes.subarray(0, spec.width);
    if (hex) shown = shown.subarray(0, Math.floor(shown.length / 2));
    padLength = spec.width - shown.length * (hex ? 2 : 1);
  }
  let body = shown;
  if (hex) body = ascii(hex === 'lower' ? shown.toString('hex') : shown.toString('hex').toUpperCase());
  const padding = ascii((spec.leftAlign ? ' ' : spec.zeroPad ? '0' : ' ').repeat(Math.max(0, padLength)));
  return Buffer.concat(spec.leftAlign ? [body, padding] : [padding, body]);
}

/** `%P`: every user property as `key:value`, space-separated, repeated keys included. */
function userProperties(message: PrintableMessage): Buffer {
  const entries = Object.entries(message.properties?.userProperties ?? {});
  const pairs = entries.flatMap(([key, values]) => (Array.isArray(values) ? values : [values]).map((value) => `${key}:${value}`));
  return Buffer.from(pairs.join(' '), 'utf8');
}

const optionalInt = (value: number | undefined, spec: FieldSpec) => (value === undefined ? blank(spec) : int(value, spec));

function renderField(spec: FieldSpec, message: PrintableMessage, time: WallTime): Buffer {
  const properties = message.properties;
  switch (spec.conversion) {
    case '%': return ascii('%');
    case 'A': return optionalInt(properties?.topicAlias, spec);
    case 'C': return properties?.contentType === undefined ? blank(spec, ' ') : str(properties.contentType, spec);
    case 'D': return properties?.correlationData ?? Buffer.alloc(0);
    case 'E': return optionalInt(properties?.messageExpiryInterval, spec);
    case 'F': return optionalInt(properties?.payloadFormatIndicator === undefined ? undefined : Number(properties.payloadFormatIndicator), spec);
    case 'I': return str(isoTime(time), spec);
    case 'j': return mosquittoJson(message, time, false);
    case 'J': return mosquittoJson(message, time, true);
    case 'l': return int(message.payload.length, spec);
    case 'm': return int(message.packet?.messageId ?? 0, spec);
    case 'P': return userProperties(message);
    case 'p': return payload(message.payload, spec, undefined);
    case 'q': return ascii(String(message.qos));
    case 'R': return properties?.responseTopic === undefined ? Buffer.alloc(0) : str(properties.responseTopic, spec);
    case 'r': return ascii(message.retain ? '1' : '0');
    case 'S': {
      const id = properties?.subscriptionIdentifier;
      return optionalInt(Array.isArray(id) ? id[0] : id, spec);
    }
    case 't': return str(message.topic, spec);
    case 'U': return ascii(unixTime(time));
    case 'x': return payload(message.payload, spec, 'lower');
    case 'X': return payload(message.payload, spec, 'upper');
    default: throw new FormatError(`Invalid format specifier '${spec.conversion}'`);
  }
}

/**
 * The bytes of `message` laid out by `template` (no newline of its own: the caller adds one
 * unless -N). A `%J` whose payload is not JSON prints nothing and is reported to `onProblem`,
 * and the rest of the line is printed, as mosquitto does.
 */
export function renderFormat(template: FormatTemplate, message: PrintableMessage, time: WallTime, onProblem: (problem: Error) => void): Buffer {
  const parts: Buffer[] = [];
  for (const segment of template.segments) {
    if (segment.kind === 'text') parts.push(segment.bytes);
    else if (segment.kind === 'time') parts.push(Buffer.from(formatStrftime(segment.conversion, time), 'utf8'));
    else {
      try {
        parts.push(renderField(segment.spec, message, time));
      } catch (error) {
        if (!(error instanceof PayloadNotJsonError)) throw error;
        onProblem(error);
      }
    }
  }
  return Buffer.concat(parts);
}
