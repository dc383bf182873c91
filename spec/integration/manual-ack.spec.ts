// Manual acknowledgement and the messages() async iterator end to end against aedes: PUBACKs
// follow ack(), a slow consumer bounds what the client holds, `for await` with break and errors.
import { firstValueFrom } from 'rxjs';
import type { AckableMessage } from '../../lib/inbound/ack-holds.js';
import { SubackError } from '../../lib/errors.js';
import { json, type Packet } from '../../lib/index.js';
import { floodSlowConsumer } from '../helpers/slow-consumer.js';
import { connected, nextPackets, record, subscribed, useAedes, within } from './support.js';
import { scaled } from '../helpers/wait.js';

const fixture = useAedes();

const pubacks = (packets: Packet[]) => packets.filter((p) => p.cmd === 'puback').length;

describe('manual acknowledgement against aedes', () => {
  it('sends the PUBACK of a QoS 1 message only once the stream called ack()', async () => {
    const f = fixture();
    const consumer = await connected(f.rx());
    const publisher = await connected(f.rx());
    expect(await firstValueFrom(consumer.connected$)).toBe(true);
    const out = record(f, consumer.packetsOut$);
    let message: AckableMessage | undefined;
    let arrive!: () => void;
    const arrived = new Promise<void>((resolve) => (arrive = resolve));
    const subscription = await subscribed(consumer, consumer.topic('jobs/1', { qos: 1, ack: 'manual' }), (m) => {
      message = m;
      arrive();
    });
    f.defer(() => subscription.unsubscribe());
    await publisher.publishAsync('jobs/1', 'work', { qos: 1 });
    await within(arrived, 'the message');
    expect(pubacks(out)).toBe(0);
    const puback = nextPackets(consumer.packetsOut$, 'puback');
    message!.ack();
    expect(await puback).toHaveLength(1);
  });

  it('combines manual ack with a codec and named parameters: the decoded message carries ack(), params and value', async () => {
    const f = fixture();
    const consumer = await connected(f.rx());
    const publisher = await connected(f.rx());
    const out = record(f, consumer.packetsOut$);
    let message: AckableMessage<{ n: number }> | undefined;
    let arrive!: () => void;
    const arrived = new Promise<void>((resolve) => (arrive = resolve));
    const stream = consumer.topic('jobs/:id/spec', { qos: 1, ack: 'manual', codec: json<{ n: number }>() });
    const subscription = await subscribed(consumer, stream, (m) => {
      message = m;
      arrive();
    });
    f.defer(() => subscription.unsubscribe());
    await publisher.publishAsync('jobs/42/spec', '{"n":7}', { qos: 1 });
    await within(arrived, 'the message');
    expect([message!.params?.id, message!.value.n]).toEqual(['42', 7]);
    expect(pubacks(out)).toBe(0);
    const puback = nextPackets(consumer.packetsOut$, 'puback');
    message!.ack();
    expect(await puback).toHaveLength(1);
  });

  it('keeps a slow consumer of a 20k QoS 1 flood to maxUnackedMessages unacknowledged messages on MQTT 3.1.1', async () => {
    const f = fixture();
    const consumer = await connected(f.rx('in-memory', { maxUnackedMessages: 100 }));
    const publisher = await connected(f.rx());
    const report = await floodSlowConsumer(consumer, publisher, { topic: 'flood/aedes', count: 20_000, payloadBytes: 1024 });
    console.log(`aedes, MQTT 3.1.1, maxUnackedMessages 100: ${JSON.stringify(report)}`);
    // Reading pauses above 100 held; the messages of the chunk being decoded still arrive.
    expect(report.maxUnacked).toBeLessThanOrEqual(100 + 64);
    expect(report.publisherMaxInflight).toBeLessThanOrEqual(100);
  }, scaled(180_000));
});

describe('messages() against aedes', () => {
  it('has the broker redeliver a message taken with firstValueFrom when the client crashes before ack() (clean: false)', async () => {
    const f = fixture();
    const session = { clientId: 'manual-ack-crash', clean: false };
    const consumer = await connected(f.rx('in-memory', session));
    const publisher = await connected(f.rx());
    const out = record(f, consumer.packetsOut$);
    const taken = firstValueFrom(consumer.topic('jobs/#', { qos: 1, ack: 'manual' }));
    await nextPackets(consumer.packetsIn$, 'suback');
    await publisher.publishAsync('jobs/1', 'work', { qos: 1 });
    const message = await within(taken, 'the message');
    // The app is "working" on it: firstValueFrom has unsubscribed, and no PUBACK went out.
    await consumer.endAsync(true); // the crash, before message.ack()
    expect(pubacks(out)).toBe(0);

    const restarted = await connected(f.rx('in-memory', session));
    const again = await within(firstValueFrom(restarted.topic('jobs/#', { qos: 1, ack: 'manual' })), 'the redelivery');
    expect(again.payload.toString()).toBe('work');
    expect(message.payload.toString()).toBe('work');
    again.ack();
  });

  it('iterates with for await, acknowledging on pull, and unsubscribes on break', async () => {
    const f = fixture();
    const consumer = await connected(f.rx());
    const publisher = await connected(f.rx());
    const out = record(f, consumer.packetsOut$);
    const into = record(f, consumer.packetsIn$);
    const seen: string[] = [];
    const suback = nextPackets(consumer.packetsIn$, 'suback');
    const loop = (async () => {
      for await (const m of consumer.messages('it/#', { qos: 1 })) {
        seen.push(m.payload.toString());
        if (seen.length === 3) break;
      }
    })();
    await suback;
    for (const n of [1, 2, 3, 4, 5]) await publisher.publishAsync('it/x', `m${n}`, { qos: 1 });
    await within(loop, 'the loop to break');
    await nextPackets(consumer.packetsIn$, 'unsuback');
    expect(seen).toEqual(['m1', 'm2', 'm3']);
    expect(out.filter((p) => p.cmd === 'unsubscribe')).toHaveLength(1);
    // Every message the client received was acknowledged: handled, or released by the break.
    const received = into.filter((p) => p.cmd === 'publish').length;
    expect(received).toBeGreaterThanOrEqual(3);
    expect(pubacks(out)).toBe(received);
  });

  it('throws a refused SUBSCRIBE out of the for await loop', async () => {
    const f = fixture();
    f.aedes.broker.authorizeSubscribe = (_client, _subscription, callback) => callback(null, null);
    const consumer = await connected(f.rx());
    const run = (async () => {
      for await (const _m of consumer.messages('denied/#', { qos: 1 })) void _m;
    })();
    await expect(within(run, 'the refusal')).rejects.toBeInstanceOf(SubackError);
  });

  it('ends the loop when the client ends', async () => {
    const f = fixture();
    const consumer = await connected(f.rx());
    const suback = nextPackets(consumer.packetsIn$, 'suback');
    const seen: string[] = [];
    const loop = (async () => {
      for await (const m of consumer.messages('end/#')) seen.push(m.payload.toString());
      return 'done';
    })();
    await suback;
    await consumer.endAsync();
    expect(await within(loop, 'the loop to end')).toBe('done');
  });
});
