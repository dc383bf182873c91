/**
 * A store written the way third-party MQTT.js stores are (mqtt-level-store and the like) works as
 * `outgoingStore` and `incomingStore`: callbacks only, every callback on a later turn, packets read
 * back through a Readable object stream, close(cb). Resume semantics across a restart, against a
 * scripted broker (aedes acknowledges at once, so it cannot leave a message in flight).
 */
import { Readable } from 'node:stream';
import type { IPublishPacket, Packet } from '../../lib/protocol/codec.js';
import type { StorePacket } from '../../lib/stores/store.js';
import type { MqttMessage } from '../../lib/inbound/message.js';
import { accepting } from '../helpers/scripted-broker.js';
import { flush, harness, strip } from '../connection/harness.js';

type Callback = (error?: Error | null, packet?: StorePacket) => void;

/**
 * The store under test. `db` stands for the disk: a store opened on the same `db` after a restart
 * finds what the last one left. Like mqtt-level-store it calls `cb` without checking it is there
 * ("cb is not a function" for a client that leaves it out) and answers on a later turn; `hold()`
 * keeps its answers back until `answer()`, for a test that looks in between.
 */
class CallbackStore {
  closed = false;
  private held?: Array<() => void>;

  constructor(private readonly db: Map<number, StorePacket>) {}

  put(packet: StorePacket, cb: Callback): this {
    const copy = { ...packet };
    this.later(() => {
      this.db.set(copy.messageId as number, copy);
      cb(null);
    });
    return this;
  }

  get(packet: StorePacket, cb: Callback): this {
    this.later(() => {
      const found = this.db.get(packet.messageId as number);
      if (found) cb(null, found);
      else cb(new Error('missing packet'));
    });
    return this;
  }

  del(packet: StorePacket, cb: Callback): this {
    this.later(() => {
      const found = this.db.get(packet.messageId as number);
      if (!found) return cb(new Error('missing packet'));
      this.db.delete(packet.messageId as number);
      cb(null, found);
    });
    return this;
  }

  createStream(): Readable {
    const values = [...this.db.values()];
    let next = 0;
    return new Readable({
      objectMode: true,
      read() {
        setImmediate(() => this.push(next < values.length ? values[next++] : null));
      },
    });
  }

  close(cb: (error?: Error | null) => void): void {
    this.closed = true;
    setImmediate(() => cb(null));
  }

  hold(): void {
    this.held = [];
  }

  answer(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const run of held) run();
  }

  private later(run: () => void): void {
    if (this.closed) throw new Error('store is closed');
    if (this.held) this.held.push(run);
    else setImmediate(run);
  }
}

const base = { keepalive: 0, clean: false, clientId: 'meter-7', reconnectPeriod: 0 };

/** A few turns: the store answers on a later one, and the client writes on the one after. */
async function turns(n = 4): Promise<void> {
  for (let i = 0; i < n; i++) await flush();
}

function start(outgoing: Map<number, StorePacket>, incoming: Map<number, StorePacket>, sessionPresent: boolean) {
  const outgoingStore = new CallbackStore(outgoing);
  const incomingStore = new CallbackStore(incoming);
  const started = harness({ client: { ...base, outgoingStore, incomingStore }, broker: { autoConnack: () => accepting({ sessionPresent }) } });
  return { outgoingStore, incomingStore, started };
}

function publishOf(messageId: number, qos: 1 | 2, dup = false): IPublishPacket {
  return { cmd: 'publish', topic: 'meter/7', payload: Buffer.from(`reading ${messageId}`), qos, retain: false, dup, messageId };
}

describe('a third-party-style store (callbacks only, answers on a later turn)', () => {
  it('keeps unacknowledged publishes across a restart and resends them from it, DUP=1 and in order, until acknowledged', async () => {
    const outgoing = new Map<number, StorePacket>();
    const incoming = new Map<number, StorePacket>();
    const first = start(outgoing, incoming, false);
    const h1 = await first.started;
    const outcomes: string[] = [];
    for (const [payload, qos] of [['one', 1], ['two', 2]] as const) {
      h1.client.publish('meter/7', payload, { qos }, { resolve: () => outcomes.push(`done:${payload}`), reject: (error) => outcomes.push(error.message) });
    }
    await turns();
    expect(h1.broker.last.packets('publish').map((p) => p.payload.toString())).toEqual(['one', 'two']);
    expect([...outgoing.values()].map((p) => (p.payload as Buffer).toString())).toEqual(['one', 'two']);
    // The process "dies": end(force) closes the store, which keeps what is still in flight.
    expect(await h1.client.end({ force: true })).toBeUndefined();
    expect(first.outgoingStore.closed).toBe(true);
    expect(outgoing.size).toBe(2);

    const second = start(outgoing, incoming, true);
    const h2 = await second.started;
    await turns();
    const resent = h2.broker.last.packets('publish');
    expect(resent.map((p) => [p.payload.toString(), p.qos, p.dup])).toEqual([['one', 1, true], ['two', 2, true]]);
    h2.broker.last.reply({ cmd: 'puback', messageId: resent[0].messageId }, { cmd: 'pubrec', messageId: resent[1].messageId });
    await turns();
    expect(strip(h2.broker.last.received.filter((p: Packet) => p.cmd === 'pubrel'))).toEqual([{ cmd: 'pubrel', messageId: resent[1].messageId }]);
    expect([...outgoing.values()].map((p) => p.cmd)).toEqual(['pubrel']);
    h2.broker.last.reply({ cmd: 'pubcomp', messageId: resent[1].messageId });
    await turns();
    expect(outgoing.size).toBe(0);
    expect(h2.errors()).toEqual([]);
  });

  it('sends the PUBREC of an inbound QoS 2 message only once the store has its id, and after a restart delivers it no second time', async () => {
    const outgoing = new Map<number, StorePacket>();
    const incoming = new Map<number, StorePacket>();
    const first = start(outgoing, incoming, false);
    const h1 = await first.started;
    await turns();
    const delivered: MqttMessage[] = [];
    h1.client.messages$.subscribe((m) => delivered.push(m));
    first.incomingStore.hold();
    h1.broker.last.reply(publishOf(7, 2));
    await turns();
    expect(h1.broker.last.received.filter((p: Packet) => p.cmd === 'pubrec')).toEqual([]);
    first.incomingStore.answer();
    await turns();
    expect(h1.broker.last.received.filter((p: Packet) => p.cmd === 'pubrec').map((p: Packet) => p.messageId)).toEqual([7]);
    expect([...incoming.keys()]).toEqual([7]);
    expect(delivered).toHaveLength(1);
    await h1.client.end({ force: true }); // before the PUBREL

    const second = start(outgoing, incoming, true);
    const h2 = await second.started;
    await turns();
    const redelivered: MqttMessage[] = [];
    h2.client.messages$.subscribe((m) => redelivered.push(m));
    // A broker that missed our PUBREC sends the PUBLISH again, then the PUBREL.
    h2.broker.last.reply(publishOf(7, 2, true));
    await turns();
    h2.broker.last.reply({ cmd: 'pubrel', messageId: 7 });
    await turns();
    expect(h2.broker.last.received.filter((p: Packet) => p.cmd === 'pubcomp').map((p: Packet) => p.messageId)).toEqual([7]);
    expect(redelivered).toEqual([]);
    expect(incoming.size).toBe(0);
    expect(h2.errors()).toEqual([]);
  });

  it('lets end() send DISCONNECT while a PUBREC still waits for the store (no Will for a clean end)', async () => {
    const { incomingStore, started } = start(new Map(), new Map(), false);
    const h = await started;
    await turns();
    incomingStore.hold();
    h.broker.last.reply(publishOf(3, 2));
    await turns();
    await h.client.end();
    expect(h.broker.last.commands).toEqual(['connect', 'disconnect']);
  });

  it('reports an incomingStore put that fails as an error event, and still answers PUBREC', async () => {
    const incomingStore = Object.assign(new CallbackStore(new Map()), {
      put(_packet: StorePacket, cb: Callback) {
        setImmediate(() => cb(new Error('disk full')));
        return incomingStore;
      },
    });
    const h = await harness({ client: { ...base, incomingStore }, broker: { autoConnack: true } });
    await turns();
    h.broker.last.reply(publishOf(9, 2));
    await turns();
    expect(h.broker.last.received.filter((p: Packet) => p.cmd === 'pubrec').map((p: Packet) => p.messageId)).toEqual([9]);
    expect(h.errors().map((e) => e.message)).toEqual(['disk full']);
  });
});
