/**
 * What the broker's last accepted MQTT 5 CONNACK allows (3.2.2.3): one check per capability, run
 * at the moment a command would be sent, so that a command queued offline meets the limits of the
 * connection it finally goes out on. A property the CONNACK leaves out sets no limit, except Topic
 * Alias Maximum, whose absence means 0 (no alias at all). MQTT 3 brokers announce nothing.
 *
 * A command that breaks a limit fails with a `ServerCapabilityError` carrying the reason code the
 * broker would have answered with; it is never silently changed (no QoS downgrade, no retain flag
 * dropped), because the caller asked for a guarantee the broker cannot give.
 */
import type { IConnackPacket, ISubscription } from '../protocol/codec.js';
import { ServerCapabilityError } from '../errors.js';
import type { SessionState } from './state.js';
import type { PublishCommand, SubscribeCommand } from './types.js';

type ConnackProperties = NonNullable<IConnackPacket['properties']>;

/** What the publish checks look at: a new command, or an in-flight PUBLISH about to be resent. */
export type OutgoingPublish = Pick<PublishCommand, 'topic' | 'qos' | 'retain' | 'properties'>;

/** Reason codes of the refusals a broker would send (MQTT 5, 2.4). */
export const CAPABILITY_REASON = {
  topicAliasInvalid: 0x94,
  retainNotSupported: 0x9a,
  qosNotSupported: 0x9b,
  sharedSubscriptionsNotSupported: 0x9e,
  subscriptionIdentifiersNotSupported: 0xa1,
  wildcardSubscriptionsNotSupported: 0xa2,
} as const;

/** The CONNACK properties that bind outgoing commands; undefined before MQTT 5 or without properties. */
function limits(state: SessionState): ConnackProperties | undefined {
  return state.version === 5 ? state.connack?.properties : undefined;
}

/** Why the broker would refuse this PUBLISH, or undefined when it may go. */
export function publishRefusal(state: SessionState, command: OutgoingPublish): ServerCapabilityError | undefined {
  if (state.version !== 5) return undefined;
  const props = limits(state);
  return checkMaximumQoS(props, command) ?? checkRetainAvailable(props, command) ?? checkTopicAlias(props, command);
}

/** Why the broker would refuse this SUBSCRIBE, or undefined when it may go. */
export function subscribeRefusal(state: SessionState, command: SubscribeCommand): ServerCapabilityError | undefined {
  const props = limits(state);
  if (props === undefined) return undefined;
  return (
    checkSubscriptionIdentifier(props, command) ??
    checkFilters(props, command.subscriptions, checkSharedSubscription) ??
    checkFilters(props, command.subscriptions, checkWildcard)
  );
}

/**
 * [MQTT-3.2.2-11] no PUBLISH above the broker's Maximum QoS. A SUBSCRIBE may still ask for more
 * [MQTT-3.2.2-10]: the broker grants less, so subscribes are not checked against it.
 */
export function checkMaximumQoS(props: ConnackProperties | undefined, command: OutgoingPublish): ServerCapabilityError | undefined {
  const maximum = props?.maximumQoS;
  if (maximum === undefined || command.qos <= maximum) return undefined;
  return new ServerCapabilityError(
    'maximumQoS',
    CAPABILITY_REASON.qosNotSupported,
    `Publish to "${command.topic}" at QoS ${command.qos} exceeds the broker's Maximum QoS of ${maximum}`,
  );
}

/** [MQTT-3.2.2-14] no retained PUBLISH when the broker says Retain Available = 0. */
export function checkRetainAvailable(props: ConnackProperties | undefined, command: OutgoingPublish): ServerCapabilityError | undefined {
  if (!command.retain || props?.retainAvailable !== false) return undefined;
  return new ServerCapabilityError(
    'retainAvailable',
    CAPABILITY_REASON.retainNotSupported,
    `Retained publish to "${command.topic}" refused: the broker does not support retained messages`,
  );
}

/**
 * [MQTT-3.2.2-17] no Topic Alias above the broker's Topic Alias Maximum; absent or 0 means the
 * broker accepts none (3.2.2.3.8). This checks the caller's manual alias; the automatic ones
 * (`outbound-aliases.ts`) are drawn from the same 1..maximum range.
 */
export function checkTopicAlias(props: ConnackProperties | undefined, command: OutgoingPublish): ServerCapabilityError | undefined {
  const alias = command.properties?.topicAlias;
  if (alias === undefined) return undefined;
  const maximum = props?.topicAliasMaximum ?? 0;
  if (alias >= 1 && alias <= maximum) return undefined;
  return new ServerCapabilityError(
    'topicAliasMaximum',
    CAPABILITY_REASON.topicAliasInvalid,
    // MQTT.js's message; the alias is the command's, the maximum the CONNACK's.
    'Sending Topic Alias out of range',
  );
}

/** 3.2.2.3.12: no Subscription Identifier when the broker says Subscription Identifiers Available = 0. */
export function checkSubscriptionIdentifier(props: ConnackProperties, command: SubscribeCommand): ServerCapabilityError | undefined {
  if (command.properties?.subscriptionIdentifier === undefined || props.subscriptionIdentifiersAvailable !== false) return undefined;
  return new ServerCapabilityError(
    'subscriptionIdentifiersAvailable',
    CAPABILITY_REASON.subscriptionIdentifiersNotSupported,
    'Subscription Identifier refused: the broker does not support subscription identifiers',
  );
}

/** 3.2.2.3.13: no `$share/...` filter when the broker says Shared Subscription Available = 0. */
export function checkSharedSubscription(props: ConnackProperties, topic: string): ServerCapabilityError | undefined {
  if (props.sharedSubscriptionAvailable !== false || !topic.startsWith('$share/')) return undefined;
  return new ServerCapabilityError(
    'sharedSubscriptionAvailable',
    CAPABILITY_REASON.sharedSubscriptionsNotSupported,
    `Subscription to "${topic}" refused: the broker does not support shared subscriptions`,
  );
}

/** 3.2.2.3.11: no `+` or `#` filter when the broker says Wildcard Subscription Available = 0. */
export function checkWildcard(props: ConnackProperties, topic: string): ServerCapabilityError | undefined {
  if (props.wildcardSubscriptionAvailable !== false || !hasWildcard(topic)) return undefined;
  return new ServerCapabilityError(
    'wildcardSubscriptionAvailable',
    CAPABILITY_REASON.wildcardSubscriptionsNotSupported,
    `Subscription to "${topic}" refused: the broker does not support wildcard subscriptions`,
  );
}

/** The first filter `check` refuses. */
function checkFilters(
  props: ConnackProperties,
  subscriptions: readonly ISubscription[],
  check: (props: ConnackProperties, topic: string) => ServerCapabilityError | undefined,
): ServerCapabilityError | undefined {
  for (const { topic } of subscriptions) {
    const error = check(props, topic);
    if (error !== undefined) return error;
  }
  return undefined;
}

/** A wildcard in the filter proper: a shared subscription's `$share/<group>/` prefix does not count. */
function hasWildcard(topic: string): boolean {
  const filter = topic.startsWith('$share/') ? topic.slice(topic.indexOf('/', 7) + 1) : topic;
  return filter.includes('+') || filter.includes('#');
}
