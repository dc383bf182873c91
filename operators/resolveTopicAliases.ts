import { Observable } from 'rxjs';
import type { MonoTypeOperatorFunction } from 'rxjs';
import { InvalidArgumentError, TopicAliasError } from '../lib/errors.js';
import { InboundTopicAliases } from '../lib/session/inbound-aliases.js';

/** The part of a PUBLISH packet that topic aliases concern. */
export interface AliasedPublish {
  /** The PUBLISH's Topic Name: empty when the packet names its topic by its alias alone. */
  topic: string;
  /** The MQTT 5 PUBLISH properties; only `topicAlias` matters here. */
  properties?: {
    /** The Topic Alias (3.3.2.3.4), from 1 to the announced maximum; absent when the packet has none. */
    topicAlias?: number;
  };
}

/** The configuration of `resolveTopicAliases`: the Topic Alias Maximum the client announced. */
export interface ResolveTopicAliasesConfig {
  /**
   * The Topic Alias Maximum announced to the broker in CONNECT: an alias above it (or 0) is an
   * error (0x94, [MQTT-3.3.2-11]).
   * @default 65535
   */
  maximum?: number;
}

/**
 * Restores the full topic of MQTT 5 PUBLISH packets that use Topic Aliases (3.3.2.3.4), the way
 * the broker defined them: a packet with a topic and an alias (re)defines the alias, a packet with
 * an empty topic and an alias gets the topic the alias stands for.
 *
 * Packets with a topic pass through unchanged (the same object); a resolved one is emitted as a
 * copy with the full `topic` (the source's packet is not touched; `properties.topicAlias` stays,
 * as in the packets the client delivers). A packet the table cannot resolve (an unknown alias, an
 * alias out of `1..maximum`, an empty topic with no alias) errors the stream with a
 * `TopicAliasError` (kind `ERR_TOPIC_ALIAS`, `reasonCode` 0x94 or 0x82): a broker that sends one
 * broke the protocol. Uses the alias table of the client's own session (`InboundTopicAliases`).
 *
 * Aliases last one network connection [MQTT-3.3.2-7]: each subscription starts with an empty
 * table, so subscribe once per connection (e.g. inside a `switchMap` on the connection).
 *
 * ```
 * resolveTopicAliases()
 * source: -a-b-c-d-|    a = 'x/y' ta:1, b = '' ta:1, c = 'z' (no alias), d = '' ta:2
 * result: -a-B-c-#      B = 'x/y' ta:1; # = TopicAliasError (alias 2 unknown)
 * ```
 *
 * @example
 * packetsIn$.pipe(
 *   filter((packet): packet is IPublishPacket => packet.cmd === 'publish'),
 *   resolveTopicAliases({ maximum: 10 }),
 * ).subscribe((publish) => console.log(publish.topic));
 *
 * @param config The Topic Alias Maximum we announced; see `ResolveTopicAliasesConfig`.
 * @returns An operator that replaces aliases by the topics they stand for.
 * @throws InvalidArgumentError at the call when `maximum` is not an integer from 0 to 65535.
 */
export function resolveTopicAliases<P extends AliasedPublish>(config: ResolveTopicAliasesConfig = {}): MonoTypeOperatorFunction<P> {
  const { maximum = 65535 } = config;
  checkMaximum(maximum);

  return (source) =>
    new Observable<P>((subscriber) => {
      // Per subscription: one table per network connection.
      const table = new InboundTopicAliases();
      return source.subscribe({
        next: (packet) => {
          const alias = packet.properties?.topicAlias;
          const topic = table.resolve(packet.topic, alias, maximum);
          if (typeof topic !== 'string') {
            subscriber.error(new TopicAliasError(alias, topic.message, topic.reasonCode));
          } else {
            subscriber.next(topic === packet.topic ? packet : { ...packet, topic });
          }
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}

/** 3.1.2.11.5: a Topic Alias Maximum is a Two Byte Integer. */
function checkMaximum(maximum: unknown): void {
  if (typeof maximum !== 'number' || !Number.isInteger(maximum) || maximum < 0 || maximum > 65535) {
    throw new InvalidArgumentError(`resolveTopicAliases maximum must be an integer from 0 to 65535, got ${String(maximum)}`);
  }
}
