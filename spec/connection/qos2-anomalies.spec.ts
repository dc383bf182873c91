/**
 * A broker that loses or corrupts its QoS 2 state, scripted packet by packet as the fault-injection
 * runs of issue 16 caught it on the wire: the subscriber must lose nothing and deliver nothing
 * twice, and report what the broker did on events$. Then a broker that answers a PUBREL re-sent
 * at resume with PUBCOMP 0x92 (the Eclipse Paho test broker): the publish succeeds.
 */
import { asTransportFactory, MqttClient } from '../../lib/compat/compat.js';
import type { PublishError } from '../../lib/errors.js';
import type { IPublishPacket, Packet } from '../../lib/protocol/codec.js';
import { format } from 'node:util';
import { accepting, scriptedBroker } from '../helpers/scripted-broker.js';
import { flush, VirtualClock } from '../helpers/virtual-clock.js';
import { harness, type Harness } from './harness.js';

/** A broker PUBLISH, QoS 2, to 'sensors/1'. */
function qos2(messageId: number, payload: string, dup = false): IPublishPacket {
  return { cmd: 'publish', topic: 'sensors/1', payload: Buffer.from(payload), qos: 2, retain: false, dup, messageId };
}

/** A persistent subscriber whose broker keeps its session on every reconnect; records every message it delivers. */
async function subscriber(): Promise<{ h: Harness; delivered: string[]; logged: string[] }> {
  const logged: string[] = [];
  const h = await harness({
    client: { keepalive: 0, reconnectPeriod: 1000, clean: false, clientId: 'subscriber', log: (...args) => logged.push(format(...args)) },
    broker: { autoConnack: () => accepting({ sessionPresent: true }) },
  });
  const delivered: string[] = [];
  h.client.messages$.subscribe((message) => delivered.push(message.payload.toString()));
  await flush();
  return { h, delivered, logged };
}

/** The broker sends `packets` and lets the client answer. */
async function send(h: Harness, ...packets: Packet[]): Promise<void> {
  h.broker.last.reply(...packets);
  await flush();
}

/** What the client answered on the current connection, after the CONNECT. */
function answers(h: Harness): string[] {
  return h.broker.last.received.slice(1).map((p) => `${p.cmd}#${p.messageId}`);
}

function anomalies(h: Harness): string[] {
  return h.events.flatMap((e) => (e.type === 'protocolAnomaly' ? [`${e.kind} #${e.messageId} ${e.topic}`] : []));
}

describe('a broker that reuses a pending QoS 2 packet id', () => {
  it('delivers A and B once each when the PUBREL for A is lost and B comes with the same id and DUP=0', async () => {
    const { h, delivered } = await subscriber();
    await send(h, qos2(7, 'A'));
    // The PUBREL for A never comes: the broker sends B under the same id, then completes "7".
    await send(h, qos2(7, 'B'));
    await send(h, { cmd: 'pubrel', messageId: 7 });
    expect(delivered).toEqual(['A', 'B']);
    expect(answers(h)).toEqual(['pubrec#7', 'pubrec#7', 'pubcomp#7']);
    expect(anomalies(h)).toEqual(['packetIdReused #7 sensors/1']);
  });

  it('does not deliver A again when the broker, having completed the id, re-sends A with DUP=1 after a reconnect', async () => {
    const { h, delivered } = await subscriber();
    await send(h, qos2(7, 'A'));
    await send(h, { cmd: 'pubrel', messageId: 7 });
    h.broker.last.close();
    await h.clock.advance(1000);
    expect(h.broker.connections).toHaveLength(2);
    await send(h, qos2(7, 'A', true));
    await send(h, { cmd: 'pubrel', messageId: 7 });
    expect(delivered).toEqual(['A']);
    expect(answers(h)).toEqual(['pubrec#7', 'pubcomp#7']);
    expect(anomalies(h)).toEqual(['staleReplay #7 sensors/1']);
  });

  it('loses nothing and duplicates nothing through the whole story caught on the wire (A held, B reuses its id, A replayed)', async () => {
    const { h, delivered, logged } = await subscriber();
    await send(h, qos2(7, 'A'), qos2(8, 'C'));
    await send(h, qos2(7, 'B'), { cmd: 'pubrel', messageId: 8 }, { cmd: 'pubrel', messageId: 7 });
    h.broker.last.close();
    await h.clock.advance(1000);
    await send(h, qos2(7, 'A', true), { cmd: 'pubrel', messageId: 7 });
    expect(delivered).toEqual(['A', 'C', 'B']);
    expect(anomalies(h)).toEqual(['packetIdReused #7 sensors/1', 'staleReplay #7 sensors/1']);
    // Operators see it in the debug log too.
    expect(logged.filter((line) => line.includes('anomaly'))).toEqual([
      'rxmqtt:conn broker protocol anomaly: packetIdReused, packet id 7, topic sensors/1',
      'rxmqtt:conn broker protocol anomaly: staleReplay, packet id 7, topic sensors/1',
    ]);
  });

  it('answers a conforming re-delivery (same content, DUP=1, before PUBREL) with PUBREC, delivers it once and reports nothing', async () => {
    const { h, delivered } = await subscriber();
    await send(h, qos2(7, 'A'));
    h.broker.last.close();
    await h.clock.advance(1000);
    await send(h, qos2(7, 'A', true));
    await send(h, { cmd: 'pubrel', messageId: 7 });
    expect(delivered).toEqual(['A']);
    expect(answers(h)).toEqual(['pubrec#7', 'pubcomp#7']);
    expect(anomalies(h)).toEqual([]);
  });
});

describe('a broker that answers a PUBREL re-sent at resume with PUBCOMP 0x92 (Eclipse Paho test broker)', () => {
  /** An MQTT 5 MQTT.js-style client that published QoS 2, got PUBREC, and lost the connection before PUBCOMP. */
  async function publishedAndDropped() {
    const clock = new VirtualClock();
    const broker = scriptedBroker({ protocolVersion: 5, autoConnack: () => accepting({ sessionPresent: true }) });
    const client = new MqttClient(asTransportFactory(broker.factory), {
      protocolVersion: 5, clientId: 'publisher', clean: false, keepalive: 0, reconnectPeriod: 1000, scheduler: clock.scheduler,
    });
    await flush();
    const callbacks: { error?: PublishError | null; packet?: Packet }[] = [];
    client.publish('t', 'once', { qos: 2 }, (error, packet) => callbacks.push({ error: error as PublishError | null, packet }));
    await flush();
    broker.last.reply({ cmd: 'pubrec', messageId: 1 });
    await flush();
    return { clock, broker, client, callbacks };
  }

  it('calls back without an error and with the PUBCOMP carrying 0x92 when it answers the resumed PUBREL', async () => {
    const { clock, broker, client, callbacks } = await publishedAndDropped();
    broker.last.close();
    await clock.advance(1000);
    expect(broker.last.received.slice(1).map((p) => p.cmd)).toEqual(['pubrel']);
    broker.last.reply({ cmd: 'pubcomp', messageId: 1, reasonCode: 0x92 });
    await flush();
    expect(callbacks).toHaveLength(1);
    expect(callbacks[0]!.error).toBeNull();
    expect(callbacks[0]!.packet).toMatchObject({ cmd: 'pubcomp', messageId: 1, reasonCode: 0x92 });
    client.end(true);
  });

  it('still fails the publish with PublishError 146 when 0x92 answers the PUBREL of the connection that got the PUBREC', async () => {
    const { broker, client, callbacks } = await publishedAndDropped();
    broker.last.reply({ cmd: 'pubcomp', messageId: 1, reasonCode: 0x92 });
    await flush();
    expect(callbacks).toHaveLength(1);
    expect([callbacks[0]!.error?.kind, callbacks[0]!.error?.code]).toEqual(['ERR_PUBLISH', 146]);
    client.end(true);
  });
});
