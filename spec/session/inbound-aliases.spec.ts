import { InboundTopicAliases } from '../../lib/session/inbound-aliases.js';

describe('InboundTopicAliases', () => {
  it('passes a topic without an alias through, defining nothing', () => {
    const table = new InboundTopicAliases();
    expect(table.resolve('a/b', undefined, 10)).toBe('a/b');
    expect(table.size).toBe(0);
  });

  it('defines an alias with a topic and resolves it on an empty topic', () => {
    const table = new InboundTopicAliases();
    expect(table.resolve('long/topic', 3, 10)).toBe('long/topic');
    expect(table.resolve('', 3, 10)).toBe('long/topic');
  });

  it('lets a new topic redefine an alias', () => {
    const table = new InboundTopicAliases();
    table.resolve('one', 3, 10);
    table.resolve('two', 3, 10);
    expect(table.resolve('', 3, 10)).toBe('two');
    expect(table.size).toBe(1);
  });

  // The texts are MQTT.js's (v5.16) for the same faults; the reason codes are the spec's.
  it.each([
    ['an empty topic without alias', '', undefined, 0x82, 'PUBLISH with an empty topic and no topic alias'],
    ['an unknown alias', '', 4, 0x94, 'Received unregistered Topic Alias'],
    ['an empty topic with an alias above the maximum', '', 11, 0x94, 'Received unregistered Topic Alias'],
    ['an empty topic with alias 0', '', 0, 0x94, 'Received Topic Alias 0 is outside the valid range 1-65535'],
    ['an empty topic with an alias over two bytes', '', 65536, 0x94, 'Received Topic Alias 65536 is outside the valid range 1-65535'],
    ['alias 0', 'x', 0, 0x94, 'Received Topic Alias 0 is outside the advertised Topic Alias Maximum range 1-10'],
    ['an alias above the maximum', 'x', 11, 0x94, 'Received Topic Alias 11 is outside the advertised Topic Alias Maximum range 1-10'],
    ['a fractional alias', 'x', 1.5, 0x94, 'Received Topic Alias 1.5 is outside the advertised Topic Alias Maximum range 1-10'],
    ['a NaN alias', 'x', NaN, 0x94, 'Received Topic Alias NaN is outside the advertised Topic Alias Maximum range 1-10'],
  ])('reports %s as a violation with its reason code, in MQTT.js words', (_name, topic, alias, reasonCode, message) => {
    const table = new InboundTopicAliases();
    expect(table.resolve(topic, alias, 10)).toEqual({ reasonCode, message });
    expect(table.size).toBe(0);
  });

  it('accepts no alias at all with maximum 0', () => {
    const message = 'Received a PUBLISH Topic Alias but no Topic Alias Maximum was advertised';
    expect(new InboundTopicAliases().resolve('x', 1, 0)).toEqual({ reasonCode: 0x94, message });
    expect(new InboundTopicAliases().resolve('', 1, 0)).toEqual({ reasonCode: 0x94, message });
  });

  it('forgets every alias on clear, as a new connection does [MQTT-3.3.2-7]', () => {
    const table = new InboundTopicAliases();
    table.resolve('x', 1, 10);
    table.clear();
    expect(table.size).toBe(0);
    expect(table.resolve('', 1, 10)).toEqual({ reasonCode: 0x94, message: 'Received unregistered Topic Alias' });
  });
});
