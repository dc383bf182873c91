/**
 * What happens to outgoing state when a CONNACK accepts a new connection: resubscribe (new
 * session only), then in-flight publishes, then in-flight SUBSCRIBE/UNSUBSCRIBE, in that order.
 */
import type { ISubscription } from '../protocol/codec.js';
import { promoteStored } from './offline-store.js';
import { pubrel } from './outbound-acks.js';
import { drainResubscribe, resendPublish, subscribeLimits } from './outbound.js';
import { publishRefusal } from './server-limits.js';
import { subscribeBatches } from './subscribe-batches.js';
import { NO_RESUBSCRIBES, release, settleError, settleOk } from './state.js';
import type { InflightEntry, PublishEntry, ResubscribeGroup, SessionState, SubscribeProperties } from './state.js';
import type { SessionOutput } from './types.js';

export function resumeOutgoing(state: SessionState, sessionPresent: boolean, out: SessionOutput[]): void {
  state.quotaUsed = 0;
  state.resend.clear();
  state.resendDup = sessionPresent;
  if (!sessionPresent) dropStaleResubscribes(state);
  // After the in-flight ones, oldest first: they were issued later.
  promoteStored(state, out);
  const previous = Array.from(state.inflight.values());
  // Resubscribe only when the broker lost our session: with sessionPresent it still has them.
  state.resubscribe = !sessionPresent && state.options.resubscribe && state.subscriptions.size > 0 ? resubscribeGroups(state) : NO_RESUBSCRIBES;
  drainResubscribe(state, out);
  for (const entry of previous) {
    if (entry.kind === 'publish') resumePublish(state, entry, sessionPresent, out);
  }
  for (const entry of previous) {
    if (entry.kind !== 'publish') out.push({ type: 'send', packet: entry.packet });
  }
}

/** Resubscribes from an earlier connection are superseded by a fresh resubscribe. */
function dropStaleResubscribes(state: SessionState): void {
  for (const [messageId, entry] of state.inflight) {
    if (isResubscribe(entry)) release(state, messageId, entry);
  }
  state.resubscribe = NO_RESUBSCRIBES;
}

function isResubscribe(entry: InflightEntry): boolean {
  return entry.kind === 'subscribe' && entry.token === undefined;
}

function resumePublish(state: SessionState, entry: PublishEntry, sessionPresent: boolean, out: SessionOutput[]): void {
  const messageId = entry.packet.messageId as number;
  entry.onWire = false;
  if (entry.pubrec !== undefined) {
    if (sessionPresent) {
      // [MQTT-4.4.0-1] a PUBREC'd QoS 2 message resumes with PUBREL only; it still counts
      // against Receive Maximum until PUBCOMP.
      entry.onWire = true;
      entry.pubrelResent = true;
      state.quotaUsed++;
      out.push({ type: 'send', packet: pubrel(state, messageId, undefined) });
    } else {
      // The broker took ownership at PUBREC (and delivers it onward from then on); a new
      // session cannot complete the exchange, so the publish has succeeded as far as we can tell.
      release(state, messageId, entry);
      settleOk(out, entry.token, { type: 'publish', messageId, packet: entry.pubrec });
    }
    return;
  }
  if (refuseResend(state, messageId, entry, out)) return;
  // [MQTT-4.9.0-2] re-sends count against the new connection's Receive Maximum too.
  if (state.quotaUsed < state.receiveMaximum) resendPublish(state, entry, out);
  else state.resend.push(messageId);
}

/**
 * [MQTT-3.2.2-11] / [MQTT-3.2.2-14] a resend meets the limits of the new connection: a PUBLISH
 * its CONNACK rules out (e.g. QoS 2 after Maximum QoS dropped to 1) fails instead of going out
 * downgraded. Its result names the packet id so that the outgoing store forgets it.
 */
function refuseResend(state: SessionState, messageId: number, entry: PublishEntry, out: SessionOutput[]): boolean {
  const refusal = publishRefusal(state, entry.packet);
  if (refusal === undefined) return false;
  release(state, messageId, entry);
  settleError(out, entry.token, refusal, { type: 'publish', messageId });
  return true;
}

/**
 * Every acknowledged filter once, grouped into as few SUBSCRIBE packets as the v5 properties
 * (e.g. a Subscription Identifier), `subscribeBatchSize` and the Maximum Packet Size allow, each filter
 * with its original options.
 */
function resubscribeGroups(state: SessionState): ResubscribeGroup[] {
  const plain: ISubscription[] = [];
  const byProperties = new Map<NonNullable<SubscribeProperties>, ISubscription[]>();
  // 3.2.2.3.13: a broker that announced no Subscription Identifiers treats one as a Protocol
  // Error (e.g. failing over to another server of `servers`): resubscribe without them there.
  const withoutIds = state.connack?.properties?.subscriptionIdentifiersAvailable === false;
  for (const [topic, subscription] of state.subscriptions) {
    const stored = state.subscriptionProperties.get(topic);
    const properties = withoutIds ? withoutIdentifier(stored) : stored;
    if (properties === undefined) {
      plain.push(subscription);
      continue;
    }
    const group = byProperties.get(properties);
    if (group === undefined) byProperties.set(properties, [subscription]);
    else group.push(subscription);
  }
  const groups: ResubscribeGroup[] = [];
  const add = (filters: ISubscription[], properties: SubscribeProperties) => {
    for (const subscriptions of subscribeBatches(filters, subscribeLimits(state, properties))) groups.push({ subscriptions, properties });
  };
  if (plain.length > 0) add(plain, undefined);
  for (const [properties, filters] of byProperties) add(filters, properties);
  return groups;
}

/** `properties` minus the Subscription Identifier; undefined when nothing else is left. */
function withoutIdentifier(properties: SubscribeProperties): SubscribeProperties {
  if (properties?.subscriptionIdentifier === undefined) return properties;
  const { subscriptionIdentifier: _dropped, ...rest } = properties;
  return Object.keys(rest).length > 0 ? rest : undefined;
}
