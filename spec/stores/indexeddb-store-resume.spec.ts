/**
 * A client resuming from an IndexedDBStore after its page went away, against aedes (in Node, on
 * fake-indexeddb): the first client's publishes are accepted by the store (cbStorePut) but never
 * acknowledged (aedes withholds them), the client is dropped, and a new client with the same
 * clientId and a new store on the same name (what a reloaded page creates) resends them with
 * DUP=1 and their original ids; each arrives once.
 */
import { IDBFactory } from 'fake-indexeddb';
import type { MqttClient } from '../../lib/compat/compat.js';
import { IndexedDBStore } from '../../lib/stores/indexeddb-store.js';
import { readStore } from '../../lib/stores/read-store.js';
import { withholdPublishAcks } from '../helpers/withheld-acks.js';
import { connected, subscribed, useAedes, within } from '../integration/support.js';

const fixture = useAedes();
const clientId = 'idb-resume';

/** The stores a page with this client id creates on load. */
function stores(indexedDB: IDBFactory) {
  return { outgoingStore: new IndexedDBStore(`${clientId}-outgoing`, { indexedDB }), incomingStore: new IndexedDBStore(`${clientId}-incoming`, { indexedDB }) };
}

function stored(store: IndexedDBStore): Promise<unknown[]> {
  return within(new Promise((resolve) => readStore(store, (packets) => resolve(packets.map((p) => p.messageId)))), 'the store stream');
}

describe('a client resuming from an IndexedDBStore after a reload', () => {
  it('resends the QoS 1 and QoS 2 publishes accepted by the store with DUP=1 and their ids, each arriving once, and empties the store', async () => {
    const indexedDB = new IDBFactory();
    const received: string[] = [];
    const listener = await connected(fixture().rx());
    let fence!: () => void;
    const fenced = new Promise<void>((resolve) => (fence = resolve));
    await subscribed(listener, listener.topic('durable/#', { qos: 2 }), (message) => {
      const payload = message.payload.toString();
      if (payload === 'fence') fence();
      else received.push(payload);
    });
    let firstPage = true;
    const broker = withholdPublishAcks(fixture().aedes, clientId, () => firstPage);

    const first: MqttClient = await connected(fixture().rx('in-memory', { clientId, clean: false, ...stores(indexedDB) }));
    // aedes keeps the session of a client with a subscription (Session Present 1 on the reload).
    await first.subscribeAsync(`${clientId}/keep`, { qos: 1 });
    first.on('error', () => undefined);
    const accepted = ['q1', 'q2'].map(
      (payload, i) => new Promise<void>((resolve) => first.publish('durable/t', payload, { qos: (i + 1) as 1 | 2, cbStorePut: resolve }, () => undefined)),
    );
    await within(Promise.all(accepted), 'cbStorePut of both publishes');
    await within(broker.count(2), 'the first PUBLISHes');
    first.end(true); // the page goes away: nothing acknowledged

    firstPage = false;
    const reloaded = stores(indexedDB);
    const second = await connected(fixture().rx('in-memory', { clientId, clean: false, ...reloaded }));
    const errors: Error[] = [];
    second.on('error', (error) => errors.push(error));
    await second.publishAsync('durable/t', 'fence', { qos: 2 });
    await within(fenced, 'the fence message');

    expect(broker.seen.slice(0, 4)).toEqual(['q1#2', 'q2#3', 'q1#2+dup', 'q2#3+dup']);
    expect([...received].sort()).toEqual(['q1', 'q2']);
    expect(errors).toEqual([]);
    await second.endAsync();
    expect(await stored(reloaded.outgoingStore)).toEqual([]);
    expect(await stored(reloaded.incomingStore)).toEqual([]);
  });
});
