// Scenario 3: the broker restarts under load. mosquitto with persistence (saved on every change
// and on shutdown); a publisher and a subscriber with persistent sessions on it directly; the
// publisher sends thousands of QoS 1 and QoS 2 messages at once while the broker is restarted.
//
// What the client answers for, and fails the test:
// - a message lost although no broker that acknowledged it (PUBACK, or PUBREC for QoS 2) was
//   crashed afterwards: the publisher must re-send whatever was not acknowledged;
// - a QoS 2 message delivered again when it came back under the packet id of an exchange the
//   subscriber had not completed (no PUBCOMP sent yet) [MQTT-4.3.3-10].
// What the broker answers for, reported separately and not failing the test:
// - losses after kill -9 of what it had acknowledged but not saved yet;
// - QoS 2 messages it re-sends after the subscriber completed the exchange (PUBCOMP sent): the
//   id is free then, the PUBLISH is a new publication to the client [MQTT-4.3.3-11]. mosquitto
//   2.0.11 does this even after a graceful restart (it restores completed outgoing QoS 2
//   messages and sends them again with DUP=1); MQTT.js as the subscriber sees the same.
// Order: QoS 2 first copies in publish order; QoS 1 final copies in order (see cut-points.spec.ts).
import type { MqttClient, QoS } from '../../lib/index.js';
import { describeMosquitto, startMosquitto, type MosquittoHandle } from '../helpers/mosquitto.js';
import { Clients, fence, Ledger, printSummary, publishNumbered, subscribeLedgers, uniqueId, within } from './support.js';
import { scaled } from '../helpers/wait.js';

type Bounce = 'restart' | 'kill9';

/** Restarts (or crashes and restarts) the broker once the publisher's acks pass each threshold, one at a time. */
class BrokerBouncer {
  /** Bounces started; the broker that comes up after bounce k is instance k (the first is 0). */
  begun = 0;
  done = 0;
  private chain = Promise.resolve();
  private next = 0;

  constructor(
    private readonly broker: MosquittoHandle,
    private readonly thresholds: number[],
    private readonly how: Bounce,
  ) {}

  acked(total: number): void {
    for (; this.next < this.thresholds.length && total >= this.thresholds[this.next]!; this.next++) {
      this.chain = this.chain.then(() => this.bounce());
    }
  }

  /** Resolves when every bounce asked for so far has completed. */
  settled(): Promise<void> {
    return this.chain;
  }

  private async bounce(): Promise<void> {
    this.begun++;
    if (this.how === 'kill9') await this.broker.kill9();
    await this.broker.restart();
    this.done++;
  }
}

/**
 * The broker instance a client is talking to: its connection only drops when a bounce kills the
 * broker (nothing else cuts it here), so after a close it can only reach instance `begun`.
 */
function instanceOf(client: MqttClient, bouncer: BrokerBouncer): () => number {
  let instance = 0;
  client.on('close', () => (instance = bouncer.begun));
  return () => instance;
}

/** For each message, the broker instance whose PUBACK/PUBREC first acknowledged it to the publisher. */
function recordAckInstances(publisher: MqttClient, instance: () => number, totals: Record<string, number>): Record<string, Int32Array> {
  const ackedBy: Record<string, Int32Array> = {};
  for (const [topic, total] of Object.entries(totals)) ackedBy[topic] = new Int32Array(total).fill(-1);
  const inFlight = new Map<number, { topic: string; seq: number }>();
  publisher.packetsOut$.subscribe((packet) => {
    if (packet.cmd !== 'publish' || !packet.messageId || !ackedBy[packet.topic]) return;
    const seq = Number(String(packet.payload));
    if (Number.isInteger(seq)) inFlight.set(packet.messageId, { topic: packet.topic, seq });
  });
  publisher.packetsIn$.subscribe((packet) => {
    if ((packet.cmd !== 'puback' && packet.cmd !== 'pubrec') || !packet.messageId) return;
    const message = inFlight.get(packet.messageId);
    const acked = message && ackedBy[message.topic];
    if (acked && acked[message.seq] === -1) acked[message.seq] = instance();
  });
  return ackedBy;
}

/**
 * Splits the subscriber's repeated QoS 2 deliveries into the client's (re-sent under the id of an
 * exchange still open: the client must not deliver it again) and the broker's (anything else).
 */
function watchQos2Repeats(subscriber: MqttClient, topic: string, ledger: Ledger): { client: number[]; broker: number[] } {
  const repeats = { client: [] as number[], broker: [] as number[] };
  const open = new Map<number, number>(); // packet id -> seq, from PUBLISH until our PUBCOMP
  let resendOfOpen = false;
  subscriber.packetsIn$.subscribe((packet) => {
    if (packet.cmd !== 'publish' || packet.topic !== topic || !packet.messageId) return;
    const seq = Number(String(packet.payload));
    resendOfOpen = open.get(packet.messageId) === seq;
    if (!resendOfOpen) open.set(packet.messageId, seq);
  });
  subscriber.packetsOut$.subscribe((packet) => packet.cmd === 'pubcomp' && open.delete(packet.messageId!));
  ledger.onRepeat = (seq) => (resendOfOpen ? repeats.client : repeats.broker).push(seq);
  return repeats;
}

const TOPICS: Record<1 | 2, string> = { 1: 'faults/restart/1', 2: 'faults/restart/2' };

describeMosquitto('publishing through broker restarts (mosquitto with persistence)', () => {
  let mosquitto: MosquittoHandle | undefined;
  const clients = new Clients();

  afterEach(async () => {
    await clients.closeAll();
    await mosquitto?.stop();
    mosquitto = undefined;
  });

  it.each([
    ['restart', 3000, [0.15, 0.35, 0.55, 0.75]],
    ['kill9', 2000, [0.25, 0.5, 0.75]],
  ] as Array<[Bounce, number, number[]]>)('loses nothing the client answers for across %s (%i messages per QoS)', async (how, perQos, at) => {
    mosquitto = await startMosquitto({ persistence: true });
    const bouncer = new BrokerBouncer(mosquitto, at.map((share) => Math.round(share * 2 * perQos)), how);
    const ledgers = { 1: new Ledger(perQos), 2: new Ledger(perQos) };
    const subscriber = clients.open(mosquitto.url, { clean: false, clientId: uniqueId('sub') });
    const repeats = watchQos2Repeats(subscriber, TOPICS[2], ledgers[2]);
    await subscribeLedgers(subscriber, { [TOPICS[1]]: ledgers[1], [TOPICS[2]]: ledgers[2] }, { [TOPICS[1]]: 1, [TOPICS[2]]: 2 });
    const publisher = clients.open(mosquitto.url, { clean: false, clientId: uniqueId('pub') });
    const ackedBy = recordAckInstances(publisher, instanceOf(publisher, bouncer), { [TOPICS[1]]: perQos, [TOPICS[2]]: perQos });
    let acked = 0;
    const onAck = () => bouncer.acked(++acked);
    const crashes = how === 'kill9' ? at.length : 0;
    // A loss is the broker's when the instance that acknowledged the message was crashed later.
    const lost = (qos: 1 | 2) => ledgers[qos].lost().filter((seq) => ackedBy[TOPICS[qos]]![seq]! >= crashes);
    const brokerLost = (qos: 1 | 2) => ledgers[qos].lost().filter((seq) => ackedBy[TOPICS[qos]]![seq]! < crashes);
    try {
      await within(
        Promise.all([publishNumbered(publisher, TOPICS[1], 1, perQos, { onAck }), publishNumbered(publisher, TOPICS[2], 2, perQos, { onAck })]),
        'every publish callback',
        scaled(90_000),
      );
      await within(bouncer.settled(), 'the last restart');
      await fence(publisher, TOPICS[1], 1, ledgers[1]);
      await fence(publisher, TOPICS[2], 2, ledgers[2]);
    } finally {
      printSummary(`broker ${how === 'kill9' ? 'killed -9 and restarted' : 'restarted gracefully'}, QoS 1 + QoS 2, mosquitto`, {
        messages: 2 * perQos,
        cuts: 0,
        restarts: bouncer.done,
        lost: lost(1).length + lost(2).length,
        duplicated: repeats.client.length,
        extra: {
          brokerLost: brokerLost(1).length + brokerLost(2).length,
          brokerDuplicatedQos2: repeats.broker.length,
          qos1Redelivered: ledgers[1].duplicated().length,
        },
      });
    }
    expect(bouncer.done).toBe(at.length);
    expect(lost(1)).toEqual([]);
    expect(lost(2)).toEqual([]);
    expect(repeats.client).toEqual([]);
    if (how === 'restart') {
      // Nothing was the broker's to lose; re-sent copies aside, everything arrives in order.
      expect(ledgers[1].lost()).toEqual([]);
      expect(ledgers[2].lost()).toEqual([]);
      expect(ledgers[1].finalCopyOrderViolation()).toBeUndefined();
      expect(ledgers[2].firstCopyOrderViolation()).toBeUndefined();
    }
  }, scaled(300_000));
});
