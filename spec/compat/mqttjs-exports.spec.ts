import * as mqttjs from 'mqtt';
import mqtt, { ReasonCodes, validateTopics } from '../../lib/index.js';

describe("MQTT.js's exported values", () => {
  it('ReasonCodes gives the same text as MQTT.js for every code', () => {
    expect(ReasonCodes).toEqual(mqttjs.ReasonCodes);
    expect(mqtt.ReasonCodes).toBe(ReasonCodes);
  });

  it.each([
    [['a/b', 'a/+', '+/+/#', '#', '$share/g/a/+'], null],
    [['a/#', 'a/#/b'], 'a/#/b'],
    [['a/b+', 'c'], 'a/b+'],
    [['a/b#'], 'a/b#'],
    [[], 'empty_topic_list'],
  ])('validateTopics(%j) answers %j, as MQTT.js does', (topics, expected) => {
    expect(validateTopics(topics)).toBe(expected);
    expect(mqttjs.validateTopics(topics)).toBe(expected);
    expect(mqtt.validateTopics).toBe(validateTopics);
  });

  it('validateTopics refuses an empty filter, which subscribe refuses too (MQTT.js lets it through)', () => {
    expect(validateTopics(['a', ''])).toBe('');
  });
});
