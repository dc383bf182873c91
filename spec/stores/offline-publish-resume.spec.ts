/**
 * Publishes made before the client ever reached its broker survive a restart (issue 19, part 1):
 * a client whose broker is down publishes QoS 1 and QoS 2, every `cbStorePut` fires (so each
 * publish is in the durable store), the process goes away, and a new client with the same
 * clientId and a store on the same place delivers every message to a subscriber on aedes, the
 * QoS 2 ones exactly once. Once with a FileStore, once with an IndexedDBStore (fake-indexeddb).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IDBFactory } from 'fake-indexeddb';
import { connect, type MqttClient } from '../../lib/index.js';
import { FileStore } from '../../lib/stores/file-store.js';
import { IndexedDBStore } from '../../lib/stores/indexeddb-store.js';
import type { IStore } from '../../lib/stores/store.js';
import { once, within } from '../helpers/wait.js';
import { connected, subscribed, useAedes } from '../integration/support.js';

const fixture = useAedes();
const clientId = 'offline-resume';
const PER_QOS = 25;

/** Opens the store a restarted process would open again (same directory, same database name). */
type StorePlace = { open(): IStore; dispose(): void };

const places: Record<string, () => StorePlace> = {
  FileStore: () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxmqtt-offline-'));
    return { open: () => new FileStore(dir), dispose: () => rmSync(dir, { recursive: true, force: true }) };
  },
  IndexedDBStore: () => {
    const indexedDB = new IDBFactory();
    return { open: () => new IndexedDBStore(`${clientId}-outgoing`, { indexedDB }), dispose: () => undefined };
  },
};

describe.each(Object.keys(places))('a client that never reached its broker, with a %s', (kind) => {
  let place: StorePlace;
  beforeEach(() => (place = places[kind]()));
  afterEach(() => place.dispose());

  it('keeps its QoS 1 and QoS 2 publishes through a restart: each cbStorePut fires offline, and the next client delivers every message, QoS 2 exactly once', async () => {
    const counts = new Map<string, number>();
    let all!: () => void;
    const arrived = new Promise<void>((resolve) => (all = resolve));
    const listener = await connected(fixture().rx());
    await subscribed(listener, listener.topic('offline/#', { qos: 2 }), (message) => {
      const payload = message.payload.toString();
      counts.set(payload, (counts.get(payload) ?? 0) + 1);
      if (payload === 'fence') all();
    });

    // Nothing listens on port 1: every attempt is refused, the client never connects.
    const down: MqttClient = connect('mqtt://127.0.0.1:1', { clientId, clean: false, reconnectPeriod: 60_000, outgoingStore: place.open() });
    down.on('error', () => undefined);
    const accepted: Promise<void>[] = [];
    for (let i = 0; i < PER_QOS; i++) {
      for (const qos of [1, 2] as const) {
        accepted.push(new Promise<void>((resolve) => down.publish(`offline/q${qos}`, `q${qos}-${i}`, { qos, cbStorePut: resolve }, () => undefined)));
      }
    }
    await within(Promise.all(accepted), `cbStorePut of the ${accepted.length} offline publishes`);
    expect(down.connected).toBe(false);
    await down.endAsync(true); // the process goes away

    const second = fixture().rx('in-memory', { clientId, clean: false, outgoingStore: place.open() });
    const errors: Error[] = [];
    second.on('error', (error) => errors.push(error));
    await once(second, 'connect');
    // Sent after the resumed ones on the same connection: when it arrives, they all have.
    await second.publishAsync('offline/fence', 'fence', { qos: 2 });
    await within(arrived, 'the fence message');

    const duplicated = [...counts].filter(([payload, n]) => payload.startsWith('q2') && n !== 1);
    const missing = accepted.length + 1 - counts.size;
    expect({ missing, duplicated }).toEqual({ missing: 0, duplicated: [] });
    expect(errors).toEqual([]);
  });

  // What reconnecting-and-stores.md says of clean: true: end() fails the publish (the session is
  // not resumed), but the durable store is the app's outbox, so what cbStorePut accepted is sent
  // by the next client on the store, as a new delivery.
  it('with clean: true, fails at end() a publish the store accepted, and the next client on the store still sends it', async () => {
    const listener = await connected(fixture().rx());
    const received: string[] = [];
    let fenced!: () => void;
    const fence = new Promise<void>((resolve) => (fenced = resolve));
    await subscribed(listener, listener.topic('outbox/#', { qos: 1 }), (message) => {
      received.push(message.payload.toString());
      if (message.topic === 'outbox/fence') fenced();
    });

    const down: MqttClient = connect('mqtt://127.0.0.1:1', { clientId, reconnectPeriod: 60_000, outgoingStore: place.open() });
    down.on('error', () => undefined);
    let stored!: () => void;
    const accepted = new Promise<void>((resolve) => (stored = resolve));
    const outcome = new Promise<Error | undefined>((resolve) => down.publish('outbox/a', 'accepted', { qos: 1, cbStorePut: stored }, (error) => resolve(error ?? undefined)));
    await within(accepted, 'cbStorePut of the offline publish');
    await down.endAsync(true);
    expect(await outcome).toMatchObject({ name: 'ClientClosedError' });

    const second = fixture().rx('in-memory', { clientId, outgoingStore: place.open() });
    await once(second, 'connect');
    await second.publishAsync('outbox/fence', 'fence', { qos: 1 });
    await within(fence, 'the fence message');
    expect(received).toEqual(['accepted', 'fence']);
  });
});
