/**
 * Where MQTT.js's own tests expect a behaviour the MQTT specification forbids, rxmqtt keeps the
 * specification's: one test per deliberate difference, through the MQTT.js facade, as an app or
 * the broker observes it. docs/migrating-from-mqttjs.md lists each with its clause.
 */
import { ProtocolError } from '../../lib/errors.js';
import type { ClientOptions } from '../../lib/options/client-options.js';
import type { IPublishPacket, ISubscribePacket, Packet } from '../../lib/protocol/codec.js';
import type { ScriptedBrokerOptions } from '../helpers/scripted-broker.js';
import { flush } from '../helpers/virtual-clock.js';
import { recordErrors, scriptedFacade } from '../helpers/scripted-facade.js';

function facade(options: ClientOptions = {}, brokerOptions: ScriptedBrokerOptions = { autoConnack: true }) {
  const made = scriptedFacade({ clientId: 'differences', ...options }, brokerOptions);
  return { ...made, errors: recordErrors(made.client) };
}

const publishes = (packets: Packet[]) => packets.filter((p): p is IPublishPacket => p.cmd === 'publish');

describe('where rxmqtt follows the MQTT specification and MQTT.js does not', () => {
  it('treats a QoS 1 PUBLISH with Packet Identifier 0 as a protocol error, not a message [MQTT-2.3.1-1]', async () => {
    const { client, broker, errors } = facade();
    const messages: string[] = [];
    client.on('message', (topic) => messages.push(topic));
    await flush();
    // PUBLISH QoS 1, topic "a", packet id 0, payload "x".
    broker.last.raw([0x32, 0x06, 0x00, 0x01, 0x61, 0x00, 0x00, 0x78]);
    await flush();
    expect(messages).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ProtocolError);
    expect(broker.connections[0]!.status).toBe('closed');
    expect(broker.connections[0]!.commands).not.toContain('puback');
  });

  it('closes the connection when the broker claims a session after a clean start [MQTT-3.2.2-4]', async () => {
    const { client, broker, errors } = facade({ clean: true }, { autoConnack: { sessionPresent: true, returnCode: 0 } });
    const connects: unknown[] = [];
    client.on('connect', (connack) => connects.push(connack));
    await flush();
    expect(connects).toEqual([]);
    expect(errors[0]).toBeInstanceOf(ProtocolError);
    expect(broker.connections[0]!.status).toBe('closed');
  });

  it('does not complete a QoS 2 publish the broker answers with PUBACK: only PUBCOMP does (4.3.3)', async () => {
    const { client, broker } = facade();
    await flush();
    const settled: (Error | null | undefined)[] = [];
    client.publish('q2', 'x', { qos: 2 }, (error) => settled.push(error));
    await flush();
    const messageId = publishes(broker.last.received)[0]!.messageId!;
    broker.last.reply({ cmd: 'puback', messageId });
    await flush();
    expect(settled).toEqual([]);
    broker.last.reply({ cmd: 'pubrec', messageId });
    await flush();
    expect(broker.last.commands).toEqual(['connect', 'publish', 'pubrel']);
    broker.last.reply({ cmd: 'pubcomp', messageId });
    await flush();
    expect(settled).toEqual([null]);
  });

  it('sends a second SUBSCRIBE for a filter already subscribed, so the broker resends its retained messages [MQTT-3.8.4-3]', async () => {
    const { client, broker } = facade();
    await flush();
    const granted: number[] = [];
    const grantSubscribe = () => {
      const subscribe = broker.last.received.filter((p): p is ISubscribePacket => p.cmd === 'subscribe').at(-1)!;
      broker.last.reply({ cmd: 'suback', messageId: subscribe.messageId, granted: [1] });
    };
    client.subscribe('dup/a', { qos: 1 }, () => granted.push(1));
    await flush();
    grantSubscribe();
    await flush();
    client.subscribe('dup/a', { qos: 1 }, () => granted.push(2));
    await flush();
    grantSubscribe();
    await flush();
    expect(broker.last.commands).toEqual(['connect', 'subscribe', 'subscribe']);
    expect(granted).toEqual([1, 2]);
  });

  it('sends no SUBSCRIBE before the CONNACK: it waits for the session to exist (3.1.4, [MQTT-3.2.0-1])', async () => {
    const { client, broker } = facade({}, { autoConnack: false });
    const granted: string[] = [];
    client.subscribe('early', (error) => granted.push(error ? error.message : 'ok'));
    await flush();
    expect(broker.last.commands).toEqual(['connect']);
    broker.last.reply({ cmd: 'connack', sessionPresent: false, returnCode: 0 });
    await flush();
    expect(broker.last.commands).toEqual(['connect', 'subscribe']);
    const subscribe = broker.last.received[1] as ISubscribePacket;
    broker.last.reply({ cmd: 'suback', messageId: subscribe.messageId, granted: [0] });
    await flush();
    expect(granted).toEqual(['ok']);
  });

  it('resends no PUBREL after a clean-start reconnect: the session, and the QoS 2 exchange, are gone [MQTT-3.1.2-6]', async () => {
    const { client, broker, clock } = facade({ clean: true });
    await flush();
    const settled: (Error | null | undefined)[] = [];
    client.publish('q2', 'x', { qos: 2 }, (error) => settled.push(error));
    await flush();
    const messageId = publishes(broker.last.received)[0]!.messageId!;
    broker.last.reply({ cmd: 'pubrec', messageId });
    await flush();
    broker.last.close();
    await clock.advance(1000);
    await flush();
    expect(broker.connections).toHaveLength(2);
    expect(broker.last.commands).toEqual(['connect']);
    // The broker took the message over with its PUBREC: the publish succeeds, with nothing to resend.
    expect(settled).toEqual([null]);
  });

  it('keeps a user Topic Alias together with its topic on a publish queued offline (3.3.2.3.4)', async () => {
    const { client, broker } = facade(
      { protocolVersion: 5 },
      { protocolVersion: 5, autoConnack: false },
    );
    client.publish('alias/a', 'x', { qos: 0, properties: { topicAlias: 1 } });
    await flush();
    broker.last.reply({ cmd: 'connack', sessionPresent: false, reasonCode: 0, properties: { topicAliasMaximum: 10 } });
    await flush();
    const [sent] = publishes(broker.last.received);
    // The new connection's alias table is empty: an empty topic would name nothing [MQTT-3.3.2-7].
    expect(sent?.topic).toBe('alias/a');
    expect(sent?.properties?.topicAlias).toBe(1);
  });
});
