// Scenario 1: the publisher's connection is cut at the worst moments of the QoS 1 and QoS 2
// flows (a cutting proxy between it and aedes), while a subscriber on the broker directly keeps
// a ledger. Both use persistent sessions (clean: false, fixed client id); the publisher
// reconnects after 20 ms and resumes its session: unacknowledged PUBLISHes again with DUP=1 and
// their ids, PUBREC'd QoS 2 messages with PUBREL only.
//
// Asserted at the subscriber, after a fence message proves the broker forwarded everything:
// - QoS 1: none lost; duplicates allowed (at least once); the final copy of each message arrives
//   in publish order (MQTT 3.1.1 section 4.6: 1,2,3,2,3,4 is fine, 1,3,2 is not).
// - QoS 2: none lost, none twice, in publish order.
// And at the proxy: every planned cut happened.
//
// Each case runs against three brokers. aedes reports Session Present only for clients that have
// subscriptions, though it keeps a publisher's inbound QoS 2 state either way: with a subscription
// it takes the resume path (DUP=1, PUBREL), without it the new-session path (re-sent as new
// deliveries with their ids, PUBREC'd ones count as delivered). aedes delivers QoS 2 at PUBLISH;
// mosquitto (session present, resume path) at PUBREL, so it catches a PUBREL that is not resumed.
import type { MqttClient, QoS } from '../../lib/index.js';
import { startAedes, type AedesHandle } from '../helpers/aedes.js';
import { startCuttingProxy, type CutRule, type CuttingProxy } from '../helpers/cutting-proxy.js';
import { describeMosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { Clients, fence, Ledger, printSummary, publishNumbered, subscribeLedgers, uniqueId, within } from './support.js';

const MESSAGES = 500;
/** Spread over the run: the nth packet of a kind, counting re-sends. */
const SPREAD = [60, 170, 280, 390];

const every = (make: (n: number) => CutRule): CutRule[] => SPREAD.map(make);

/** Cuts during CONNECT need reconnects to cut: the first CONNECT, then the ones after PUBLISH cuts. */
const connectCuts: CutRule[] = [
  { at: 'connect', n: 1, mode: 'beforeConnack' }, // the broker made the session; the client never heard
  { at: 'publish', n: 100 },
  { at: 'connect', n: 3, mode: 'partial' },
  { at: 'connect', n: 4, mode: 'beforeConnack' },
  { at: 'publish', n: 300 },
  { at: 'connect', n: 6, mode: 'partial' },
];

const CASES: Array<[string, QoS, CutRule[]]> = [
  ['after PUBLISH reached the broker, before its PUBACK got back', 1, every((n) => ({ at: 'publish', n }))],
  [
    'in the middle of a PUBLISH or of a PUBACK',
    1,
    [
      ...every((n) => ({ at: 'midPacket', from: 'client', cmd: 'publish', n })).slice(0, 2),
      ...every((n) => ({ at: 'midPacket', from: 'broker', cmd: 'puback', n })).slice(2),
    ],
  ],
  ['during CONNECT (part of it, or before the CONNACK)', 1, connectCuts],
  ['after PUBLISH reached the broker, before its PUBREC got back', 2, every((n) => ({ at: 'publish', n }))],
  ['after PUBREC reached the client, before its PUBREL got to the broker', 2, every((n) => ({ at: 'pubrec', n }))],
  ['after PUBREL reached the broker, before its PUBCOMP got back', 2, every((n) => ({ at: 'pubrel', n }))],
  [
    'in the middle of a PUBLISH, PUBREC, PUBREL or PUBCOMP',
    2,
    [
      { at: 'midPacket', from: 'client', cmd: 'publish', n: SPREAD[0]! },
      { at: 'midPacket', from: 'broker', cmd: 'pubrec', n: SPREAD[1]! },
      { at: 'midPacket', from: 'client', cmd: 'pubrel', n: SPREAD[2]! },
      { at: 'midPacket', from: 'broker', cmd: 'pubcomp', n: SPREAD[3]! },
    ],
  ],
  ['during CONNECT (part of it, or before the CONNACK)', 2, connectCuts],
];

/** A broker for one test: where clients connect, and how to get rid of it. */
interface Broker {
  port: number;
  url: string;
  close(): Promise<void>;
}

interface BrokerKind {
  name: string;
  start(): Promise<Broker>;
  /** aedes says Session Present only to a client with a subscription: give the publisher one. */
  anchor: boolean;
}

const AEDES_WITH_SESSION: BrokerKind = { name: 'aedes reports its session', start: startAedes, anchor: true };
const AEDES_WITHOUT_SESSION: BrokerKind = { name: 'aedes reports no session', start: startAedes, anchor: false };
// mosquitto releases a QoS 2 message to subscribers at PUBREL (aedes at PUBLISH): a PUBREC'd
// message that is not resumed with PUBREL is lost there.
const MOSQUITTO: BrokerKind = {
  name: 'mosquitto',
  start: async () => {
    const broker = await startMosquitto();
    return { port: broker.port, url: broker.url, close: () => broker.stop() };
  },
  anchor: false,
};

function cutPointSpecs(kind: BrokerKind): void {
  let broker: Broker | undefined;
  let proxy: CuttingProxy | undefined;
  const clients = new Clients();

  afterEach(async () => {
    await clients.closeAll();
    await proxy?.close();
    await broker?.close();
    proxy = broker = undefined;
  });

  it.each(CASES)('loses no message when cut %s (QoS %i)', async (point, qos, rules) => {
    broker = await kind.start();
    proxy = await startCuttingProxy({ port: broker.port, rules });
    const topic = `faults/points/${qos}`;
    const ledger = new Ledger(MESSAGES);
    const subscriber = clients.open(broker.url, { clean: false, clientId: uniqueId('sub') });
    await subscribeLedgers(subscriber, { [topic]: ledger }, { [topic]: qos });

    const publisher = clients.open(proxy.url, { clean: false, clientId: uniqueId('pub') });
    if (kind.anchor) await anchor(publisher);
    let reconnects = 0;
    publisher.on('reconnect', () => reconnects++);
    try {
      await within(publishNumbered(publisher, topic, qos, MESSAGES), 'every publish callback');
      await fence(publisher, topic, qos, ledger);
    } finally {
      const duplicated = ledger.duplicated().length;
      printSummary(`cut ${point}, QoS ${qos}, ${kind.name}`, {
        messages: MESSAGES,
        cuts: proxy.cuts,
        restarts: 0,
        lost: ledger.lost().length,
        duplicated: qos === 2 ? duplicated : 0,
        extra: { qos1Redelivered: qos === 1 ? duplicated : 0, reconnects },
      });
    }

    expect(proxy.unfired()).toEqual([]);
    expect(proxy.cuts).toBe(rules.length);
    expect(ledger.lost()).toEqual([]);
    if (qos === 2) {
      expect(ledger.duplicated()).toEqual([]);
      expect(ledger.exactOrderViolation()).toBeUndefined();
    } else {
      expect(ledger.finalCopyOrderViolation()).toBeUndefined();
    }
  });
}

/** Makes aedes report Session Present on reconnect: before any cut, so the rules' n still count from 1. */
async function anchor(client: MqttClient): Promise<void> {
  await within(client.subscribeAsync(`faults/anchor/${client.options.clientId}`, { qos: 0 }), 'anchor SUBACK');
}

describe('a publisher whose connection is cut at chosen points (aedes reports its session)', () => cutPointSpecs(AEDES_WITH_SESSION));
describe('a publisher whose connection is cut at chosen points (aedes reports no session)', () => cutPointSpecs(AEDES_WITHOUT_SESSION));
describeMosquitto('a publisher whose connection is cut at chosen points (mosquitto)', () => cutPointSpecs(MOSQUITTO));

describe('publishes made while a cut publisher resumes its session (aedes)', () => {
  let aedes: AedesHandle | undefined;
  let proxy: CuttingProxy | undefined;
  const clients = new Clients();

  afterEach(async () => {
    await clients.closeAll();
    await proxy?.close();
    await aedes?.close();
    proxy = aedes = undefined;
  });

  it("go out after the re-sent in-flight messages when published from the 'connect' listener", async () => {
    const first = 40;
    const total = 80;
    aedes = await startAedes();
    // Cut in the middle of the 10th PUBLISH: the broker has 0..8; 9..39 are in flight, unseen.
    proxy = await startCuttingProxy({ port: aedes.port, rules: [{ at: 'midPacket', from: 'client', cmd: 'publish', n: 10 }] });
    const topic = 'faults/resume-order';
    const ledger = new Ledger(total);
    const subscriber = clients.open(aedes.url, { clean: false, clientId: uniqueId('sub') });
    await subscribeLedgers(subscriber, { [topic]: ledger }, { [topic]: 2 });
    const publisher = clients.open(proxy.url, { clean: false, clientId: uniqueId('pub') });
    await anchor(publisher);
    const sent: string[] = [];
    publisher.packetsOut$.subscribe((p) => p.cmd === 'publish' && sent.push(`${p.payload}${p.dup ? '(dup)' : ''}`));

    const acked: Array<Promise<unknown>> = [];
    const publishRange = (from: number, to: number) => {
      for (let seq = from; seq < to; seq++) acked.push(publisher.publishAsync(topic, String(seq), { qos: 2 }));
    };
    // An MQTT.js habit: publish from the 'connect' listener. Here: once the session resumes.
    publisher.once('reconnect', () => publisher.once('connect', () => publishRange(first, total)));
    publishRange(0, first);
    await within(Promise.all(acked.slice(0, first)), 'the first publishes');
    await within(Promise.all(acked), 'every publish');
    await fence(publisher, topic, 2, ledger);
    printSummary("publish from the 'connect' listener after a cut", {
      messages: total,
      cuts: proxy.cuts,
      restarts: 0,
      lost: ledger.lost().length,
      duplicated: ledger.duplicated().length,
      extra: { order: ledger.exactOrderViolation() ? 'broken' : 'kept' },
    });
    expect(proxy.cuts).toBe(1);
    expect(ledger.lost()).toEqual([]);
    expect(ledger.duplicated()).toEqual([]);
    // [MQTT-4.6.0-1] re-sends first, in their original order; then new traffic.
    expect(ledger.exactOrderViolation()).toBeUndefined();
    expect(sent.indexOf('9(dup)')).toBeGreaterThan(0);
    expect(sent.indexOf('9(dup)')).toBeLessThan(sent.indexOf(String(first)));
  });
});

describe('a subscriber whose SUBSCRIBE exchange is cut (aedes)', () => {
  let aedes: AedesHandle | undefined;
  let proxy: CuttingProxy | undefined;
  const clients = new Clients();

  afterEach(async () => {
    await clients.closeAll();
    await proxy?.close();
    await aedes?.close();
    proxy = aedes = undefined;
  });

  it('re-sends the SUBSCRIBE, gets its SUBACK and then every QoS 2 message once, in order', async () => {
    aedes = await startAedes();
    proxy = await startCuttingProxy({
      port: aedes.port,
      rules: [
        { at: 'midPacket', from: 'client', cmd: 'subscribe', n: 1 },
        { at: 'midPacket', from: 'broker', cmd: 'suback', n: 1 }, // the broker did subscribe us
      ],
    });
    const topic = 'faults/subscribe-cut';
    const ledger = new Ledger(MESSAGES);
    const subscriber = clients.open(proxy.url, { clean: false, clientId: uniqueId('sub') });
    await subscribeLedgers(subscriber, { [topic]: ledger }, { [topic]: 2 });
    const publisher = clients.open(aedes.url, { clean: false, clientId: uniqueId('pub') });
    await within(publishNumbered(publisher, topic, 2, MESSAGES), 'every publish callback');
    await fence(publisher, topic, 2, ledger);
    printSummary('cut during SUBSCRIBE and SUBACK, QoS 2, aedes', {
      messages: MESSAGES,
      cuts: proxy.cuts,
      restarts: 0,
      lost: ledger.lost().length,
      duplicated: ledger.duplicated().length,
    });
    expect(proxy.cuts).toBe(2);
    expect(ledger.lost()).toEqual([]);
    expect(ledger.duplicated()).toEqual([]);
    expect(ledger.exactOrderViolation()).toBeUndefined();
  });
});
