/**
 * The operators of `rxmqtt/operators` on a live client, over a scripted broker in virtual time:
 * `awaitAck` on `publish$`, `decodePayload` on `messages$`, `resolveTopicAliases` on `packetsIn$`.
 */
import { filter, type Observable } from 'rxjs';
import type { IPublishPacket } from '../../lib/protocol/codec.js';
import { json } from '../../lib/protocol/payload-codecs.js';
import type { MqttError } from '../../lib/errors.js';
import { awaitAck } from '../../operators/awaitAck.js';
import { decodePayload } from '../../operators/decodePayload.js';
import { resolveTopicAliases } from '../../operators/resolveTopicAliases.js';
import { accepting } from '../helpers/scripted-broker.js';
import { connected, flush, harness } from './harness.js';

function outcome<T>(observable: Observable<T>): string[] {
  const log: string[] = [];
  observable.subscribe({ next: () => log.push('next'), complete: () => log.push('complete'), error: (e: MqttError) => log.push(e.kind) });
  return log;
}

describe('awaitAck on publish$', () => {
  it('completes with the result when the PUBACK arrives in time', async () => {
    const h = await connected({ client: { keepalive: 0 } });
    const publish = outcome(h.client.publish$('t', 'x', { qos: 1 }).pipe(awaitAck({ timeout: 5000, scheduler: h.clock.scheduler })));
    await h.clock.advance(4000);
    h.broker.last.reply({ cmd: 'puback', messageId: 1 });
    await flush();
    expect(publish).toEqual(['next', 'complete']);
    await h.clock.advance(5000);
    expect(publish).toEqual(['next', 'complete']);
  });

  it('errors with ERR_ACK_TIMEOUT when no PUBACK arrives, and the publish stays in flight and is re-sent', async () => {
    let i = 0;
    const h = await harness({
      client: { keepalive: 0, clean: false, reconnectPeriod: 1000, clientId: 'acker' },
      broker: { autoConnack: () => accepting({ sessionPresent: i++ > 0 }) },
    });
    const publish = outcome(h.client.publish$('t', 'x', { qos: 1 }).pipe(awaitAck({ timeout: 5000, scheduler: h.clock.scheduler })));
    await h.clock.advance(5000);
    expect(publish).toEqual(['ERR_ACK_TIMEOUT']);
    // Timing out un-sends nothing: the publish is re-sent on the next connection.
    h.broker.last.close();
    await h.clock.advance(1000);
    expect(h.broker.last.packets('publish').map((p) => [p.messageId, p.dup])).toEqual([[1, true]]);
    h.broker.last.reply({ cmd: 'puback', messageId: 1 });
    await flush();
    expect(publish).toEqual(['ERR_ACK_TIMEOUT']);
    expect(h.client.state.status).toBe('connected');
  });

  it('counts the time spent waiting offline', async () => {
    const h = await harness({ client: { keepalive: 0 }, connect: false });
    const publish = outcome(h.client.publish$('t', 'x', { qos: 1 }).pipe(awaitAck({ timeout: 100, scheduler: h.clock.scheduler })));
    await h.clock.advance(100);
    expect(publish).toEqual(['ERR_ACK_TIMEOUT']);
  });
});

describe('decodePayload on messages$', () => {
  it('decodes what the broker delivers and reports a bad payload without ending the stream', async () => {
    const h = await connected({ client: { keepalive: 0 } });
    const values: unknown[] = [];
    const failures: string[] = [];
    h.client.messages$
      .pipe(decodePayload(json<{ n: number }>(), { onError: (error) => failures.push(`${error.code} ${error.topic}`) }))
      .subscribe((message) => values.push([message.topic, message.value, message.payload.toString()]));
    for (const payload of ['{"n":1}', 'not json', '{"n":2}']) {
      h.broker.last.reply({ cmd: 'publish', topic: 'a/b', payload: Buffer.from(payload), qos: 0, retain: false, dup: false });
    }
    await flush();
    expect(values).toEqual([
      ['a/b', { n: 1 }, '{"n":1}'],
      ['a/b', { n: 2 }, '{"n":2}'],
    ]);
    expect(failures).toEqual(['ERR_DECODE a/b']);
  });
});

describe('resolveTopicAliases on packetsIn$', () => {
  it('resolves the broker aliases to the same topics the client delivers', async () => {
    const h = await connected({ client: { keepalive: 0, protocolVersion: 5, properties: { topicAliasMaximum: 2 } } });
    const resolved: string[] = [];
    const delivered: string[] = [];
    h.client.packetsIn$
      .pipe(
        filter((packet): packet is IPublishPacket => packet.cmd === 'publish'),
        resolveTopicAliases({ maximum: 2 }),
      )
      .subscribe((packet) => resolved.push(packet.topic));
    h.client.messages$.subscribe((message) => delivered.push(message.topic));
    const send = (topic: string, topicAlias: number) =>
      h.broker.last.reply({ cmd: 'publish', topic, payload: Buffer.from('p'), qos: 0, retain: false, dup: false, properties: { topicAlias } });
    send('long/a', 1);
    send('', 1);
    send('long/b', 2);
    send('', 2);
    send('long/c', 1);
    send('', 1);
    await flush();
    expect(resolved).toEqual(['long/a', 'long/a', 'long/b', 'long/b', 'long/c', 'long/c']);
    expect(delivered).toEqual(resolved);
  });
});
