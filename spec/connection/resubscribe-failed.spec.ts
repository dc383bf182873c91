import type { ISubscribePacket } from '../../lib/protocol/codec.js';
import { asTransportFactory, MqttClient } from '../../lib/compat/compat.js';
import { SubackError } from '../../lib/errors.js';
import type { MqttMessage } from '../../lib/inbound/message.js';
import { scriptedBroker } from '../helpers/scripted-broker.js';
import { flush, VirtualClock } from '../helpers/virtual-clock.js';
import { harness, type Harness } from './harness.js';

const client = { keepalive: 0, connectTimeout: 30_000, reconnectPeriod: 1000 };

interface Stream {
  messages: string[];
  errors: Error[];
  completed: boolean;
}

function watch(h: Harness, filter: string): Stream {
  const stream: Stream = { messages: [], errors: [], completed: false };
  h.client.topic(filter).subscribe({
    next: (m: MqttMessage) => stream.messages.push(m.payload.toString()),
    error: (e: Error) => stream.errors.push(e),
    complete: () => (stream.completed = true),
  });
  return stream;
}

/** The SUBSCRIBE packets connection `index` received, as lists of filters. */
function subscribes(h: Harness, index: number): ISubscribePacket[] {
  return h.broker.connections[index]!.packets('subscribe');
}

/** Subscribes `filters` as topic() streams, acknowledged by the broker. */
async function subscribed(h: Harness, ...filters: string[]): Promise<Stream[]> {
  const streams = filters.map((filter) => watch(h, filter));
  await flush();
  for (const packet of subscribes(h, 0)) h.broker.last.reply({ cmd: 'suback', messageId: packet.messageId, granted: packet.subscriptions.map(() => 1) });
  await flush();
  return streams;
}

/** The broker drops the connection; the client reconnects (no session) and resubscribes. Returns that SUBSCRIBE. */
async function dropAndResubscribe(h: Harness): Promise<ISubscribePacket> {
  h.broker.last.close();
  await h.clock.advance(1000);
  const [resubscribe] = subscribes(h, h.broker.connections.length - 1);
  return resubscribe!;
}

describe('a refused resubscribe', () => {
  it('errors the stream of the refused filter with SubackError, reports an error event, and keeps the other streams', async () => {
    const h = await harness({ client, broker: { autoConnack: true } });
    const [refused, kept] = await subscribed(h, 'a/+', 'b');
    const resubscribe = await dropAndResubscribe(h);
    expect(resubscribe.subscriptions.map((s) => s.topic)).toEqual(['a/+', 'b']);
    h.events.length = 0;

    h.broker.last.reply({ cmd: 'suback', messageId: resubscribe.messageId, granted: [0x80, 1] });
    await flush();
    expect(refused!.errors).toHaveLength(1);
    const error = refused!.errors[0] as SubackError;
    expect(error).toBeInstanceOf(SubackError);
    expect(error).toMatchObject({ kind: 'ERR_SUBACK', topic: 'a/+', reasonCode: 0x80 });
    expect(h.eventLog()).toEqual(['error:ERR_SUBACK']);
    expect(h.errors()[0]).toBe(error);
    // The broker has no subscription to undo: no UNSUBSCRIBE.
    expect(h.broker.last.packets('unsubscribe')).toEqual([]);

    h.broker.last.reply({ cmd: 'publish', topic: 'b', payload: Buffer.from('still here'), qos: 0, retain: false, dup: false });
    await flush();
    expect(kept!.messages).toEqual(['still here']);
    expect(kept!.errors).toEqual([]);
  });

  it('carries the MQTT 5 reason code and reason string', async () => {
    const h = await harness({ client: { ...client, protocolVersion: 5 }, broker: { autoConnack: true } });
    const [stream] = await subscribed(h, 'x');
    const resubscribe = await dropAndResubscribe(h);
    h.broker.last.reply({ cmd: 'suback', messageId: resubscribe.messageId, granted: [0x87], properties: { reasonString: 'not any more' } });
    await flush();
    expect(stream!.errors[0]).toMatchObject({ kind: 'ERR_SUBACK', reasonCode: 0x87, reasonString: 'not any more' });
  });

  it('lets a new stream of the refused filter subscribe afresh, and leaves it out of the next resubscribe', async () => {
    const h = await harness({ client, broker: { autoConnack: true } });
    await subscribed(h, 'a', 'b');
    const resubscribe = await dropAndResubscribe(h);
    h.broker.last.reply({ cmd: 'suback', messageId: resubscribe.messageId, granted: [0x80, 0] });
    await flush();
    const second = await dropAndResubscribe(h);
    expect(second.subscriptions.map((s) => s.topic)).toEqual(['b']);

    watch(h, 'a');
    await flush();
    expect(subscribes(h, 2).map((p) => p.subscriptions.map((s) => s.topic))).toEqual([['b'], ['a']]);
  });

  it('does not fail a stream re-opened while the old subscription was being unsubscribed', async () => {
    const h = await harness({ client, broker: { autoConnack: true } });
    const subscription = h.client.topic('a').subscribe();
    await flush();
    h.broker.last.reply({ cmd: 'suback', messageId: subscribes(h, 0)[0]!.messageId, granted: [1] });
    await flush();
    subscription.unsubscribe(); // UNSUBSCRIBE in flight, no UNSUBACK yet
    const reopened = watch(h, 'a'); // waits for the UNSUBACK before its own SUBSCRIBE
    await flush();
    const resubscribe = await dropAndResubscribe(h);
    h.broker.last.reply({ cmd: 'suback', messageId: resubscribe.messageId, granted: [0x80] });
    await flush();
    expect(reopened.errors).toEqual([]);
    expect(h.eventLog()).toContain('error:ERR_SUBACK');

    const [unsubscribe] = h.broker.last.packets('unsubscribe');
    h.broker.last.reply({ cmd: 'unsuback', messageId: unsubscribe!.messageId, granted: [] });
    await flush();
    const own = subscribes(h, 1).at(-1)!;
    expect(own.subscriptions.map((s) => s.topic)).toEqual(['a']);
    h.broker.last.reply({ cmd: 'suback', messageId: own.messageId, granted: [1] });
    h.broker.last.reply({ cmd: 'publish', topic: 'a', payload: Buffer.from('m'), qos: 0, retain: false, dup: false });
    await flush();
    expect(reopened.messages).toEqual(['m']);
  });

  it("emits 'error' with the SubackError on the MQTT.js facade", async () => {
    const clock = new VirtualClock();
    const broker = scriptedBroker({ autoConnack: true });
    const mqtt = new MqttClient(asTransportFactory(broker.factory), { ...client, clientId: 'compat', scheduler: clock.scheduler });
    const errors: Error[] = [];
    mqtt.on('error', (error: Error) => errors.push(error));
    await flush();
    mqtt.subscribe('f', { qos: 1 });
    await flush();
    broker.last.reply({ cmd: 'suback', messageId: broker.last.packets('subscribe')[0]!.messageId, granted: [1] });
    broker.last.close();
    await clock.advance(1000);
    broker.last.reply({ cmd: 'suback', messageId: broker.last.packets('subscribe')[0]!.messageId, granted: [0x80] });
    await flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(SubackError);
    expect(errors[0]).toMatchObject({ topic: 'f', reasonCode: 0x80 });
    await mqtt.endAsync(true);
  });
});
