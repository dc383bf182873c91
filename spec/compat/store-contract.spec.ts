/**
 * MQTT.js's Store contract as an app sees it through the facade, against aedes: end() closes the
 * stores and hands their close() error to its callback, an outgoingStore.put error fails the
 * publish, and 'outgoingEmpty' tells when end() stopped waiting for in-flight messages.
 */
import { MqttClient } from '../../lib/compat/compat.js';
import { Store, type StorePacket } from '../../lib/stores/store.js';
import type { Packet } from '../../lib/protocol/codec.js';
import { useAedes, connected, within } from '../integration/support.js';
import { once } from '../helpers/wait.js';

const fixture = useAedes();

/** A memory store whose close() reports `error` (and records its calls in `log` as `name`). */
function failingClose(name: string, log: string[], error?: Error): Store {
  return Object.assign(new Store(), {
    close(cb?: (error?: Error | null) => void) {
      log.push(name);
      cb?.(error);
    },
  });
}

function endWith(client: MqttClient, force = false): Promise<[error: Error | undefined, endArgs: unknown[][]]> {
  const endArgs: unknown[][] = [];
  client.on('end', (...args: unknown[]) => endArgs.push(args));
  return within(new Promise((resolve) => client.end(force, {}, (error) => setImmediate(() => resolve([error, endArgs])))), 'end()');
}

describe('end() and the stores', () => {
  it('closes the incomingStore, then the outgoingStore, once each', async () => {
    const log: string[] = [];
    const client = await connected(fixture().rx('in-memory', { incomingStore: failingClose('incoming', log), outgoingStore: failingClose('outgoing', log) }));
    const [error] = await endWith(client);
    expect(error).toBeUndefined();
    expect(log).toEqual(['incoming', 'outgoing']);
  });

  it.each(['incomingStore', 'outgoingStore'] as const)('passes an error from the %s close() to the end() callback, not to the end listeners', async (which) => {
    const refusal = new Error('test');
    const client = await connected(fixture().rx('in-memory', { [which]: failingClose(which, [], refusal) }));
    const [error, endArgs] = await endWith(client);
    expect(error).toBe(refusal);
    expect(endArgs).toEqual([[]]);
  });

  it('rejects endAsync() with the close() error', async () => {
    const refusal = new Error('disk gone');
    const client = await connected(fixture().rx('in-memory', { outgoingStore: failingClose('outgoing', [], refusal) }));
    await expect(within(client.endAsync(), 'endAsync()')).rejects.toBe(refusal);
  });

  it('still closes the outgoingStore when the incomingStore close() throws', async () => {
    const log: string[] = [];
    const throwing = Object.assign(new Store(), {
      close() {
        throw new Error('thrown by close');
      },
    });
    const client = await connected(fixture().rx('in-memory', { incomingStore: throwing, outgoingStore: failingClose('outgoing', log) }));
    const [error] = await endWith(client, true);
    expect(error?.message).toBe('thrown by close');
    expect(log).toEqual(['outgoing']);
  });
});

describe('an outgoingStore whose put fails', () => {
  it('gives the publish callback the store error, and the broker never receives the message (as MQTT.js, published offline)', async () => {
    const refusal = new Error('oops there is an error');
    const store = Object.assign(new Store(), {
      put(_packet: StorePacket, cb?: (error?: Error | null) => void) {
        setImmediate(() => cb?.(refusal));
        return this;
      },
    });
    const client = fixture().rx('in-memory', { outgoingStore: store, clientId: 'refused-store' });
    const sent: Packet[] = [];
    client.on('packetsend', (packet) => sent.push(packet));
    const [error] = await within(new Promise<unknown[]>((resolve) => client.publish('test', 'test', { qos: 2 }, (...args) => resolve(args))), 'publish callback');
    expect(error).toBe(refusal);
    expect(sent.filter((packet) => packet.cmd === 'publish')).toEqual([]);
    // The message is gone for good: nothing is in flight, so end() does not wait for it.
    await within(client.endAsync(), 'end()');
  });
});

describe("the 'outgoingEmpty' event", () => {
  it('is emitted when end() waited and the last in-flight publish was acknowledged, before end', async () => {
    const client = await connected(fixture().rx('in-memory'));
    const events: string[] = [];
    client.on('outgoingEmpty', () => events.push('outgoingEmpty'));
    client.on('end', () => events.push('end'));
    client.publish('a', 'one', { qos: 1 });
    client.publish('a', 'two', { qos: 2 });
    client.end();
    await once(client, 'end');
    expect(events).toEqual(['outgoingEmpty', 'end']);
  });

  it('is not emitted when end() has nothing to wait for', async () => {
    const client = await connected(fixture().rx('in-memory'));
    const events: string[] = [];
    client.on('outgoingEmpty', () => events.push('outgoingEmpty'));
    client.end();
    await once(client, 'end');
    expect(events).toEqual([]);
  });
});

describe('cbStorePut and the publish callback together', () => {
  it.each([1, 2] as const)('QoS %i with an outgoingStore: cbStorePut fires, then the callback with the broker ack', async (qos) => {
    const client = await connected(fixture().rx('in-memory', { outgoingStore: new Store() }));
    const log: string[] = [];
    const acked = new Promise<[Error | null | undefined, Packet | undefined]>((resolve) =>
      client.publish('stored/both', 'x', { qos, cbStorePut: () => log.push('stored') }, (error, packet) => resolve([error, packet])),
    );
    const [error, packet] = await within(acked, 'the publish callback');
    expect(error).toBeNull();
    expect(log).toEqual(['stored']);
    expect(packet?.cmd).toBe(qos === 1 ? 'puback' : 'pubcomp');
    client.end();
    await once(client, 'end');
  });
});
