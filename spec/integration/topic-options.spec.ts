// topic() options against aedes (MQTT 3.1.1, so routed by topic): codecs and decode failures,
// named parameters, replay of retained messages, streams of one filter at different QoS, linger.
import { filter, firstValueFrom, type Observable, take, timeout, toArray } from 'rxjs';
import { json, utf8, type DecodeError, type MqttMessage, type Packet } from '../../lib/index.js';
import { collect, HANG_DEADLINE_MS } from '../helpers/wait.js';
import { VirtualClock } from '../helpers/virtual-clock.js';
import { connected, nextPackets, record, subscribed, useAedes } from './support.js';

interface Reading {
  celsius: number;
}

const ofType = (packets: Packet[], cmd: Packet['cmd']) => packets.filter((p) => p.cmd === cmd);
/** The `n` next messages of `topic` the client receives, whichever stream they are for. */
const nextMessages = (messages$: Observable<MqttMessage>, topic: string, n = 1) =>
  firstValueFrom(messages$.pipe(filter((m) => m.topic === topic), take(n), toArray(), timeout(HANG_DEADLINE_MS)));

describe('topic() options against aedes', () => {
  const fixture = useAedes();

  describe('codecs', () => {
    it('decodes JSON published with the same codec into a typed value', async () => {
      const f = fixture();
      const client = await connected(f.rx());
      const publisher = await connected(f.rx());
      const readings: Observable<MqttMessage<Reading>> = client.topic<Reading>('home/+/reading', { codec: json<Reading>() });
      const values: number[] = [];
      await subscribed(client, readings, (m) => values.push(m.value.celsius));
      const arrived = nextMessages(client.messages$, 'home/kitchen/reading');
      await firstValueFrom(publisher.publish$('home/kitchen/reading', { celsius: 21.5 }, { codec: json<Reading>(), qos: 1 }));
      const [raw] = await arrived;
      expect(values).toEqual([21.5]);
      expect(raw?.payload.toString()).toBe('{"celsius":21.5}');
    });

    it('reports an undecodable payload on decodeErrors$ and keeps the stream going', async () => {
      const f = fixture();
      const client = await connected(f.rx());
      const publisher = await connected(f.rx());
      const values: unknown[] = [];
      const failures: DecodeError[] = [];
      client.decodeErrors$.subscribe((e) => failures.push(e));
      await subscribed(client, client.topic('data/+', { codec: json() }), (m) => values.push(m.value));
      const arrived = collect(client.topic('data/+', { codec: utf8() }), 2);
      await publisher.publishAsync('data/bad', 'not json', { qos: 1 });
      await publisher.publishAsync('data/good', '[1,2]', { qos: 1 });
      expect((await arrived).map((m) => m.value)).toEqual(['not json', '[1,2]']);
      expect(values).toEqual([[1, 2]]);
      expect(failures.map((e) => [e.code, e.topic, e.filter])).toEqual([['ERR_DECODE', 'data/bad', 'data/+']]);
    });
  });

  it('errors publish$ with an InvalidArgumentError carrying the cause when the codec cannot encode, sending nothing', async () => {
    const f = fixture();
    const client = await connected(f.rx());
    const sent = record(f, client.packetsOut$);
    const error = await firstValueFrom(client.publish$('enc/x', { n: 1n }, { codec: json<{ n: bigint }>() })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect((error as Error).cause).toBeInstanceOf(TypeError);
    expect(sent).toEqual([]);
  });

  it('subscribes the wildcard filter of a named pattern and emits the named levels', async () => {
    const f = fixture();
    const client = await connected(f.rx());
    const publisher = await connected(f.rx());
    const sent = record(f, client.packetsOut$);
    const arrived = collect(client.topic('sensors/:id/temperature', { codec: utf8() }), 2);
    await nextPackets(client.packetsIn$, 'suback');
    await publisher.publishAsync('sensors/a1/temperature', '20', { qos: 1 });
    await publisher.publishAsync('sensors/b2/temperature', '19', { qos: 1 });
    expect((await arrived).map((m) => [m.params, m.value])).toEqual([
      [{ id: 'a1' }, '20'],
      [{ id: 'b2' }, '19'],
    ]);
    expect(ofType(sent, 'subscribe').map((p) => (p as { subscriptions: { topic: string }[] }).subscriptions[0]?.topic)).toEqual(['sensors/+/temperature']);
  });

  it('replays the last retained message per topic, not later live messages, to a stream joining late', async () => {
    const f = fixture();
    const client = await connected(f.rx());
    const publisher = await connected(f.rx());
    await publisher.publishAsync('state/1', 'retained 1', { qos: 1, retain: true });
    await publisher.publishAsync('state/2', 'retained 2', { qos: 1, retain: true });
    // aedes may also hand the publishes above to the new subscription as live messages (its
    // PUBACK can precede the fan-out): wait for the copies it sends from its retained store.
    const retained = firstValueFrom(client.messages$.pipe(filter((m) => m.retain), take(2), toArray(), timeout(HANG_DEADLINE_MS)));
    const first: MqttMessage[] = [];
    client.topic('state/+', { replay: 'retained' }).subscribe((m) => first.push(m));
    await retained;
    const live = nextMessages(client.messages$, 'state/1');
    await publisher.publishAsync('state/1', 'live, not retained', { qos: 1 });
    await live;
    expect(first.map((m) => m.payload.toString())).toContain('live, not retained');

    const sent = record(f, client.packetsOut$);
    const late = await collect(client.topic('state/+', { replay: 'retained' }), 2);
    expect(late.map((m) => `${m.topic}=${m.payload.toString()}`).sort()).toEqual(['state/1=retained 1', 'state/2=retained 2']);
    expect(late.every((m) => m.retain)).toBe(true);
    expect(ofType(sent, 'subscribe')).toEqual([]);
  });

  it('re-SUBSCRIBEs a filter at the higher QoS a second stream asks for, and both streams get each message once at that QoS', async () => {
    const f = fixture();
    const client = await connected(f.rx());
    const publisher = await connected(f.rx());
    const sent = record(f, client.packetsOut$);
    const inbound = record(f, client.packetsIn$);
    const low: MqttMessage[] = [];
    const high: MqttMessage[] = [];
    await subscribed(client, client.topic('q/+', { qos: 0 }), (m) => low.push(m));
    let arrived = nextMessages(client.messages$, 'q/a');
    await publisher.publishAsync('q/a', 'before', { qos: 2 });
    await arrived;

    const upgrade = await subscribed(client, client.topic('q/+', { qos: 2 }), (m) => high.push(m));
    arrived = nextMessages(client.messages$, 'q/a');
    await publisher.publishAsync('q/a', 'after', { qos: 2 });
    await arrived;

    const subscribes = ofType(sent, 'subscribe').map((p) => (p as { subscriptions: { topic: string; qos: number }[] }).subscriptions);
    expect(subscribes).toEqual([[expect.objectContaining({ topic: 'q/+', qos: 0 })], [expect.objectContaining({ topic: 'q/+', qos: 2 })]]);
    expect(ofType(inbound, 'suback').map((p) => (p as { granted: number[] }).granted)).toEqual([[0], [2]]);
    expect(ofType(inbound, 'publish').map((p) => (p as { qos: number }).qos)).toEqual([0, 2]);
    expect(low.map((m) => m.payload.toString())).toEqual(['before', 'after']);
    expect(high.map((m) => [m.payload.toString(), m.qos])).toEqual([['after', 2]]);

    // The QoS stays raised when the stream that asked for it leaves; nothing is sent.
    upgrade.unsubscribe();
    arrived = nextMessages(client.messages$, 'q/a');
    await publisher.publishAsync('q/a', 'still 2', { qos: 2 });
    expect((await arrived).map((m) => m.qos)).toEqual([2]);
    expect(ofType(sent, 'subscribe')).toHaveLength(2);
    expect(ofType(sent, 'unsubscribe')).toHaveLength(0);
  });

  describe('linger', () => {
    it('sends neither UNSUBSCRIBE nor SUBSCRIBE when a stream is dropped and re-added at once', async () => {
      const f = fixture();
      const client = await connected(f.rx());
      const publisher = await connected(f.rx());
      const sent = record(f, client.packetsOut$);
      const first = await subscribed(client, client.topic('l/x', { linger: 60_000 }));
      first.unsubscribe();
      const received: string[] = [];
      client.topic('l/x').subscribe((m) => received.push(m.payload.toString()));
      const arrived = nextMessages(client.messages$, 'l/x');
      await publisher.publishAsync('l/x', 'still subscribed', { qos: 1 });
      await arrived;
      expect(received).toEqual(['still subscribed']);
      expect(sent.map((p) => p.cmd).filter((cmd) => cmd !== 'puback')).toEqual(['subscribe']);
    });

    it('without linger, churns an UNSUBSCRIBE and a SUBSCRIBE for the same drop and re-add', async () => {
      const f = fixture();
      const client = await connected(f.rx());
      const sent = record(f, client.packetsOut$);
      const first = await subscribed(client, client.topic('l/y'));
      const suback = nextPackets(client.packetsIn$, 'suback');
      first.unsubscribe();
      client.topic('l/y').subscribe();
      await suback;
      expect(sent.map((p) => p.cmd)).toEqual(['subscribe', 'unsubscribe', 'subscribe']);
    });

    it('UNSUBSCRIBEs once the client-wide topicLinger ran out in virtual time', async () => {
      const f = fixture();
      const clock = new VirtualClock();
      const client = await connected(f.rx('in-memory', { scheduler: clock.scheduler, topicLinger: 5000, keepalive: 0 }));
      const sent = record(f, client.packetsOut$);
      const stream = await subscribed(client, client.topic('l/z'));
      stream.unsubscribe();
      await clock.advance(4999);
      expect(ofType(sent, 'unsubscribe')).toHaveLength(0);
      const unsuback = nextPackets(client.packetsIn$, 'unsuback');
      await clock.advance(1);
      await unsuback;
      expect(sent.map((p) => p.cmd)).toEqual(['subscribe', 'unsubscribe']);
    });
  });
});
