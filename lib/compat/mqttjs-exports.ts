/**
 * The values MQTT.js v5 exports beside its client, for code that imports them from 'mqtt':
 * its reason-code texts and its topic checks. rxmqtt's own checks, which say what is wrong
 * (`validateFilter`, `validateTopicName`: an error message or undefined), are beside them.
 */
import { validateFilter } from '../protocol/topic.js';

/**
 * MQTT.js `ReasonCodes`: the text of each CONNACK return code (MQTT 3.1.1, 3.2.2.3) and reason
 * code (MQTT 5, 2.4), by number, in MQTT.js's wording.
 */
export const ReasonCodes: Readonly<Record<number, string>> = Object.freeze({
  0: '',
  1: 'Unacceptable protocol version',
  2: 'Identifier rejected',
  3: 'Server unavailable',
  4: 'Bad username or password',
  5: 'Not authorized',
  16: 'No matching subscribers',
  17: 'No subscription existed',
  128: 'Unspecified error',
  129: 'Malformed Packet',
  130: 'Protocol Error',
  131: 'Implementation specific error',
  132: 'Unsupported Protocol Version',
  133: 'Client Identifier not valid',
  134: 'Bad User Name or Password',
  135: 'Not authorized',
  136: 'Server unavailable',
  137: 'Server busy',
  138: 'Banned',
  139: 'Server shutting down',
  140: 'Bad authentication method',
  141: 'Keep Alive timeout',
  142: 'Session taken over',
  143: 'Topic Filter invalid',
  144: 'Topic Name invalid',
  145: 'Packet identifier in use',
  146: 'Packet Identifier not found',
  147: 'Receive Maximum exceeded',
  148: 'Topic Alias invalid',
  149: 'Packet too large',
  150: 'Message rate too high',
  151: 'Quota exceeded',
  152: 'Administrative action',
  153: 'Payload format invalid',
  154: 'Retain not supported',
  155: 'QoS not supported',
  156: 'Use another server',
  157: 'Server moved',
  158: 'Shared Subscriptions not supported',
  159: 'Connection rate exceeded',
  160: 'Maximum connect time',
  161: 'Subscription Identifiers not supported',
  162: 'Wildcard Subscriptions not supported',
});

/**
 * MQTT.js `validateTopic`: whether `filter` can be subscribed (true) or not (false). The rule is
 * the one `subscribe` applies, so it is stricter than MQTT.js's on two points: an empty filter
 * [MQTT-4.7.3-1] and U+0000 [MQTT-4.7.3-2] are refused. `validateFilter` says why.
 *
 * @example
 * validateTopic('a/+/#'); // true
 * validateTopic('a/b#');  // false
 */
export function validateTopic(filter: string): boolean {
  return validateFilter(filter) === undefined;
}

/**
 * MQTT.js `validateTopics`: the first filter of `topics` that cannot be subscribed, or null when
 * all can. An empty list gives 'empty_topic_list', as in MQTT.js. The filters are checked as
 * `subscribe` checks them: `#` alone in the last level [MQTT-4.7.1-2], `+` alone in its level
 * [MQTT-4.7.1-3], and, stricter than MQTT.js, not empty [MQTT-4.7.3-1] nor with U+0000
 * [MQTT-4.7.3-2].
 *
 * @example
 * validateTopics(['a/+', 'b/#']); // null
 * validateTopics(['a/+', 'b/#/c']); // 'b/#/c'
 */
export function validateTopics(topics: readonly string[]): string | null {
  if (topics.length === 0) return 'empty_topic_list';
  return topics.find((topic) => !validateTopic(topic)) ?? null;
}
