/**
 * An idle client makes some of its state only on first use (the session's queues, the QoS 2
 * exchanges it remembers, the reconnect loop's and keepalive's Observables per start): that first
 * use coming an hour after the CONNACK, with the keepalive pinging all along, must work as it
 * does at once.
 */
import type { IPublishPacket, Packet } from '../../lib/protocol/codec.js';
import { accepting } from '../helpers/scripted-broker.js';
import { flush } from '../helpers/virtual-clock.js';
import { harness, type Harness } from './harness.js';

const HOUR_MS = 3_600_000;

function publish(messageId: number, qos: 1 | 2, payload: string, dup = false): IPublishPacket {
  return { cmd: 'publish', topic: 'jobs/1', payload: Buffer.from(payload), qos, retain: false, dup, messageId };
}

async function send(h: Harness, ...packets: Packet[]): Promise<void> {
  h.broker.last.reply(...packets);
  await flush();
}

/** What the client sent on the current connection after its CONNECT, PINGREQs left out. */
function sent(h: Harness): string[] {
  return h.broker.last.received.slice(1).flatMap((p) => (p.cmd === 'pingreq' ? [] : [`${p.cmd}#${p.messageId}`]));
}

async function idleForAnHour(): Promise<{ h: Harness; delivered: string[] }> {
  const h = await harness({
    client: { keepalive: 60, clean: false, clientId: 'late', reconnectPeriod: 1000 },
    broker: { autoConnack: () => accepting({ sessionPresent: true }), autoPingresp: true },
  });
  const delivered: string[] = [];
  h.client.messages$.subscribe((message) => delivered.push(message.payload.toString()));
  await h.clock.advance(HOUR_MS);
  expect(h.client.state.status).toBe('connected');
  expect(h.broker.connections).toHaveLength(1);
  expect(h.broker.last.received.filter((p) => p.cmd === 'pingreq').length).toBeGreaterThanOrEqual(59);
  return { h, delivered };
}

describe('an idle client used first an hour after its CONNACK', () => {
  it('delivers its first QoS 1 and QoS 2 messages once, acknowledges them in order and spots a stale DUP=1 replay', async () => {
    const { h, delivered } = await idleForAnHour();
    await send(h, publish(3, 1, 'one'), publish(7, 2, 'two'));
    await send(h, { cmd: 'pubrel', messageId: 7 });
    // The broker, having completed 7, re-sends it: not a new message.
    await send(h, publish(7, 2, 'two', true), { cmd: 'pubrel', messageId: 7 });
    expect(delivered).toEqual(['one', 'two']);
    expect(sent(h)).toEqual(['puback#3', 'pubrec#7', 'pubcomp#7', 'pubrec#7', 'pubcomp#7']);
    expect(h.events.flatMap((e) => (e.type === 'protocolAnomaly' ? [`${e.kind} #${e.messageId}`] : []))).toEqual(['staleReplay #7']);
  });

  it('queues its first publish while the broker is away and sends it after the reconnect', async () => {
    const { h } = await idleForAnHour();
    h.broker.last.close();
    await flush();
    const results: unknown[] = [];
    h.client.publish$('jobs/2', 'late', { qos: 1 }).subscribe({ next: (r) => results.push(r.messageId), error: (e) => results.push(e) });
    await h.clock.advance(1000);
    expect(h.broker.connections).toHaveLength(2);
    const [publishPacket] = h.broker.last.received.filter((p) => p.cmd === 'publish');
    expect(publishPacket).toMatchObject({ topic: 'jobs/2', qos: 1 });
    await send(h, { cmd: 'puback', messageId: publishPacket.messageId });
    expect(results).toEqual([publishPacket.messageId]);
    // The keepalive runs on the new connection too.
    await h.clock.advance(HOUR_MS);
    expect(h.client.state.status).toBe('connected');
    expect(h.broker.connections).toHaveLength(2);
  });
});
