/**
 * MQTT.js's persistent session across `end(true)` + `reconnect({ incomingStore, outgoingStore })`
 * (its tests "should keep message order", "should resend in-flight QoS 1 / QoS 2 publish / QoS 2
 * pubrel messages from the client if clean is false", "... by published order"): with clean: false
 * the publishes left unacknowledged are resent after the reconnect, in order, and their callbacks
 * fire once, without an error, when they are acknowledged.
 *
 * Against aedes, which keeps the session of a client that has a subscription (Session Present 1):
 * it withholds the acks of the first connection by never authorizing its PUBLISHes.
 */
import { asTransportFactory, MqttClient } from '../../lib/compat/compat.js';
import { ClientClosedError } from '../../lib/errors.js';
import { Store } from '../../lib/stores/store.js';
import { accepting, scriptedBroker } from '../helpers/scripted-broker.js';
import { flush, VirtualClock } from '../helpers/virtual-clock.js';
import { once } from '../helpers/wait.js';
import { connected, subscribed, useAedes, within } from '../integration/support.js';
import { withholdPublishAcks } from '../helpers/withheld-acks.js';

const fixture = useAedes();

const brokerSees = (clientId: string, hold: () => boolean) => withholdPublishAcks(fixture().aedes, clientId, hold);

/** A clean: false publisher that aedes keeps a session for (it has a subscription), with MQTT.js stores. */
async function persistentPublisher(clientId: string) {
  const incomingStore = new Store({ clean: false });
  const outgoingStore = new Store({ clean: false });
  const client = await connected(fixture().rx('in-memory', { clientId, clean: false, incomingStore, outgoingStore }));
  await client.subscribeAsync(`${clientId}/keep`, { qos: 1 });
  return { client, incomingStore, outgoingStore };
}

/** A subscriber that records every message on `filter`; `fenced` resolves at the first 'fence' payload. */
async function subscriber(filter: string): Promise<{ received: string[]; fenced: Promise<void> }> {
  const client = await connected(fixture().rx());
  const received: string[] = [];
  let fence!: () => void;
  const fenced = new Promise<void>((resolve) => (fence = resolve));
  await subscribed(client, client.topic(filter, { qos: 2 }), (message) => {
    const payload = message.payload.toString();
    if (payload === 'fence') fence();
    else received.push(payload);
  });
  return { received, fenced };
}

describe('end(true) then reconnect({ incomingStore, outgoingStore }) with clean: false', () => {
  it.each([1, 2] as const)('resends the unacknowledged QoS %i publishes in published order, DUP=1 with their ids, and calls each callback once without an error', async (qos) => {
    const { received, fenced } = await subscriber('order/#');
    const { client, incomingStore, outgoingStore } = await persistentPublisher(`order-${qos}`);
    let firstConnection = true;
    const broker = brokerSees(client.options.clientId, () => firstConnection);
    const callbacks: string[] = [];
    const publish = (payload: string) =>
      new Promise<void>((resolve) =>
        client.publish('order/t', payload, { qos }, (error) => {
          callbacks.push(error ? `${payload}:${error.message}` : payload);
          resolve();
        }),
      );
    const acked = [publish('p1'), publish('p2')];
    await within(broker.count(2), 'the first PUBLISHes');

    client.end(true, () => {
      firstConnection = false;
      client.reconnect({ incomingStore, outgoingStore });
    });
    await within(once(client, 'connect'), 'the reconnect');
    acked.push(publish('p3'));
    await within(Promise.all(acked), 'the publish callbacks');

    expect(broker.seen).toEqual(['p1#2', 'p2#3', 'p1#2+dup', 'p2#3+dup', 'p3#4']);
    expect(callbacks).toEqual(['p1', 'p2', 'p3']);
    // The fence, published after them on the same topic, arrives after them ([MQTT-4.6.0-6]).
    await client.publishAsync('order/t', 'fence', { qos });
    await within(fenced, 'the fence message');
    expect(received).toEqual(['p1', 'p2', 'p3']);
    expect(outgoingStore.size).toBe(0);
  });

  it('fails them with ClientClosedError and resends nothing with clean: true', async () => {
    const client = await connected(fixture().rx('in-memory', { clientId: 'clean', clean: true }));
    const broker = brokerSees('clean', () => true);
    const failed = new Promise<Error | undefined>((resolve) => client.publish('clean/t', 'x', { qos: 1 }, (error) => resolve(error)));
    await within(broker.count(1), 'the PUBLISH');
    client.end(true, () => client.reconnect());
    expect(await within(failed, 'the publish callback')).toBeInstanceOf(ClientClosedError);
    await within(once(client, 'connect'), 'the reconnect');
    await client.subscribeAsync('clean/fence');
    expect(broker.seen).toEqual(['x#1']);
  });
});

/** A clean: false facade over a scripted broker that keeps its session (Session Present 1 after the first CONNECT). */
async function scripted() {
  const clock = new VirtualClock();
  let connects = 0;
  const broker = scriptedBroker({ autoConnack: () => accepting({ sessionPresent: connects++ > 0 }) });
  const incomingStore = new Store({ clean: false });
  const outgoingStore = new Store({ clean: false });
  const client = new MqttClient(asTransportFactory(broker.factory), { clientId: 'scripted', clean: false, keepalive: 0, reconnectPeriod: 0, scheduler: clock.scheduler, incomingStore, outgoingStore });
  await flush();
  return { broker, client, incomingStore, outgoingStore };
}

describe('end(true) then reconnect() over a scripted broker', () => {
  it('resends the PUBREL of a PUBREC\'d QoS 2 publish, not the PUBLISH, and calls the callback once without an error at PUBCOMP (MQTT.js "QoS 2 pubrel")', async () => {
    const { broker, client, incomingStore, outgoingStore } = await scripted();
    const callbacks: unknown[] = [];
    client.publish('t', 'x', { qos: 2 }, (error) => callbacks.push(error ?? 'ok'));
    await flush();
    broker.last.reply({ cmd: 'pubrec', messageId: 1 });
    await flush();
    expect(broker.last.commands).toEqual(['connect', 'publish', 'pubrel']);
    client.end(true, () => client.reconnect({ incomingStore, outgoingStore }));
    await flush();
    expect(broker.connections).toHaveLength(2);
    expect(broker.last.commands).toEqual(['connect', 'pubrel']);
    expect(callbacks).toEqual([]);
    broker.last.reply({ cmd: 'pubcomp', messageId: 1 });
    await flush();
    expect(callbacks).toEqual(['ok']);
    expect(outgoingStore.size).toBe(0);
  });

  it('resends in order when reconnect() is called in the close listener, before a publish made on the new connection (MQTT.js "should keep message order")', async () => {
    const { broker, client, incomingStore, outgoingStore } = await scripted();
    let reconnected = false;
    client.on('close', () => {
      if (reconnected) return;
      reconnected = true;
      client.reconnect({ incomingStore, outgoingStore });
    });
    client.on('connect', () => reconnected && client.publish('t', 'p3', { qos: 1 }));
    client.publish('t', 'p1', { qos: 1 });
    client.publish('t', 'p2', { qos: 1 });
    client.end(true);
    await flush();
    expect(broker.connections).toHaveLength(2);
    expect(broker.last.packets('publish').map((p) => `${p.payload.toString()}#${p.messageId}${p.dup ? '+dup' : ''}`)).toEqual(['p1#1+dup', 'p2#2+dup', 'p3#3']);
  });

  it('keeps the client\'s stores on reconnect() without arguments, and still resends', async () => {
    const { broker, client, outgoingStore } = await scripted();
    const callbacks: unknown[] = [];
    client.publish('t', 'x', { qos: 1 }, (error) => callbacks.push(error ?? 'ok'));
    await flush();
    client.end(true, () => client.reconnect());
    await flush();
    expect(broker.last.packets('publish').map((p) => [p.messageId, p.dup])).toEqual([[1, true]]);
    expect(client.options.outgoingStore).toBe(outgoingStore);
    broker.last.reply({ cmd: 'puback', messageId: 1 });
    await flush();
    expect(callbacks).toEqual(['ok']);
  });

  it('reads other stores given to reconnect() and resends what they hold after what was in flight', async () => {
    const { broker, client } = await scripted();
    const callbacks: unknown[] = [];
    client.publish('t', 'in-flight', { qos: 1 }, (error) => callbacks.push(error ?? 'ok'));
    await flush();
    const other = new Store({ clean: false });
    other.put({ cmd: 'publish', topic: 'other', payload: Buffer.from('stored'), qos: 1, retain: false, dup: false, messageId: 7 });
    client.end(true, () => client.reconnect({ outgoingStore: other }));
    await flush();
    expect(client.options.outgoingStore).toBe(other);
    expect(broker.last.packets('publish').map((p) => [p.payload.toString(), p.messageId, p.dup])).toEqual([
      ['in-flight', 1, true],
      ['stored', 7, true],
    ]);
    broker.last.reply({ cmd: 'puback', messageId: 1 }, { cmd: 'puback', messageId: 7 });
    await flush();
    expect(callbacks).toEqual(['ok']);
    expect(other.size).toBe(0);
  });
});
