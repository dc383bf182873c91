import type { IConnackPacket } from '../../lib/protocol/codec.js';
import { ServerCapabilityError, type ServerCapability } from '../../lib/errors.js';
import { MqttSession } from '../../lib/session/session.js';
import type { Command } from '../../lib/session/types.js';
import { connack, connectedSession, options, publishCommand, receive, reconnect, sent, settles, subscribeCommand, trace } from './harness.js';

type Limits = NonNullable<IConnackPacket['properties']>;

/** An MQTT 5 session connected to a broker announcing `limits` in its CONNACK. */
function limitedSession(limits: Limits, protocolVersion: 3 | 4 | 5 = 5): MqttSession {
  return connectedSession({ protocolVersion }, connack(false, { properties: limits }));
}

const withSubscriptionId = (token: number, topic: string): Command => ({
  ...subscribeCommand(token, topic),
  properties: { subscriptionIdentifier: 7 },
});

const refusals: [string, Limits, Command, ServerCapability, number][] = [
  ['a QoS 2 publish above Maximum QoS 1 [MQTT-3.2.2-11]', { maximumQoS: 1 }, publishCommand(1, 2), 'maximumQoS', 0x9b],
  ['a QoS 1 publish above Maximum QoS 0 [MQTT-3.2.2-11]', { maximumQoS: 0 }, publishCommand(1, 1), 'maximumQoS', 0x9b],
  ['a retained publish when Retain Available is 0 [MQTT-3.2.2-14]', { retainAvailable: false }, publishCommand(1, 0, 't', { retain: true }), 'retainAvailable', 0x9a],
  ['a Topic Alias above Topic Alias Maximum [MQTT-3.2.2-17]', { topicAliasMaximum: 2 }, publishCommand(1, 0, 't', { properties: { topicAlias: 3 } }), 'topicAliasMaximum', 0x94],
  ['a Topic Alias when Topic Alias Maximum is 0', { topicAliasMaximum: 0 }, publishCommand(1, 1, 't', { properties: { topicAlias: 1 } }), 'topicAliasMaximum', 0x94],
  ['a Topic Alias when the CONNACK has no Topic Alias Maximum', {}, publishCommand(1, 1, 't', { properties: { topicAlias: 1 } }), 'topicAliasMaximum', 0x94],
  ['a + filter when Wildcard Subscription Available is 0', { wildcardSubscriptionAvailable: false }, subscribeCommand(1, 'a', 'a/+/b'), 'wildcardSubscriptionAvailable', 0xa2],
  ['a # filter when Wildcard Subscription Available is 0', { wildcardSubscriptionAvailable: false }, subscribeCommand(1, 'a/#'), 'wildcardSubscriptionAvailable', 0xa2],
  ['a wildcard inside a shared filter when Wildcard Subscription Available is 0', { wildcardSubscriptionAvailable: false }, subscribeCommand(1, '$share/g/a/#'), 'wildcardSubscriptionAvailable', 0xa2],
  ['a $share/ filter when Shared Subscription Available is 0', { sharedSubscriptionAvailable: false }, subscribeCommand(1, '$share/g/a'), 'sharedSubscriptionAvailable', 0x9e],
  ['a Subscription Identifier when Subscription Identifiers Available is 0', { subscriptionIdentifiersAvailable: false }, withSubscriptionId(1, 'a'), 'subscriptionIdentifiersAvailable', 0xa1],
];

describe('MqttSession against the limits of an MQTT 5 CONNACK', () => {
  it.each(refusals)('fails %s with a ServerCapabilityError, sends nothing and stays connected', (_name, limits, command, capability, reasonCode) => {
    const session = limitedSession(limits);
    const out = session.step(command);
    expect(trace(out)).toEqual(['settle:1!ERR_NOT_SUPPORTED_BY_SERVER']);
    const error = settles(out)[0]!.error as ServerCapabilityError;
    expect(error).toBeInstanceOf(ServerCapabilityError);
    expect([error.code, error.capability, error.reasonCode]).toEqual(['ERR_NOT_SUPPORTED_BY_SERVER', capability, reasonCode]);
    expect(session.status).toBe('connected');
    expect([session.inflightCount, session.pendingCount, session.lastMessageId]).toEqual([0, 0, null]);
  });

  const allowed: [string, Limits, Command][] = [
    ['a publish at the Maximum QoS', { maximumQoS: 1 }, publishCommand(1, 1)],
    ['a non-retained publish when Retain Available is 0', { retainAvailable: false }, publishCommand(1, 1)],
    ['a Topic Alias within Topic Alias Maximum', { topicAliasMaximum: 2 }, publishCommand(1, 1, 't', { properties: { topicAlias: 2 } })],
    ['a SUBSCRIBE asking for QoS 2 above Maximum QoS 0 (the broker grants less) [MQTT-3.2.2-10]', { maximumQoS: 0 }, subscribeCommand(1, 'a')],
    ['a plain filter when Wildcard Subscription Available is 0', { wildcardSubscriptionAvailable: false }, subscribeCommand(1, 'a/b')],
    ['a wildcard filter when Shared Subscription Available is 0', { sharedSubscriptionAvailable: false }, subscribeCommand(1, 'a/#')],
    ['a SUBSCRIBE without identifier when Subscription Identifiers Available is 0', { subscriptionIdentifiersAvailable: false }, subscribeCommand(1, 'a')],
    ['anything when the CONNACK carries no properties', {}, publishCommand(1, 2, 't', { retain: true })],
    ['anything when the broker says every capability is available', { retainAvailable: true, wildcardSubscriptionAvailable: true, sharedSubscriptionAvailable: true, subscriptionIdentifiersAvailable: true }, withSubscriptionId(1, '$share/g/a/#')],
  ];

  it.each(allowed)('sends %s', (_name, limits, command) => {
    const session = limitedSession(limits);
    expect(trace(session.step(command))).toEqual([`send:${command.type}#1`]);
  });

  it('lets the next command through after a refused one', () => {
    const session = limitedSession({ maximumQoS: 1 });
    session.step(publishCommand(1, 2));
    expect(trace(session.step(publishCommand(2, 1)))).toEqual(['send:publish#1']);
  });

  it.each([3, 4] as const)('checks nothing at MQTT level %i, whose CONNACK carries no limits', (protocolVersion) => {
    const session = limitedSession({ maximumQoS: 0, retainAvailable: false, wildcardSubscriptionAvailable: false }, protocolVersion);
    expect(trace(session.step(publishCommand(1, 2, 't', { retain: true })))).toEqual(['send:publish#1']);
    expect(trace(session.step(subscribeCommand(2, 'a/#')))).toEqual(['send:subscribe#2']);
  });
});

describe('MqttSession sending commands queued offline', () => {
  it('fails a queued QoS 2 publish at send time when the new CONNACK lowers Maximum QoS, instead of downgrading it', () => {
    const session = new MqttSession(options({ protocolVersion: 5 }));
    session.step(publishCommand(1, 2));
    session.step(publishCommand(2, 1));
    session.step({ type: 'open' });
    const out = receive(session, connack(false, { properties: { maximumQoS: 1 } }));
    expect(trace(out)).toEqual(['connected', 'settle:1!ERR_NOT_SUPPORTED_BY_SERVER', 'send:publish#1']);
    expect(sent(out)).toMatchObject([{ qos: 1, payload: 'm2' }]);
    expect(session.pendingCount).toBe(0);
  });

  it('meets the limits of the connection it is sent on, not those of the one it was issued on', () => {
    const session = limitedSession({ retainAvailable: false });
    session.step({ type: 'closed' });
    session.step(publishCommand(1, 1, 't', { retain: true }));
    session.step({ type: 'open' });
    expect(trace(receive(session, connack(false, { properties: { retainAvailable: true } })))).toEqual(['connected', 'send:publish#1']);
  });

  it('fails a queued wildcard SUBSCRIBE and sends the commands behind it', () => {
    const session = new MqttSession(options({ protocolVersion: 5 }));
    session.step(subscribeCommand(1, 'a/+'));
    session.step(subscribeCommand(2, 'a/b'));
    session.step({ type: 'open' });
    const out = receive(session, connack(false, { properties: { wildcardSubscriptionAvailable: false } }));
    expect(trace(out)).toEqual(['connected', 'settle:1!ERR_NOT_SUPPORTED_BY_SERVER', 'send:subscribe#1']);
  });

});

describe('MqttSession resending in-flight publishes after a reconnect', () => {
  it('fails an unacknowledged QoS 2 publish when the new CONNACK lowers Maximum QoS to 1, freeing its id [MQTT-3.2.2-11]', () => {
    const session = connectedSession({ protocolVersion: 5, clean: false });
    session.step(publishCommand(1, 2));
    session.step(publishCommand(2, 1));
    const out = reconnect(session, true, { properties: { maximumQoS: 1 } });
    expect(trace(out)).toEqual(['connected', 'settle:1!ERR_NOT_SUPPORTED_BY_SERVER', 'send:publish#2']);
    expect(settles(out)[0]).toMatchObject({ result: { type: 'publish', messageId: 1 } });
    expect([session.inflightCount, session.inflightToken(1)]).toEqual([1, undefined]);
  });

  it('still completes a PUBREC-ed QoS 2 publish with PUBREL when Maximum QoS drops (no PUBLISH is resent)', () => {
    const session = connectedSession({ protocolVersion: 5, clean: false });
    session.step(publishCommand(1, 2));
    receive(session, { cmd: 'pubrec', messageId: 1 });
    expect(trace(reconnect(session, true, { properties: { maximumQoS: 0 } }))).toEqual(['connected', 'send:pubrel#1']);
  });

  it('fails a retained in-flight publish when the new CONNACK says Retain Available 0 [MQTT-3.2.2-14]', () => {
    const session = limitedSession({});
    session.step(publishCommand(1, 1, 't', { retain: true }));
    expect(trace(reconnect(session, false, { properties: { retainAvailable: false } }))).toEqual(['connected', 'settle:1!ERR_NOT_SUPPORTED_BY_SERVER']);
  });
});

describe('MqttSession and the Assigned Client Identifier', () => {
  it('keeps the identifier an MQTT 5 broker assigned to an empty one for the next CONNECT [MQTT-3.2.2-16]', () => {
    const session = connectedSession({ protocolVersion: 5, clientId: '' }, connack(false, { properties: { assignedClientIdentifier: 'auto-42' } }));
    expect(session.clientId).toBe('auto-42');
    session.step({ type: 'closed' });
    expect(sent(session.step({ type: 'open' }))).toMatchObject([{ cmd: 'connect', clientId: 'auto-42' }]);
  });

  it('never replaces an identifier the client chose', () => {
    const session = connectedSession({ protocolVersion: 5, clientId: 'mine' }, connack(false, { properties: { assignedClientIdentifier: 'auto-42' } }));
    expect(session.clientId).toBe('mine');
  });
});
