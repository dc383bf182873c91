// QoS 0/1/2 round trips through aedes: rxmqtt <-> rxmqtt over both transports, and rxmqtt <->
// MQTT.js in both directions. Each test checks the bytes and the QoS the subscriber observes and
// that the publisher's callback / Promise / Observable settles as MQTT.js users expect.
import type { IPublishPacket, QoS } from '../../lib/index.js';
import { firstValueFrom, lastValueFrom, timeout, toArray } from 'rxjs';
import type { Packet } from '../../lib/index.js';
import { collect, HANG_DEADLINE_MS, once } from '../helpers/wait.js';
import { BINARY, connected, nextPackets, record, subscribed, TRANSPORTS, useAedes, within } from './support.js';

const QOS_LEVELS: QoS[] = [0, 1, 2];
/** The packet that completes each QoS flow for the publisher. */
const COMPLETION: Record<QoS, Packet['cmd'] | undefined> = { 0: undefined, 1: 'puback', 2: 'pubcomp' };

describe('QoS round trips through aedes', () => {
  const fixture = useAedes();

  describe.each(TRANSPORTS)('rxmqtt to rxmqtt over %s', (transport) => {
    it.each(QOS_LEVELS)('delivers a QoS %i message with its exact bytes and QoS, and calls back once', async (qos) => {
      const f = fixture();
      const subscriber = await connected(f.rx(transport));
      const publisher = await connected(f.rx(transport));
      await subscriber.subscribeAsync('qos/roundtrip', { qos: 2 });

      const message = once<[string, Buffer, IPublishPacket]>(subscriber, 'message');
      const callbacks: Array<[Error | null | undefined, Packet | undefined]> = [];
      const settled = new Promise<void>((resolve) =>
        publisher.publish('qos/roundtrip', BINARY, { qos }, (error, packet) => {
          callbacks.push([error, packet as Packet | undefined]);
          resolve();
        }),
      );

      const [topic, payload, packet] = await message;
      await within(settled, 'the publish callback');
      expect(topic).toBe('qos/roundtrip');
      expect(Buffer.compare(payload, BINARY)).toBe(0);
      expect(packet.qos).toBe(qos);
      expect(callbacks).toHaveLength(1);
      expect(callbacks[0][0]).toBeFalsy();
      expect(callbacks[0][1]?.cmd).toBe(COMPLETION[qos]);
    });

    it.each(QOS_LEVELS)('resolves publishAsync and completes publish$ with one result for QoS %i', async (qos) => {
      const f = fixture();
      const subscriber = await connected(f.rx(transport));
      const publisher = await connected(f.rx(transport));
      await subscribed(subscriber, subscriber.topic('qos/observable', { qos: 2 }));
      const bothArrived = collect(subscriber.topic('qos/observable'), 2);

      const ack = await within(publisher.publishAsync('qos/observable', 'from a promise', { qos }), 'publishAsync');
      const results = await lastValueFrom(publisher.publish$('qos/observable', 'from an observable', { qos }).pipe(toArray(), timeout(HANG_DEADLINE_MS)));

      const messages = await bothArrived;
      expect(messages.map((m) => [m.payload.toString(), m.qos])).toEqual([
        ['from a promise', qos],
        ['from an observable', qos],
      ]);
      expect(ack?.cmd).toBe(COMPLETION[qos]);
      expect(results).toHaveLength(1);
      expect(results[0].packet?.cmd).toBe(COMPLETION[qos]);
      if (qos === 0) expect(results[0].messageId).toBeUndefined();
      else expect(results[0].messageId).toEqual(expect.any(Number));
    });
  });

  it.each([
    [2, 1],
    [2, 0],
    [1, 0],
  ] as Array<[QoS, QoS]>)('downgrades a QoS %i publish to the subscription QoS %i', async (published, subscribedQos) => {
    const f = fixture();
    const subscriber = await connected(f.rx());
    const publisher = await connected(f.rx());
    await subscriber.subscribeAsync('qos/downgrade', { qos: subscribedQos });
    const message = once<[string, Buffer, IPublishPacket]>(subscriber, 'message');
    await publisher.publishAsync('qos/downgrade', 'x', { qos: published });
    expect((await message)[2].qos).toBe(subscribedQos);
  });

  it('settles a QoS 1 publish only after its PUBACK and a QoS 2 publish only after PUBREC, PUBREL and PUBCOMP', async () => {
    const f = fixture();
    const client = await connected(f.rx());
    const wire: string[] = [];
    const stop = [
      client.packetsIn$.subscribe((p) => wire.push(`in ${p.cmd}`)),
      client.packetsOut$.subscribe((p) => wire.push(`out ${p.cmd}`)),
    ];
    f.defer(() => stop.forEach((s) => s.unsubscribe()));

    await new Promise<void>((resolve, reject) =>
      client.publish('qos/order', 'one', { qos: 1 }, (error) => {
        wire.push('callback 1');
        return error ? reject(error) : resolve();
      }),
    );
    await new Promise<void>((resolve, reject) =>
      client.publish('qos/order', 'two', { qos: 2 }, (error) => {
        wire.push('callback 2');
        return error ? reject(error) : resolve();
      }),
    );
    expect(wire).toEqual([
      'out publish',
      'in puback',
      'callback 1',
      'out publish',
      'in pubrec',
      'out pubrel',
      'in pubcomp',
      'callback 2',
    ]);
  });

  it.each([1, 2] as QoS[])('delivers a burst of 200 QoS %i messages exactly once each and in order', async (qos) => {
    const f = fixture();
    const subscriber = await connected(f.rx());
    const publisher = await connected(f.rx('tcp'));
    const count = 200;
    await subscribed(subscriber, subscriber.topic('qos/burst', { qos }));
    const all = collect(subscriber.topic('qos/burst'), count);
    const sent = Array.from({ length: count }, (_, i) => publisher.publishAsync('qos/burst', `m${i}`, { qos }));
    await within(Promise.all(sent), 'every publish to settle');
    const messages = await all;
    expect(messages.map((m) => m.payload.toString())).toEqual(Array.from({ length: count }, (_, i) => `m${i}`));
    expect(new Set(messages.map((m) => m.qos))).toEqual(new Set([qos]));
  });

  const backing = Buffer.from('xxxPAYLOADyyy');
  const big = Buffer.alloc(1024 * 1024 + 7, 0xa5);
  const payloadShapes: Array<[string, string | Buffer | Uint8Array, Buffer]> = [
    ['an empty string', '', Buffer.alloc(0)],
    ['a multi-byte UTF-8 string', 'température 日本 🌡', Buffer.from('température 日本 🌡', 'utf8')],
    ['a Uint8Array view into a larger buffer', new Uint8Array(backing.buffer, backing.byteOffset + 3, 7), Buffer.from('PAYLOAD')],
    ['a 1 MiB Buffer', big, big],
  ];

  describe.each(TRANSPORTS)('payload shapes over %s', (transport) => {
    it.each(payloadShapes)('delivers %s byte for byte', async (_what, payload, expected) => {
      const f = fixture();
      const subscriber = await connected(f.rx(transport));
      const publisher = await connected(f.rx(transport));
      await subscribed(subscriber, subscriber.topic('shapes/+/ü', { qos: 1 }));
      const arrived = collect(subscriber.topic('shapes/+/ü'), 1);
      await within(publisher.publishAsync('shapes/日本/ü', payload as Buffer, { qos: 1 }), 'publishAsync');
      const [message] = await arrived;
      expect(message.topic).toBe('shapes/日本/ü');
      expect(message.payload.length).toBe(expected.length);
      expect(Buffer.compare(message.payload, expected)).toBe(0);
    });
  });

  describe.each(TRANSPORTS)('payloads written as a vector over %s', (transport) => {
    // 64 B payloads are copied into one buffer; 1 KiB and larger go out as chunks of their own.
    const sizes = [64, 1024 * 1024, 64, 1024, 1023, 64 * 1024, 64];
    it.each([0, 1] as QoS[])('delivers 64 B to 1 MiB payloads published at QoS %i in one turn byte for byte and in order', async (qos) => {
      const f = fixture();
      const subscriber = await connected(f.rx(transport));
      const publisher = await connected(f.rx(transport));
      await subscribed(subscriber, subscriber.topic('vector/t', { qos: 1 }));
      const arrived = collect(subscriber.topic('vector/t'), sizes.length);
      const payloads = sizes.map((size, i) => Buffer.alloc(size, i + 1).fill(0xc3, 0, 1));
      await within(Promise.all(payloads.map((payload) => publisher.publishAsync('vector/t', payload, { qos }))), 'publishAsync');
      const messages = await arrived;
      expect(messages.map((m) => m.payload.length)).toEqual(sizes);
      expect(messages.map((m, i) => Buffer.compare(m.payload, payloads[i]))).toEqual(sizes.map(() => 0));
    });
  });

  describe.each(TRANSPORTS)('with MQTT.js over %s', (transport) => {
    it.each(QOS_LEVELS)('delivers a QoS %i message from MQTT.js to an rxmqtt topic() stream', async (qos) => {
      const f = fixture();
      const rx = await connected(f.rx(transport));
      const js = await connected(f.js(transport));
      const first = firstValueFrom(rx.topic('interop/js-to-rx', { qos: 2 }).pipe(timeout(HANG_DEADLINE_MS)));
      await nextPackets(rx.packetsIn$, 'suback');
      await js.publishAsync('interop/js-to-rx', BINARY, { qos });
      const message = await first;
      expect(message.topic).toBe('interop/js-to-rx');
      expect(Buffer.compare(message.payload, BINARY)).toBe(0);
      expect(message.qos).toBe(qos);
      expect(message.retain).toBe(false);
    });

    it.each(QOS_LEVELS)('delivers a QoS %i message from rxmqtt to an MQTT.js subscriber', async (qos) => {
      const f = fixture();
      const rx = await connected(f.rx(transport));
      const js = await connected(f.js(transport));
      await js.subscribeAsync('interop/rx-to-js', { qos: 2 });
      const message = once<[string, Buffer, IPublishPacket]>(js, 'message');
      const sent = record(f, rx.packetsOut$);
      const result = await lastValueFrom(rx.publish$('interop/rx-to-js', BINARY, { qos }).pipe(timeout(HANG_DEADLINE_MS)));
      const [topic, payload, packet] = await message;
      expect(topic).toBe('interop/rx-to-js');
      expect(Buffer.compare(payload, BINARY)).toBe(0);
      expect(packet.qos).toBe(qos);
      expect(result.packet?.cmd).toBe(COMPLETION[qos]);
      // The wire carried exactly one PUBLISH, with the id publish$ reported.
      const publishes = sent.filter((p) => p.cmd === 'publish');
      expect(publishes).toHaveLength(1);
      expect((publishes[0] as IPublishPacket).messageId).toBe(result.messageId);
    });
  });
});
