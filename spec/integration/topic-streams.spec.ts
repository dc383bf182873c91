// client.topic(filter) streams against aedes: shared SUBSCRIBE/UNSUBSCRIBE, routing of
// overlapping filters, $-topics, reconnects, completion on end() and SUBACK refusals.
import type { Client as AedesClient, Subscription as AedesSubscription } from 'aedes';
import { filter, firstValueFrom, merge, timeout } from 'rxjs';
import { SubackError, type MqttClient, type MqttMessage, type Packet } from '../../lib/index.js';
import { collect, HANG_DEADLINE_MS, once } from '../helpers/wait.js';
import { connected, dropFromBroker, type Fixture, nextPackets, record, subscribed, useAedes, within } from './support.js';

const ofType = (packets: Packet[], cmd: Packet['cmd']) => packets.filter((p) => p.cmd === cmd);

describe('topic() streams against aedes', () => {
  const fixture = useAedes();

  it('sends one SUBSCRIBE for two streams of the same filter and UNSUBSCRIBE only when the last one leaves', async () => {
    const f = fixture();
    const client = await connected(f.rx());
    const publisher = await connected(f.rx());
    const sent = record(f, client.packetsOut$);
    const brokerSubscribes: string[][] = [];
    f.aedes.broker.on('subscribe', (subs: AedesSubscription[], c: AedesClient) => {
      if (c.id === client.options.clientId) brokerSubscribes.push(subs.map((s) => s.topic));
    });

    const first: string[] = [];
    const second: string[] = [];
    const one = await subscribed(client, client.topic('shared/+'), (m) => first.push(m.payload.toString()));
    const two = client.topic('shared/+').subscribe((m) => second.push(m.payload.toString()));
    const both = collect(client.messages$, 1);
    await publisher.publishAsync('shared/a', 'to both', { qos: 1 });
    await both;
    expect(first).toEqual(['to both']);
    expect(second).toEqual(['to both']);
    expect(ofType(sent, 'subscribe')).toHaveLength(1);
    expect(brokerSubscribes).toEqual([['shared/+']]);

    one.unsubscribe();
    // Unsubscribing writes synchronously; none went out, and the broker still routes to us.
    expect(ofType(sent, 'unsubscribe')).toHaveLength(0);
    const stillRouted = collect(client.messages$, 1);
    await publisher.publishAsync('shared/b', 'to the second', { qos: 1 });
    await stillRouted;
    expect(first).toEqual(['to both']);
    expect(second).toEqual(['to both', 'to the second']);

    const unsubscribedAtBroker = once<[string[], AedesClient]>(f.aedes.broker, 'unsubscribe');
    const unsuback = nextPackets(client.packetsIn$, 'unsuback');
    two.unsubscribe();
    expect((await unsubscribedAtBroker)[0]).toEqual(['shared/+']);
    await unsuback;
    expect(ofType(sent, 'unsubscribe')).toHaveLength(1);
    expect(ofType(sent, 'subscribe')).toHaveLength(1);
  });

  it('routes a message matching two overlapping filters to each stream exactly once', async () => {
    const f = fixture();
    const client = await connected(f.rx());
    const publisher = await connected(f.rx());
    const received = record(f, client.packetsIn$);
    const plus: MqttMessage[] = [];
    const hash: MqttMessage[] = [];
    const merged: string[] = [];
    await subscribed(client, client.topic('overlap/+'), (m) => plus.push(m));
    await subscribed(client, client.topic('overlap/#'), (m) => hash.push(m));
    merge(client.topic('overlap/+'), client.topic('overlap/#')).subscribe((m) => merged.push(m.topic));

    await publisher.publishAsync('overlap/x', 'both match', { qos: 1 });
    // A message only '#' matches marks the end of what the broker sent for the first one.
    const marker = firstValueFrom(client.messages$.pipe(filter((m) => m.topic === 'overlap/x/deeper'), timeout(HANG_DEADLINE_MS)));
    await publisher.publishAsync('overlap/x/deeper', 'only hash', { qos: 1 });
    await marker;

    const copies = ofType(received, 'publish').filter((p) => (p as { topic: string }).topic === 'overlap/x').length;
    expect(copies).toBeGreaterThanOrEqual(1);
    // Each broker copy reaches each matching stream once: no stream gets a copy per filter.
    expect(plus.map((m) => m.topic)).toEqual(Array(copies).fill('overlap/x'));
    expect(hash.map((m) => m.topic)).toEqual([...Array(copies).fill('overlap/x'), 'overlap/x/deeper']);
    // A consumer of both streams sees the message once from each.
    expect(merged).toEqual([...Array(copies * 2).fill('overlap/x'), 'overlap/x/deeper']);
  });

  it('does not route a $SYS message to a # stream', async () => {
    const f = fixture();
    const client = await connected(f.rx());
    const everything: string[] = [];
    const sys: string[] = [];
    await subscribed(client, client.topic('#'), (m) => everything.push(m.topic));
    await subscribed(client, client.topic('$SYS/rxmqtt/#'), (m) => sys.push(m.topic));

    const sysArrived = firstValueFrom(client.messages$.pipe(timeout(HANG_DEADLINE_MS)));
    f.aedes.broker.publish({ cmd: 'publish', topic: '$SYS/rxmqtt/load', payload: Buffer.from('1'), qos: 0, retain: false, dup: false }, () => undefined);
    expect((await sysArrived).topic).toBe('$SYS/rxmqtt/load');
    const after = firstValueFrom(client.topic('#').pipe(timeout(HANG_DEADLINE_MS)));
    f.aedes.broker.publish({ cmd: 'publish', topic: 'plain/after', payload: Buffer.from('2'), qos: 0, retain: false, dup: false }, () => undefined);
    await after;

    expect(sys).toEqual(['$SYS/rxmqtt/load']);
    expect(everything).toEqual(['plain/after']);
  });

  const causes: Array<[string, (f: Fixture, client: MqttClient) => void]> = [
    ['client.reconnect()', (_f, client) => void client.reconnect()],
    ['the broker dropping the socket', (f, client) => dropFromBroker(f.aedes, client.options.clientId)],
  ];
  it.each(causes)('keeps a stream receiving across a reconnect caused by %s', async (_cause, drop) => {
    const f = fixture();
    const client = await connected(f.rx('in-memory', { reconnectPeriod: 20 }));
    const publisher = await connected(f.rx());
    const events: string[] = [];
    const payloads: string[] = [];
    await subscribed(client, client.topic('survive/#'), (m) => payloads.push(m.payload.toString()), (e) => events.push(`error ${e.message}`));
    const before = collect(client.topic('survive/#'), 1);
    await publisher.publishAsync('survive/1', 'before', { qos: 1 });
    await before;

    // The session was clean, so rxmqtt resubscribes on the new connection: wait for that SUBACK.
    const reconnected = once(client, 'connect');
    const resubscribed = nextPackets(client.packetsIn$, 'suback');
    client.on('close', () => events.push('close'));
    drop(f, client);
    await reconnected;
    await resubscribed;

    const after = collect(client.topic('survive/#'), 1);
    await publisher.publishAsync('survive/2', 'after', { qos: 1 });
    await after;
    expect(events).toEqual(['close']);
    expect(payloads).toEqual(['before', 'after']);
  });

  it('subscribes a stream opened before the client connected once the CONNACK arrives', async () => {
    const f = fixture();
    const client = f.rx('in-memory', { manualConnect: true });
    const sent = record(f, client.packetsOut$);
    const first = firstValueFrom(client.topic('early/+', { qos: 1 }).pipe(timeout(HANG_DEADLINE_MS)));
    expect(sent).toEqual([]);
    const suback = nextPackets(client.packetsIn$, 'suback');
    client.connect();
    await suback;
    const publisher = await connected(f.rx());
    await publisher.publishAsync('early/bird', 'worm', { qos: 1 });
    expect((await first).payload.toString()).toBe('worm');
    expect(sent.map((p) => p.cmd).slice(0, 2)).toEqual(['connect', 'subscribe']);
  });

  it('does not resubscribe a filter whose last stream left while the connection was down', async () => {
    const f = fixture();
    const client = await connected(f.rx('in-memory', { reconnectPeriod: 20 }));
    const publisher = await connected(f.rx());
    const gone = await subscribed(client, client.topic('left/+'));
    const kept: string[] = [];
    await subscribed(client, client.topic('kept/+'), (m) => kept.push(m.topic));

    const offline = once(client, 'offline');
    dropFromBroker(f.aedes, client.options.clientId);
    await offline;
    gone.unsubscribe();
    const unsuback = nextPackets(client.packetsIn$, 'unsuback');
    await once(client, 'connect');
    await unsuback;

    // Both publishes reach the broker; only the kept filter is still subscribed there.
    const received = record(f, client.packetsIn$);
    const keptArrives = collect(client.topic('kept/+'), 1);
    await publisher.publishAsync('left/x', 'nobody', { qos: 1 });
    await publisher.publishAsync('kept/x', 'somebody', { qos: 1 });
    await keptArrives;
    expect(received.filter((p) => p.cmd === 'publish').map((p) => (p as { topic: string }).topic)).toEqual(['kept/x']);
    expect(kept).toEqual(['kept/x']);
  });

  it('receives on a stream re-opened while the UNSUBSCRIBE of the same filter is in flight', async () => {
    const f = fixture();
    const client = await connected(f.rx());
    const publisher = await connected(f.rx());
    const old = await subscribed(client, client.topic('flip/x'));
    const sent = record(f, client.packetsOut$);
    const inbound = record(f, client.packetsIn$);
    // aedes may finish an UNSUBSCRIBE after a SUBSCRIBE that follows it: rxmqtt must hold the
    // new SUBSCRIBE until the UNSUBACK, or the broker ends up without the subscription.
    old.unsubscribe();
    const received: string[] = [];
    const suback = nextPackets(client.packetsIn$, 'suback');
    client.topic('flip/x').subscribe((m) => received.push(m.payload.toString()));
    await suback;
    const arrived = collect(client.topic('flip/x'), 1);
    await publisher.publishAsync('flip/x', 'back again', { qos: 1 });
    await arrived;
    expect(received).toEqual(['back again']);
    expect(sent.map((p) => p.cmd).filter((cmd) => cmd !== 'puback')).toEqual(['unsubscribe', 'subscribe']);
    expect(inbound.map((p) => p.cmd).slice(0, 2)).toEqual(['unsuback', 'suback']);
  });

  it('sends neither SUBSCRIBE nor UNSUBSCRIBE for a stream opened and closed while an UNSUBSCRIBE is in flight', async () => {
    const f = fixture();
    const client = await connected(f.rx());
    const old = await subscribed(client, client.topic('brief/x'));
    const sent = record(f, client.packetsOut$);
    const unsuback = nextPackets(client.packetsIn$, 'unsuback');
    old.unsubscribe();
    client.topic('brief/x').subscribe().unsubscribe();
    await unsuback;
    // A QoS 1 round trip: anything queued before it has been written by the time it settles.
    await client.publishAsync('brief/sentinel', 'x', { qos: 1 });
    expect(sent.map((p) => p.cmd)).toEqual(['unsubscribe', 'publish']);
  });

  it('completes every stream, without an error, on end()', async () => {
    const f = fixture();
    const client = await connected(f.rx());
    const outcomes: string[] = [];
    const observe = (filter: string) =>
      client.topic(filter).subscribe({ complete: () => outcomes.push(`complete ${filter}`), error: (e: Error) => outcomes.push(`error ${e.message}`) });
    observe('done/a');
    observe('done/a');
    observe('done/+');
    // The two filters of this turn go out in one SUBSCRIBE.
    await nextPackets(client.packetsIn$, 'suback');
    await within(client.endAsync(), 'endAsync');
    expect(outcomes.sort()).toEqual(['complete done/+', 'complete done/a', 'complete done/a']);
  });

  it('errors only the refused stream with a SubackError carrying the reason code', async () => {
    const f = fixture();
    // aedes 1.x: authorizeSubscribe(null, null) answers that filter with 0x80 in the SUBACK.
    f.aedes.broker.authorizeSubscribe = (_client, sub, callback) => callback(null, sub.topic.startsWith('denied/') ? null : sub);
    const client = await connected(f.rx());
    const publisher = await connected(f.rx());

    const refused = firstValueFrom(client.topic('denied/x', { qos: 1 }).pipe(timeout(HANG_DEADLINE_MS))).catch((error: unknown) => error);
    const allowed: string[] = [];
    await subscribed(client, client.topic('allowed/x'), (m) => allowed.push(m.payload.toString()));

    const error = await refused;
    expect(error).toBeInstanceOf(SubackError);
    expect(error).toMatchObject({ kind: 'ERR_SUBACK', reasonCode: 0x80, topic: 'denied/x' });

    const delivered = collect(client.topic('allowed/x'), 1);
    await publisher.publishAsync('allowed/x', 'still here', { qos: 1 });
    await delivered;
    expect(allowed).toEqual(['still here']);
  });

  it('subscribes again, with a new SUBSCRIBE, after a refused filter is retried', async () => {
    const f = fixture();
    let refuse = true;
    f.aedes.broker.authorizeSubscribe = (_client, sub, callback) => callback(null, refuse ? null : sub);
    const client = await connected(f.rx());
    const sent = record(f, client.packetsOut$);
    await expect(firstValueFrom(client.topic('retry/x').pipe(timeout(HANG_DEADLINE_MS)))).rejects.toBeInstanceOf(SubackError);

    refuse = false;
    const publisher = await connected(f.rx());
    const received: string[] = [];
    await subscribed(client, client.topic('retry/x'), (m) => received.push(m.payload.toString()));
    const delivered = collect(client.topic('retry/x'), 1);
    await publisher.publishAsync('retry/x', 'second time lucky', { qos: 1 });
    await delivered;
    expect(received).toEqual(['second time lucky']);
    expect(ofType(sent, 'subscribe')).toHaveLength(2);
  });
});
