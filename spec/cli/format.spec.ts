import { formatLine, toJsonRecord, type PrintableMessage } from '../../cli/format.js';

const message = (payload: Buffer | string, extra: Partial<PrintableMessage> = {}): PrintableMessage => ({
  topic: 'a/b',
  payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
  qos: 1,
  retain: false,
  ...extra,
});

describe('formatLine', () => {
  it('prints the payload and a newline in text format', () => {
    expect(formatLine(message('21.5'), 'text').toString()).toBe('21.5\n');
  });

  it('prefixes topic and a space with verbose text', () => {
    expect(formatLine(message('on'), 'text', true).toString()).toBe('a/b on\n');
  });

  it('writes the payload bytes of a text line unchanged, even when they are not UTF-8', () => {
    expect(formatLine(message(Buffer.from([0xff, 0x00])), 'text')).toEqual(Buffer.from([0xff, 0x00, 0x0a]));
  });

  it('prints the payload as hex, with the topic when verbose', () => {
    expect(formatLine(message(Buffer.from([0x00, 0xab])), 'hex').toString()).toBe('00ab\n');
    expect(formatLine(message(Buffer.from([0x00, 0xab])), 'hex', true).toString()).toBe('a/b 00ab\n');
  });

  it('prints one JSON object per line, whatever the payload holds', () => {
    const line = formatLine(message('two\nlines'), 'json', true).toString();
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({ topic: 'a/b', qos: 1, retain: false, payload: 'two\nlines' });
  });
});

describe('toJsonRecord', () => {
  it('keeps a valid UTF-8 payload as a string', () => {
    expect(toJsonRecord(message('héllo ✓'))).toEqual({ topic: 'a/b', qos: 1, retain: false, payload: 'héllo ✓' });
  });

  it('encodes a payload that is not valid UTF-8 as base64 with an encoding field', () => {
    const record = toJsonRecord(message(Buffer.from([0xc3, 0x28, 0x00]), { retain: true, qos: 0 }));
    expect(record).toEqual({ topic: 'a/b', qos: 0, retain: true, payload: 'wygA', encoding: 'base64' });
  });

  it('keeps an empty payload as an empty string', () => {
    expect(toJsonRecord(message(Buffer.alloc(0))).payload).toBe('');
  });

  it('includes MQTT 5 properties, with binary values as text or base64', () => {
    const record = toJsonRecord(
      message('x', {
        properties: {
          userProperties: { k: ['1', '2'] },
          contentType: 'text/plain',
          correlationData: Buffer.from('req-1'),
          responseTopic: undefined,
          messageExpiryInterval: 30,
        },
      }),
    );
    expect(record.properties).toEqual({ userProperties: { k: ['1', '2'] }, contentType: 'text/plain', correlationData: 'req-1', messageExpiryInterval: 30 });
    const binary = toJsonRecord(message('x', { properties: { correlationData: Buffer.from([0xff]) } }));
    expect(binary.properties).toEqual({ correlationData: { encoding: 'base64', data: '/w==' } });
  });

  it('leaves out an empty properties object', () => {
    expect(toJsonRecord(message('x', { properties: {} }))).not.toHaveProperty('properties');
  });
});
