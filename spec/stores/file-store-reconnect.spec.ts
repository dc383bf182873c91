/**
 * A FileStore through `end(true)` + `reconnect()` with clean: false: end() closes the client's
 * stores (MQTT.js's Store contract), reconnect() without arguments goes on using them, and each
 * reopens on its next use, so the session's unacknowledged publishes stay durable across it.
 *
 * Against aedes, which keeps the session of a client that has a subscription (Session Present 1):
 * it withholds the acks of the first connection by never authorizing its PUBLISHes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asTransportFactory, MqttClient } from '../../lib/compat/compat.js';
import { FileStore } from '../../lib/stores/file-store.js';
import { accepting, scriptedBroker } from '../helpers/scripted-broker.js';
import { flush, VirtualClock } from '../helpers/virtual-clock.js';
import { once } from '../helpers/wait.js';
import { connected, subscribed, useAedes, within } from '../integration/support.js';
import { withholdPublishAcks } from '../helpers/withheld-acks.js';

const fixture = useAedes();
let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'rxmqtt-reopen-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** What a fresh FileStore on `dir` finds there (it is closed again at once). */
function leftIn(dir: string): unknown[] {
  const store = new FileStore(dir);
  try {
    return store.entries();
  } finally {
    store.close();
  }
}

const withholdAcks = (clientId: string, hold: () => boolean) => withholdPublishAcks(fixture().aedes, clientId, hold);

describe('a FileStore closed by end(true) and used again by reconnect() with clean: false', () => {
  it('resends a QoS 1 and a QoS 2 publish held in flight, each arrives once, new publishes are stored, and nothing is left in the files', async () => {
    const received: string[] = [];
    let fence!: () => void;
    const fenced = new Promise<void>((resolve) => (fence = resolve));
    const listener = await connected(fixture().rx());
    await subscribed(listener, listener.topic('durable/#', { qos: 2 }), (message) => {
      const payload = message.payload.toString();
      if (payload === 'fence') fence();
      else received.push(payload);
    });

    const outDir = join(root, 'outgoing');
    const inDir = join(root, 'incoming');
    const clientId = 'file-store-reopen';
    const outgoingStore = new FileStore(outDir);
    const incomingStore = new FileStore(inDir);
    const client = await connected(fixture().rx('in-memory', { clientId, clean: false, outgoingStore, incomingStore }));
    await client.subscribeAsync(`${clientId}/keep`, { qos: 1 });
    const errors: Error[] = [];
    client.on('error', (error) => errors.push(error));
    let firstConnection = true;
    const broker = withholdAcks(clientId, () => firstConnection);
    const callbacks: string[] = [];
    const publish = (payload: string, qos: 1 | 2) =>
      new Promise<void>((resolve) =>
        client.publish('durable/t', payload, { qos }, (error) => {
          callbacks.push(error ? `${payload}:${error.message}` : payload);
          resolve();
        }),
      );
    const acked = [publish('q1', 1), publish('q2', 2)];
    await within(broker.count(2), 'the first PUBLISHes');
    expect(outgoingStore.entries().map((p) => p.messageId)).toEqual([2, 3]);

    client.end(true, () => {
      firstConnection = false;
      client.reconnect();
    });
    await within(once(client, 'connect'), 'the reconnect');
    acked.push(publish('after', 1));
    await within(Promise.all(acked), 'the publish callbacks');
    await client.publishAsync('durable/t', 'fence', { qos: 2 });
    await within(fenced, 'the fence message');

    expect(broker.seen).toEqual(['q1#2', 'q2#3', 'q1#2+dup', 'q2#3+dup', 'after#4', 'fence#5']);
    // Once each, without an error; QoS 1 and QoS 2 flows complete in no set order between them.
    expect([...callbacks].sort()).toEqual(['after', 'q1', 'q2']);
    expect([...received].sort()).toEqual(['after', 'q1', 'q2']);
    expect(errors).toEqual([]);
    await client.endAsync();
    expect(leftIn(outDir)).toEqual([]);
    expect(leftIn(inDir)).toEqual([]);
  });
});

describe('a FileStore across end(true) + reconnect() over a scripted broker that keeps the session', () => {
  async function scripted(outgoingStore: FileStore) {
    const clock = new VirtualClock();
    let connects = 0;
    const broker = scriptedBroker({ autoConnack: () => accepting({ sessionPresent: connects++ > 0 }) });
    const client = new MqttClient(asTransportFactory(broker.factory), { clientId: 'scripted', clean: false, keepalive: 0, reconnectPeriod: 0, scheduler: clock.scheduler, outgoingStore });
    const errors: Error[] = [];
    client.on('error', (error) => errors.push(error));
    await flush();
    return { broker, client, errors };
  }

  it('keeps the PUBREL of a PUBREC\'d QoS 2 publish on disk, resends it, and removes it at PUBCOMP', async () => {
    const dir = join(root, 'outgoing');
    const store = new FileStore(dir);
    const { broker, client, errors } = await scripted(store);
    const callbacks: unknown[] = [];
    client.publish('t', 'x', { qos: 2 }, (error) => callbacks.push(error ?? 'ok'));
    await flush();
    broker.last.reply({ cmd: 'pubrec', messageId: 1 });
    await flush();
    await flush();
    expect(broker.last.commands).toEqual(['connect', 'publish', 'pubrel']);
    client.end(true, () => client.reconnect());
    await flush();
    await flush();
    expect(broker.last.commands).toEqual(['connect', 'pubrel']);
    expect(store.entries()).toEqual([{ cmd: 'pubrel', messageId: 1 }]);
    broker.last.reply({ cmd: 'pubcomp', messageId: 1 });
    await flush();
    await flush();
    expect(callbacks).toEqual(['ok']);
    expect(errors).toEqual([]);
    await new Promise<void>((resolve) => client.end(true, () => resolve()));
    expect(leftIn(dir)).toEqual([]);
  });

  it('fails a publish made after the reconnect with StoreLockedError, through its callback, while another FileStore holds the directory', async () => {
    const dir = join(root, 'outgoing');
    const { broker, client } = await scripted(new FileStore(dir));
    client.end(true);
    await flush();
    const holder = new FileStore(dir);
    try {
      client.reconnect();
      await flush();
      const failed = new Promise<Error | undefined>((resolve) => client.publish('t', 'x', { qos: 1 }, (error) => resolve(error)));
      const error = await within(failed, 'the publish callback');
      expect(error).toMatchObject({ code: 'ERR_STORE_LOCKED', ownerPid: process.pid });
      expect(broker.last.packets('publish')).toEqual([]);
      expect(holder.entries()).toEqual([]);
    } finally {
      holder.close();
    }
  });
});
