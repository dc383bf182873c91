// Scenario 2: many cuts at random points (seeded, so a failure can be replayed): at packet
// boundaries and in the middle of packets, in both directions, CONNECT and CONNACK included.
//
// - aedes: the publisher's connection is cut ~70 times over 2,000 messages; the subscriber is on
//   the broker directly.
// - mosquitto: both connections are cut, so the subscriber's inbound QoS 2 de-duplication across
//   reconnects is tested too (aedes 1.2 mishandles outgoing QoS 2 state for persistent sessions,
//   so that half runs on mosquitto only).
//
// Asserted as in cut-points.spec.ts: QoS 1 none lost, final copies in order (duplicates allowed);
// QoS 2 none lost, none twice, in order.
import type { MqttClient, QoS } from '../../lib/index.js';
import { startAedes, type AedesHandle } from '../helpers/aedes.js';
import { startCuttingProxy, type CuttingProxy } from '../helpers/cutting-proxy.js';
import { describeMosquitto, startMosquitto, type MosquittoHandle } from '../helpers/mosquitto.js';
import { Clients, fence, Ledger, printSummary, publishNumbered, subscribeLedgers, uniqueId, within } from './support.js';
import { scaled } from '../helpers/wait.js';

const MESSAGES = 2000;
/** Sets the gap in messages; fewer cuts happen (messages dropped with a cut and re-sent with DUP=1 do not count). */
const CUTS_AIMED = 100;
const CUTS_MAX = 150;

/** Makes aedes report Session Present on reconnect (it does so only for clients with subscriptions). */
async function anchor(client: MqttClient): Promise<void> {
  await within(client.subscribeAsync(`faults/anchor/${client.options.clientId}`, { qos: 0 }), 'anchor SUBACK');
}

function check(ledger: Ledger, qos: QoS): void {
  expect(ledger.lost()).toEqual([]);
  if (qos === 2) {
    expect(ledger.duplicated()).toEqual([]);
    expect(ledger.exactOrderViolation()).toBeUndefined();
  } else {
    expect(ledger.finalCopyOrderViolation()).toBeUndefined();
  }
}

describe('a publisher cut at random points (aedes)', () => {
  let aedes: AedesHandle | undefined;
  let proxy: CuttingProxy | undefined;
  const clients = new Clients();

  afterEach(async () => {
    await clients.closeAll();
    await proxy?.close();
    await aedes?.close();
    proxy = aedes = undefined;
  });

  it.each([
    [1, '0x5eed1'],
    [2, '0x5eed2'],
  ] as Array<[1 | 2, string]>)('loses no QoS %i message over 2,000 messages and 30+ cuts (seed %s)', async (qos, seed) => {
    aedes = await startAedes();
    const meanGap = Math.round(MESSAGES / CUTS_AIMED);
    proxy = await startCuttingProxy({ port: aedes.port, random: { seed: Number(seed), unit: 'message', meanGap, maxCuts: CUTS_MAX } });
    const topic = `faults/random/${qos}`;
    const ledger = new Ledger(MESSAGES);
    const subscriber = clients.open(aedes.url, { clean: false, clientId: uniqueId('sub') });
    await subscribeLedgers(subscriber, { [topic]: ledger }, { [topic]: qos });
    const publisher = clients.open(proxy.url, { clean: false, clientId: uniqueId('pub') });
    await anchor(publisher);
    try {
      await within(publishNumbered(publisher, topic, qos, MESSAGES), 'every publish callback', scaled(60_000));
      await fence(publisher, topic, qos, ledger);
    } finally {
      const duplicated = ledger.duplicated().length;
      printSummary(`random cuts, publisher side, QoS ${qos}, aedes, seed ${seed}`, {
        messages: MESSAGES,
        cuts: proxy.cuts,
        restarts: 0,
        lost: ledger.lost().length,
        duplicated: qos === 2 ? duplicated : 0,
        extra: { qos1Redelivered: qos === 1 ? duplicated : 0, connections: proxy.connections },
      });
    }
    expect(proxy.cuts).toBeGreaterThanOrEqual(30);
    check(ledger, qos);
  }, scaled(240_000));
});

describeMosquitto('a publisher and a subscriber both cut at random points (mosquitto)', () => {
  let mosquitto: MosquittoHandle | undefined;
  const proxies: CuttingProxy[] = [];
  const clients = new Clients();

  afterEach(async () => {
    await clients.closeAll();
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
    await mosquitto?.stop();
    mosquitto = undefined;
  });

  it('loses no QoS 1 or QoS 2 message and delivers no QoS 2 message twice over 2,000 of each', async () => {
    mosquitto = await startMosquitto();
    const topics = { 1: 'faults/random-both/1', 2: 'faults/random-both/2' } as const;
    const ledgers = { [topics[1]]: new Ledger(MESSAGES), [topics[2]]: new Ledger(MESSAGES) };
    // Gaps count new messages (PUBLISH with DUP=0): 4,000 of them cross each connection.
    const meanGap = Math.round((2 * MESSAGES) / CUTS_AIMED);
    const random = { unit: 'message', meanGap, maxCuts: CUTS_MAX } as const;
    const publisherProxy = await startCuttingProxy({ port: mosquitto.port, random: { seed: 0xbeef1, ...random } });
    const subscriberProxy = await startCuttingProxy({ port: mosquitto.port, random: { seed: 0xbeef2, ...random } });
    proxies.push(publisherProxy, subscriberProxy);
    const subscriber = clients.open(subscriberProxy.url, { clean: false, clientId: uniqueId('sub') });
    // The SUBSCRIBE may be cut too: subscribeAsync waits across reconnects.
    await subscribeLedgers(subscriber, ledgers, { [topics[1]]: 1, [topics[2]]: 2 });
    const publisher = clients.open(publisherProxy.url, { clean: false, clientId: uniqueId('pub') });
    const q1 = ledgers[topics[1]]!;
    const q2 = ledgers[topics[2]]!;
    try {
      await within(
        Promise.all([publishNumbered(publisher, topics[1], 1, MESSAGES), publishNumbered(publisher, topics[2], 2, MESSAGES)]),
        'every publish callback',
        scaled(60_000),
      );
      await fence(publisher, topics[1], 1, q1);
      await fence(publisher, topics[2], 2, q2);
    } finally {
      printSummary('random cuts, publisher and subscriber sides, QoS 1 + QoS 2, mosquitto', {
        messages: 2 * MESSAGES,
        cuts: publisherProxy.cuts + subscriberProxy.cuts,
        restarts: 0,
        lost: q1.lost().length + q2.lost().length,
        duplicated: q2.duplicated().length,
        extra: { publisherCuts: publisherProxy.cuts, subscriberCuts: subscriberProxy.cuts, qos1Redelivered: q1.duplicated().length },
      });
    }
    expect(publisherProxy.cuts).toBeGreaterThanOrEqual(30);
    expect(subscriberProxy.cuts).toBeGreaterThanOrEqual(30);
    check(q1, 1);
    check(q2, 2);
  }, scaled(240_000));
});
