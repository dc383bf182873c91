/**
 * MQTT 5 incoming Topic Aliases (3.3.2.3.4): the aliases the broker has defined on the current
 * network connection, and the full topic of each PUBLISH it sends. Shared by the session and the
 * `resolveTopicAliases` operator.
 *
 * @example
 * // our CONNECT said Topic Alias Maximum 10
 * 'long/topic', ta:3 -> 'long/topic'   // alias 3 (re)defined
 * '',           ta:3 -> 'long/topic'   // alias 3 used
 * '',           ta:4 -> 0x94           // never defined: Topic Alias invalid
 */
import type { Violation } from './validate-inbound.js';
import { LazyMap } from './lazy-map.js';

/** MQTT 5 reason codes (2.4); literal here so this file depends on no session state. */
const PROTOCOL_ERROR = 0x82;
const TOPIC_ALIAS_INVALID = 0x94;
/** A Topic Alias is a Two Byte Integer (3.3.2.3.4). */
const MAX_TOPIC_ALIAS = 0xffff;

/** The broker's alias table of one network connection. */
export class InboundTopicAliases {
  private readonly topics = new LazyMap<number, string>();

  /** A new connection starts with no aliases [MQTT-3.3.2-7]. */
  clear(): void {
    this.topics.clear();
  }

  get size(): number {
    return this.topics.size;
  }

  /**
   * The full topic of a PUBLISH with topic name `topic` and Topic Alias `alias` (undefined: none):
   * a topic plus an alias (re)defines the alias, an empty topic uses it. Returns the reason code
   * and text of the protocol error when the broker broke the rules.
   *
   * @param maximum The Topic Alias Maximum we announced in CONNECT (0: we accept no alias).
   */
  resolve(topic: string, alias: number | undefined, maximum: number): string | Violation {
    if (alias === undefined) {
      if (topic !== '') return topic;
      // [MQTT-4.7.3-1] a Topic Name is at least one character long.
      return { reasonCode: PROTOCOL_ERROR, message: 'PUBLISH with an empty topic and no topic alias' };
    }
    // The messages are MQTT.js's (v5.16) for the same faults. (The codec only decodes integers;
    // the operator may be fed anything.)
    // [MQTT-3.3.2-8] / [MQTT-3.3.2-11] an alias is never 0 nor above the maximum we sent in CONNECT.
    if (maximum === 0) return { reasonCode: TOPIC_ALIAS_INVALID, message: 'Received a PUBLISH Topic Alias but no Topic Alias Maximum was advertised' };
    const inRange = Number.isInteger(alias) && alias >= 1;
    if (topic === '') {
      if (!inRange || alias > MAX_TOPIC_ALIAS) return { reasonCode: TOPIC_ALIAS_INVALID, message: `Received Topic Alias ${alias} is outside the valid range 1-${MAX_TOPIC_ALIAS}` };
      return this.topics.get(alias) ?? { reasonCode: TOPIC_ALIAS_INVALID, message: 'Received unregistered Topic Alias' };
    }
    if (!inRange || alias > maximum) {
      return { reasonCode: TOPIC_ALIAS_INVALID, message: `Received Topic Alias ${alias} is outside the advertised Topic Alias Maximum range 1-${maximum}` };
    }
    this.topics.set(alias, topic);
    return topic;
  }
}
