import { Observable } from 'rxjs';
import type { MonoTypeOperatorFunction } from 'rxjs';
import type { IPublishPacket } from '../lib/protocol/codec.js';
import { InvalidArgumentError } from '../lib/errors.js';
import { aliasedPublish, OutboundTopicAliases, resolveTopic, withoutAlias } from '../lib/session/outbound-aliases.js';
import { checkTopicAlias } from '../lib/session/server-limits.js';

/** The configuration of `assignTopicAliases`: the broker's limit and whether new topics get aliases. */
export interface AssignTopicAliasesConfig {
  /**
   * The broker's Topic Alias Maximum, from its CONNACK (3.2.2.3.8): aliases are drawn from
   * `1..maximum`. 0 means the broker accepts none: packets pass through without aliases.
   */
  maximum: number;
  /**
   * Whether to give an alias to every topic that has none (MQTT.js `autoAssignTopicAlias`):
   * vacant aliases first, then the least recently used one is overwritten. When `false`, only the
   * aliases the packets register themselves are reused (MQTT.js `autoUseTopicAlias`).
   * @default true
   */
  autoAssign?: boolean;
}

/**
 * Gives MQTT 5 PUBLISH packets Topic Aliases on their way to the broker (3.3.2.3.4), as MQTT.js
 * does with `autoAssignTopicAlias`: the first packet to a topic carries the topic and a new alias,
 * the following ones an empty topic and that alias. Once `1..maximum` are all taken, the least
 * recently used alias is given to the new topic.
 *
 * Packets come in canonical, with their full topic. A packet may also carry its own
 * `properties.topicAlias`: with a topic it registers that alias, with an empty topic it uses it
 * (an alias never registered errors with a `TopicAliasError`, one outside `1..maximum` with a
 * `ServerCapabilityError`, kind `ERR_NOT_SUPPORTED_BY_SERVER`). An aliased result is a copy: the
 * source's packets are never modified. The logic is the client session's own (`OutboundTopicAliases`).
 *
 * Aliases last one network connection [MQTT-3.3.2-7]: each subscription starts with an empty
 * table, so subscribe once per connection. Every result must reach the broker, in order: a packet
 * that registers an alias and is then lost leaves the broker without the mapping.
 *
 * ```
 * assignTopicAliases({ maximum: 2 })
 * source: -a-a-b-c-a-|    a.topic = 't1', b.topic = 't2', c.topic = 't3'
 * result: -1-2-3-4-5-|    1 = 't1' ta:1, 2 = '' ta:1, 3 = 't2' ta:2, 4 = 't3' ta:1, 5 = 't1' ta:2
 * ```
 *
 * @example
 * const maximum = connack.properties?.topicAliasMaximum ?? 0;
 * publishes$.pipe(assignTopicAliases({ maximum })).subscribe((packet) => writePacket(packet));
 *
 * @param config The broker's Topic Alias Maximum and the assignment policy; see `AssignTopicAliasesConfig`.
 * @returns An operator that replaces topics with aliases where it can.
 * @throws InvalidArgumentError at the call when `maximum` is not an integer from 0 to 65535.
 */
export function assignTopicAliases<P extends IPublishPacket>(config: AssignTopicAliasesConfig): MonoTypeOperatorFunction<P> {
  const { maximum, autoAssign = true } = config ?? ({} as AssignTopicAliasesConfig);
  checkMaximum(maximum);
  const options = { autoUseTopicAlias: true, autoAssignTopicAlias: autoAssign };
  const limits = { topicAliasMaximum: maximum };

  return (source) =>
    new Observable<P>((subscriber) => {
      // Per subscription: one table per network connection.
      const table = new OutboundTopicAliases();
      table.reset(maximum);
      return source.subscribe({
        next: (packet) => {
          const alias = packet.properties?.topicAlias;
          const refusal = checkTopicAlias(limits, packet);
          const topic = refusal ?? resolveTopic(table, packet.topic, alias);
          if (typeof topic !== 'string') return subscriber.error(topic);
          // The canonical packet has its full topic and no alias, as in the session's in-flight table.
          const canonical = alias === undefined ? packet : { ...packet, topic, properties: withoutAlias(packet.properties) };
          subscriber.next(aliasedPublish(table, options, canonical, { topic: packet.topic, alias }) as P);
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}

/** 3.2.2.3.8: a Topic Alias Maximum is a Two Byte Integer. */
function checkMaximum(maximum: unknown): void {
  if (typeof maximum !== 'number' || !Number.isInteger(maximum) || maximum < 0 || maximum > 65535) {
    throw new InvalidArgumentError(`assignTopicAliases maximum must be an integer from 0 to 65535, got ${String(maximum)}`);
  }
}
