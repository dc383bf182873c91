/**
 * MQTT 5 "It is a Protocol Error to include the <property> more than once" (3.2.2.3.x, 3.3.2.3.x,
 * 3.4.2.2.x...): found by the fuzzer (issue #8), where a CONNACK repeating Server Keep Alive made
 * the keepalive timer throw and a queued publish$ never settle.
 */
import { ClientClosedError, ProtocolError } from '../../lib/errors.js';
import type { MqttMessage } from '../../lib/inbound/message.js';
import { flush, harness } from './harness.js';

const client = { protocolVersion: 5 as const, keepalive: 10, connectTimeout: 5000, reconnectPeriod: 1000 };

/** CONNACK (accepted) with Server Keep Alive (0x13) = 5 twice. */
const CONNACK_KEEPALIVE_TWICE = [0x20, 0x09, 0x00, 0x00, 0x06, 0x13, 0x00, 0x05, 0x13, 0x00, 0x05];
/** PUBLISH QoS 0 to "a" with Topic Alias (0x23) = 1 twice, payload "x". */
const PUBLISH_ALIAS_TWICE = [0x30, 0x0b, 0x00, 0x01, 0x61, 0x06, 0x23, 0x00, 0x01, 0x23, 0x00, 0x01, 0x78];
/** PUBLISH QoS 0 to "a" with Subscription Identifiers 1 and 2, payload "x". */
const PUBLISH_TWO_SUBSCRIPTION_IDS = [0x30, 0x09, 0x00, 0x01, 0x61, 0x04, 0x0b, 0x01, 0x0b, 0x02, 0x78];

describe('MQTT 5: a property the broker repeats where the spec allows one', () => {
  it('in CONNACK: one ProtocolError 0x82, DISCONNECT 0x82, reconnect; a queued publish$ still settles on end()', async () => {
    const h = await harness({ client, broker: { protocolVersion: 5 } });
    let settled: unknown;
    h.client.publish$('t', 'x', { qos: 1 }).subscribe({ error: (error) => (settled = error), complete: () => (settled = 'ok') });
    h.broker.last.raw(CONNACK_KEEPALIVE_TWICE);
    await flush();
    expect(h.errors()).toHaveLength(1);
    expect(h.errors()[0]).toBeInstanceOf(ProtocolError);
    expect(h.errors()[0]).toMatchObject({ reasonCode: 0x82, message: expect.stringMatching(/serverKeepAlive property more than once/) });
    expect(h.broker.connections[0]?.packets('disconnect')).toEqual([expect.objectContaining({ reasonCode: 0x82 })]);
    expect(h.client.state.status).toBe('reconnecting');
    await h.client.end({ force: true });
    expect(settled).toBeInstanceOf(ClientClosedError);
  });

  it('in PUBLISH (Topic Alias): one ProtocolError 0x82, and the message is not delivered', async () => {
    const h = await harness({ client: { ...client, properties: { topicAliasMaximum: 4 } }, broker: { protocolVersion: 5, autoConnack: true } });
    const messages: MqttMessage[] = [];
    h.client.messages$.subscribe((m) => messages.push(m));
    h.broker.last.raw(PUBLISH_ALIAS_TWICE);
    await flush();
    expect(messages).toEqual([]);
    expect(h.errors().map((e) => [e.kind, e.code, e.reasonCode])).toEqual([['ERR_PROTOCOL', 0x82, 0x82]]);
  });

  it('accepts several Subscription Identifiers in a PUBLISH (one per matching subscription, 3.3.2.3.8)', async () => {
    const h = await harness({ client, broker: { protocolVersion: 5, autoConnack: true } });
    const messages: MqttMessage[] = [];
    h.client.messages$.subscribe((m) => messages.push(m));
    h.broker.last.raw(PUBLISH_TWO_SUBSCRIPTION_IDS);
    await flush();
    expect(h.errors()).toEqual([]);
    expect(messages.map((m) => m.topic)).toEqual(['a']);
  });
});
