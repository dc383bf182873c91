/**
 * The values MQTT.js v5 exports beside its client, for code that imports them from 'mqtt':
 * its reason-code texts and its topic checks. rxmqtt's own checks, which say what is wrong
 * (`validateFilter`, `validateTopicName`: an error message or undefined), are beside them.
 */
import { validateFilter } from '../protocol/topic.js';

export { ReasonCodes } from '../protocol/reason-codes.js';


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
