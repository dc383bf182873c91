/**
 * MQTT 5 outgoing Topic Aliases (3.3.2.3.4): the aliases this client has told the broker about on
 * the current network connection, and the choice of topic + alias for each PUBLISH as it goes out.
 *
 * The in-flight table and the outgoing store always keep the full topic and no alias: an alias
 * means something only on the connection that registered it [MQTT-3.3.2-7], so the PUBLISH put on
 * the wire is derived from that canonical packet at the moment it is sent, never stored.
 *
 * Why the client does not run `assignTopicAliases` on its write stream: the alias is decided in the
 * session step that puts the PUBLISH in flight. A `topic '' + alias` publish is resolved (or
 * refused with a TopicAliasError for that publish alone) at command time, and a PUBLISH that never
 * reached the wire gives its alias back (`forget`, see unsendable.ts); an operator downstream of
 * the session could only fail the whole stream. The operators wrap this same table instead.
 *
 * @example
 * // CONNACK Topic Alias Maximum 3, autoAssignTopicAlias (the MQTT.js README scenario)
 * 't1' -> 't1', ta:1   // vacant alias 1 assigned
 * 't1' -> '',   ta:1   // existing mapping used
 * 't2' -> 't2', ta:2
 * 't3' -> 't3', ta:3
 * 't4' -> 't4', ta:1   // full: the least recently used alias (t1's) is overwritten
 */
import type { IPublishPacket } from '../protocol/codec.js';
import { TopicAliasError } from '../errors.js';
import type { PublishProperties, SessionOptions } from './types.js';
import { LazyMap } from './lazy-map.js';

/** The alias table of one network connection, least recently used first. */
export class OutboundTopicAliases {
  /** alias -> topic; a Map keeps insertion order, and every use re-inserts, so the first key is the LRU. */
  private readonly topics = new LazyMap<number, string>();
  /** topic -> the alias last registered for it. */
  private readonly aliases = new LazyMap<string, number>();
  /** No alias below this one is vacant: the broker never forgets an alias within a connection. */
  private nextVacant = 1;
  private maximum = 0;

  /**
   * A new connection starts with no aliases [MQTT-3.3.2-7], bounded by the broker's CONNACK Topic
   * Alias Maximum; absent means 0, no alias at all (3.2.2.3.8).
   */
  reset(maximum: number): void {
    this.topics.clear();
    this.aliases.clear();
    this.nextVacant = 1;
    this.maximum = maximum;
  }

  get size(): number {
    return this.topics.size;
  }

  /** The topic `alias` stands for on this connection (and marks it used), or undefined. */
  topicOf(alias: number): string | undefined {
    const topic = this.topics.get(alias);
    if (topic !== undefined) this.touch(alias, topic);
    return topic;
  }

  /** The alias registered for `topic` on this connection (and marks it used), or undefined. */
  aliasOf(topic: string): number | undefined {
    const alias = this.aliases.get(topic);
    if (alias !== undefined) this.touch(alias, topic);
    return alias;
  }

  /** A PUBLISH carrying `topic` and `alias` went out: the broker now maps one to the other (3.3.2.3.4). */
  register(alias: number, topic: string): void {
    const previous = this.topics.get(alias);
    if (previous !== undefined && this.aliases.get(previous) === alias) this.aliases.delete(previous);
    this.touch(alias, topic);
    this.aliases.set(topic, alias);
  }

  /**
   * The PUBLISH that registered `alias` for `topic` never reached the wire (it could not be encoded,
   * or exceeded the broker's Maximum Packet Size): the broker does not know the mapping, so it must
   * not be used. The alias is vacant again unless a later registration already replaced it.
   */
  forget(alias: number, topic: string): void {
    if (this.topics.get(alias) !== topic) return;
    this.topics.delete(alias);
    if (this.aliases.get(topic) === alias) this.aliases.delete(topic);
    this.nextVacant = Math.min(this.nextVacant, alias);
  }

  /**
   * Registers `topic` under the lowest vacant alias or, when all of 1..maximum are taken, under the
   * least recently used one. Undefined when the broker accepts no alias.
   */
  assign(topic: string): number | undefined {
    while (this.topics.has(this.nextVacant)) this.nextVacant++;
    const alias = this.nextVacant <= this.maximum ? this.nextVacant : this.leastRecentlyUsed();
    if (alias !== undefined) this.register(alias, topic);
    return alias;
  }

  private leastRecentlyUsed(): number | undefined {
    for (const alias of this.topics.keys()) return alias;
    return undefined;
  }

  private touch(alias: number, topic: string): void {
    this.topics.delete(alias);
    this.topics.set(alias, topic);
  }
}

export type AliasOptions = Pick<SessionOptions, 'autoUseTopicAlias' | 'autoAssignTopicAlias'>;

/**
 * The full topic a publish command names: its own, or the one a manual alias with an empty topic
 * stands for on this connection. An empty topic without a known alias is refused here, before the
 * broker would answer it with a Protocol Error (3.3.4).
 */
export function resolveTopic(
  table: OutboundTopicAliases,
  topic: string,
  alias: number | undefined,
): string | TopicAliasError {
  if (topic !== '') return topic;
  // MQTT.js's message for both; `alias` says which one (undefined: none).
  if (alias === undefined) return new TopicAliasError(undefined, 'Unregistered Topic Alias');
  return table.topicOf(alias) ?? new TopicAliasError(alias, 'Unregistered Topic Alias');
}

/** The canonical PUBLISH properties: without the Topic Alias, which belongs to one connection only. */
export function withoutAlias(properties: PublishProperties | undefined): PublishProperties | undefined {
  if (properties?.topicAlias === undefined) return properties;
  const { topicAlias: _alias, ...rest } = properties;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/**
 * The PUBLISH to put on the wire for `packet` (full topic, no alias): with the caller's manual
 * `alias` it registers (topic given) or uses (empty topic) it; otherwise `autoUseTopicAlias` swaps a
 * mapped topic for '' + its alias and `autoAssignTopicAlias` maps an unmapped one first.
 */
export function aliasedPublish(
  table: OutboundTopicAliases,
  options: AliasOptions,
  packet: IPublishPacket,
  manual: { topic: string; alias: number | undefined },
): IPublishPacket {
  if (manual.alias !== undefined) {
    if (manual.topic !== '') table.register(manual.alias, manual.topic);
    return withAlias(packet, manual.topic, manual.alias);
  }
  if (!options.autoUseTopicAlias && !options.autoAssignTopicAlias) return packet;
  const existing = table.aliasOf(packet.topic);
  if (existing !== undefined) return withAlias(packet, '', existing);
  const assigned = options.autoAssignTopicAlias ? table.assign(packet.topic) : undefined;
  return assigned === undefined ? packet : withAlias(packet, packet.topic, assigned);
}

function withAlias(packet: IPublishPacket, topic: string, topicAlias: number): IPublishPacket {
  return { ...packet, topic, properties: { ...packet.properties, topicAlias } };
}
