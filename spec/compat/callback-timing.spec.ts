/**
 * Zalgo-free callbacks on the MQTT.js API: a callback never runs inside the call that registered
 * it, even when rxmqtt knows the outcome at once (a publish refused offline, a full queue, a call
 * after end()...), nor inside another facade call that settles it (removeOutgoingMessage,
 * end(true), reconnect). MQTT.js code relies on this: it often sets up what the callback reads
 * after the call. Each case checks the callback has not run when the call returns, and has run
 * (with the expected outcome) once the microtasks ran.
 */
import type { ISubackPacket } from '../../lib/protocol/codec.js';
import { asTransportFactory, MqttClient } from '../../lib/compat/compat.js';
import type { ClientOptions } from '../../lib/options/client-options.js';
import { scriptedBroker, type ScriptedBrokerOptions } from '../helpers/scripted-broker.js';
import { flush, VirtualClock } from '../helpers/virtual-clock.js';

type AnyCallback = (...args: unknown[]) => void;

function facade(options: ClientOptions = {}, broker: ScriptedBrokerOptions = { autoConnack: true }) {
  const clock = new VirtualClock();
  const scripted = scriptedBroker({ protocolVersion: options.protocolVersion ?? 4, ...broker });
  const client = new MqttClient(asTransportFactory(scripted.factory), { clientId: 'zalgo', keepalive: 0, reconnectPeriod: 0, scheduler: clock.scheduler, ...options });
  client.on('error', () => undefined);
  return { client, broker: scripted, clock };
}

/** Makes the call with a recording callback; asserts it did not run inside, then that it ran; returns its arguments. */
async function callsBackAfterReturning(call: (callback: AnyCallback) => unknown): Promise<unknown[]> {
  let args: unknown[] | undefined;
  call((...received) => (args = received));
  expect(args).toBeUndefined();
  await flush();
  expect(args).toBeDefined();
  return args!;
}

async function connectedFacade(options: ClientOptions = {}) {
  const made = facade(options);
  await flush();
  expect(made.client.connected).toBe(true);
  return made;
}

describe('MQTT.js API callbacks never run inside the call', () => {
  it('publish() refused offline with queueQoSZero: false', async () => {
    const { client } = facade({ queueQoSZero: false }, { autoConnack: false });
    const [error] = await callsBackAfterReturning((cb) => client.publish('t', 'x', { qos: 0 }, cb));
    expect(error).toMatchObject({ kind: 'ERR_CONNECTION_CLOSED' });
  });

  it('publish() refused by a full offlineQueue', async () => {
    const { client } = facade({ offlineQueue: { maxMessages: 1, overflow: 'drop-newest' } }, { autoConnack: false });
    client.publish('t', 'first', { qos: 1 });
    const [error] = await callsBackAfterReturning((cb) => client.publish('t', 'second', { qos: 1 }, cb));
    expect(error).toMatchObject({ kind: 'ERR_QUEUE_FULL' });
  });

  it('publish() with an invalid topic', async () => {
    const { client } = await connectedFacade();
    const [error] = await callsBackAfterReturning((cb) => client.publish('a/#', 'x', cb));
    expect(error).toMatchObject({ kind: 'ERR_INVALID_ARGUMENT' });
  });

  it("publish()'s cbStorePut without an outgoingStore", async () => {
    const { client } = await connectedFacade();
    await callsBackAfterReturning((cb) => client.publish('t', 'x', { qos: 1, cbStorePut: () => cb() }));
  });

  it('publish(), subscribe() and unsubscribe() after end()', async () => {
    const { client } = await connectedFacade();
    client.end(true);
    for (const call of [(cb: AnyCallback) => client.publish('t', 'x', { qos: 1 }, cb), (cb: AnyCallback) => client.subscribe('t', cb), (cb: AnyCallback) => client.unsubscribe('t', cb)]) {
      const [error] = await callsBackAfterReturning(call);
      expect(error).toMatchObject({ kind: 'ERR_CLIENT_CLOSED' });
    }
  });

  it('subscribe() with an invalid filter', async () => {
    const { client } = await connectedFacade();
    const [error] = await callsBackAfterReturning((cb) => client.subscribe('a/#/b', cb));
    expect(error).toMatchObject({ kind: 'ERR_INVALID_ARGUMENT' });
  });

  it('unsubscribe() of a filter a topic() stream keeps (answered without the broker)', async () => {
    const { client, broker } = await connectedFacade();
    client.topic('kept').subscribe();
    await flush();
    const subscribe = broker.last.packets('subscribe')[0]!;
    broker.last.reply({ cmd: 'suback', messageId: subscribe.messageId, granted: [0] } as ISubackPacket);
    await flush();
    const [error, packet] = await callsBackAfterReturning((cb) => client.unsubscribe('kept', cb));
    expect(error).toBeNull();
    expect(packet).toMatchObject({ cmd: 'unsuback' });
    expect(broker.last.packets('unsubscribe')).toEqual([]);
  });

  it("removeOutgoingMessage(): the removed publish's callback", async () => {
    const { client } = await connectedFacade();
    const [error] = await callsBackAfterReturning((cb) => {
      client.publish('t', 'x', { qos: 1 }, cb);
      client.removeOutgoingMessage(client.getLastMessageId()!);
    });
    expect(error).toMatchObject({ kind: 'ERR_MESSAGE_REMOVED' });
  });

  it("end(true): its own callback and a pending publish's callback", async () => {
    const { client } = await connectedFacade();
    let published: unknown[] | undefined;
    client.publish('t', 'x', { qos: 1 }, (...args) => (published = args));
    await flush();
    await callsBackAfterReturning((cb) => {
      client.end(true, () => cb());
      expect(published).toBeUndefined();
    });
    expect(published?.[0]).toMatchObject({ kind: 'ERR_CLIENT_CLOSED' });
  });

  it("reconnect(): a QoS 0 publish's callback when its connection closes before it was written", async () => {
    const { client } = await connectedFacade();
    const [error] = await callsBackAfterReturning((cb) => {
      client.publish('t', 'x', { qos: 0 }, cb);
      client.reconnect();
    });
    expect(error).toMatchObject({ kind: 'ERR_CONNECTION_CLOSED' });
  });

  it('reauthenticate() refused before MQTT 5', async () => {
    const { client } = await connectedFacade();
    const [error] = await callsBackAfterReturning((cb) => client.reauthenticate({}, cb));
    expect(error).toMatchObject({ kind: 'ERR_AUTH' });
  });
});
