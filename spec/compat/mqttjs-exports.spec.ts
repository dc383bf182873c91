import * as mqttjs from 'mqtt';
import mqtt, { ReasonCodes, validateFilter, validateTopic, validateTopicName, validateTopics } from '../../lib/index.js';

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

  it.each(['a/b', 'a/+', '+/+/#', '#', 'a/#/b', 'a/b+', 'a/b#', 'sport/tennis/+/x'])('validateTopic(%j) answers as MQTT.js does (a boolean)', (filter) => {
    expect(validateTopic(filter)).toBe(mqttjs.validateTopic(filter));
    expect(mqtt.validateTopic).toBe(validateTopic);
  });

  it("keeps rxmqtt's checks that say what is wrong under their own names", () => {
    expect(validateTopicName('a/+')).toMatch(/wildcards/);
    expect(validateTopicName('a/b')).toBeUndefined();
    expect(validateFilter('a/#/b')).toMatch(/#/);
  });

  it('validateTopics refuses an empty filter, which subscribe refuses too (MQTT.js lets it through)', () => {
    expect(validateTopics(['a', ''])).toBe('');
  });
});
