// The expected lines are mosquitto_sub 2.0.11's own output for the same messages (captured with
// `mosquitto_sub -V 5 -F '<format>'` on a host in UTC), with the time fixed.

import { FormatError, parseFormat, renderFormat } from '../../cli/format-template.js';
import { jsonStringOfBytes, PayloadNotJsonError } from '../../cli/format-json.js';
import type { WallTime } from '../../cli/format-time.js';
import type { PrintableMessage } from '../../cli/printable.js';

const time: WallTime = { seconds: 1796631867, nanoseconds: 395191114, utcOffsetMinutes: 0, zone: 'UTC' };

/** Retained QoS 1 message with every MQTT 5 property mosquitto_pub -D can set, in mosquitto's order. */
const full: PrintableMessage = {
  topic: 'a/b',
  payload: Buffer.from('{"x":1}'),
  qos: 1,
  retain: true,
  packet: { messageId: 1 },
  properties: {
    userProperties: { k: ['v', 'v2'] },
    contentType: 'text/plain',
    correlationData: Buffer.from('cd1'),
    responseTopic: 'rt',
    payloadFormatIndicator: true,
    messageExpiryInterval: 1000,
  },
};
const empty: PrintableMessage = { topic: 'e/empty', payload: Buffer.alloc(0), qos: 1, retain: false, packet: { messageId: 2 } };
const binary: PrintableMessage = { topic: 'e/empty', payload: Buffer.from([0x01, 0xff, 0x61, 0x62, 0x22, 0x5c]), qos: 2, retain: false, packet: { messageId: 3 } };

function render(format: string, message: PrintableMessage): Buffer {
  const problems: Error[] = [];
  const line = renderFormat(parseFormat(format), message, time, (problem) => problems.push(problem));
  if (problems.length > 0) throw problems[0];
  return line;
}
const text = (format: string, message: PrintableMessage) => render(format, message).toString('latin1');

describe('mosquitto format strings', () => {
  it.each([
    ['%t|%p|%r|%q|%l|%m|%x|%X|%P|%C|%D|%E|%F|%R|%S|%A', full, 'a/b|{"x":1}|1|1|7|1|7b2278223a317d|7B2278223A317D|k:v k:v2|text/plain|cd1|1000|1|rt||'],
    ['%t|%p|%r|%q|%l|%m|%x|%X|%P|%C|%D|%E|%F|%R|%S|%A', empty, 'e/empty||0|1|0|2||||||||||'],
  ])('prints the message fields of %s as mosquitto_sub does', (format, message, expected) => {
    expect(text(format, message)).toBe(expected);
  });

  it('prints the payload bytes unchanged with %p', () => {
    expect(render('%p', binary)).toEqual(binary.payload);
  });

  it.each([
    ['%10t|%-10t|%.2t|%3.1t', full, '       a/b|a/b       |a/|  a'],
    ['%05l|%-5l|%-05l|%5q', full, '00007|7    |7    |1'],
    // mosquitto 2.0 quirks: a width cuts the payload; hex widths count digits of whole bytes.
    ['%5p|%-5p|%2p|%4x|%5x', full, '{"x":|{"x":|{"|7b22| 7b22'],
    ['%5p|%-5p|%2p|%4x|%5x', empty, '     |     |  |    |     '],
    ['%6A|%06E|%5C|%5R|%5S', full, '      |001000|text/plain|   rt|     '],
    ['%6A|%06E|%5C|%5R|%05S', empty, '      |000000|     ||00000'],
  ])('lays out %s with mosquitto_sub widths, precision and padding', (format, message, expected) => {
    expect(text(format, message)).toBe(expected);
  });

  it('prints the time fields in local time', () => {
    expect(text('%I|%U|@Y-@m-@d @H:@M:@S.@N @s @z @Z @@ %%', full)).toBe(
      '2026-12-07T08:24:27+0000|1796631867.395191114|2026-12-07 08:24:27.395191114 1796631867 +0000 UTC @ %',
    );
    expect(text('@a @b @e @j @k @y @F @T @%', full)).toBe('Mon Dec  7 341  8 26 2026-12-07 08:24:27 %');
    expect(text('@A @B @c @D @I @p @u @w @U @W @V @G @C', full)).toBe('Monday December Mon Dec  7 08:24:27 2026 12/07/26 08 AM 1 1 49 49 50 2026 20');
  });

  it('prints the time fields in the zone of the time given, whatever the host zone', () => {
    const paris = { ...time, utcOffsetMinutes: 60, zone: 'GMT+1' };
    const line = renderFormat(parseFormat('%I @H @z @Z %U|%j'), full, paris, () => undefined).toString();
    expect(line).toMatch(/^2026-12-07T09:24:27\+0100 09 \+0100 GMT\+1 1796631867\.395191114\|\{"tst":"2026-12-07T09:24:27\.395191Z\+0100"/);
    const newYork = { ...time, utcOffsetMinutes: -300, zone: 'EST' };
    expect(renderFormat(parseFormat('@F @T @z @j'), full, newYork, () => undefined).toString()).toBe('2026-12-07 03:24:27 -0500 341');
    const newYear = { ...time, seconds: Date.UTC(2027, 0, 1, 0, 30) / 1000, utcOffsetMinutes: -60 };
    expect(renderFormat(parseFormat('@F @j @V @G'), full, newYear, () => undefined).toString()).toBe('2026-12-31 365 53 2026');
  });

  it('turns the backslash escapes into their characters', () => {
    expect(text('\\t\\\\\\n\\r\\0\\a\\e\\v', full)).toBe('\t\\\n\r\0\x07\x1b\v');
  });

  it('prints %j like mosquitto_sub, properties included and the payload quoted', () => {
    expect(text('%j', full)).toBe(
      '{"tst":"2026-12-07T08:24:27.395191Z+0000","topic":"a/b","qos":1,"retain":1,"payloadlen":7,"mid":1,' +
        '"properties":{"user-properties":{"k":"v","k":"v2"},"content-type":"text/plain","correlation-data":"cd1","response-topic":"rt",' +
        '"payload-format-indicator":1,"message-expiry-interval":1000},"payload":"{\\"x\\":1}"}',
    );
    expect(text('%j', empty)).toBe('{"tst":"2026-12-07T08:24:27.395191Z+0000","topic":"e/empty","qos":1,"retain":0,"payloadlen":0,"mid":2,"payload":null}');
  });

  it('escapes a %j payload byte by byte as cJSON does, passing bytes that are not UTF-8 through', () => {
    const line = render('%j', binary);
    const payload = line.subarray(line.indexOf('"payload":') + 10, line.length - 1);
    expect(payload).toEqual(Buffer.concat([Buffer.from('"\\u0001'), Buffer.from([0xff]), Buffer.from('ab\\"\\\\"')]));
    expect(jsonStringOfBytes(Buffer.from('a\nb\tc\bd\fe\r')).toString()).toBe('"a\\nb\\tc\\bd\\fe\\r"');
  });

  it('inserts the payload as JSON with %J, and leaves QoS 0 messages without mid', () => {
    const qos0 = { ...full, qos: 0 as const, properties: undefined, payload: Buffer.from('{ "x" : [1, 2] }') };
    expect(text('%J', qos0)).toBe('{"tst":"2026-12-07T08:24:27.395191Z+0000","topic":"a/b","qos":0,"retain":1,"payloadlen":16,"payload":{"x":[1,2]}}');
  });

  it('reports a %J payload that is not JSON and prints the rest of the line', () => {
    const problems: Error[] = [];
    const line = renderFormat(parseFormat('[%J]%t'), { ...full, payload: Buffer.from('not json') }, time, (p) => problems.push(p));
    expect(line.toString()).toBe('[]a/b');
    expect(problems).toEqual([new PayloadNotJsonError('a/b')]);
    expect(problems[0]!.message).toBe('Message payload is not valid JSON on topic a/b');
  });

  it('prints every subscription identifier in %j and the first one in %S', () => {
    const message = { ...empty, properties: { subscriptionIdentifier: [3, 7] } };
    expect(text('%S', message)).toBe('3');
    expect(text('%j', message)).toContain('"properties":{"subscription-identifier":3,"subscription-identifier":7}');
  });

  it.each([
    ['%Z', "Invalid format specifier 'Z'"],
    ['%', 'Incomplete format specifier'],
    ['%-5', 'Incomplete format specifier'],
    ['@', 'Incomplete format specifier'],
    ['\\', 'Incomplete escape specifier'],
    ['\\q', "Invalid escape specifier 'q'"],
  ])('refuses %s as mosquitto_sub does', (format, message) => {
    expect(() => parseFormat(format)).toThrow(new FormatError(message));
  });
});
