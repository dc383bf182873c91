import { TestScheduler } from 'rxjs/testing';
import type { IPublishPacket } from '../../lib/protocol/codec.js';
import { InvalidArgumentError, TopicAliasError } from '../../lib/errors.js';
import { assignTopicAliases } from '../../operators/assignTopicAliases.js';
import { resolveTopicAliases } from '../../operators/resolveTopicAliases.js';

function publish(topic: string, topicAlias?: number, extra: Partial<IPublishPacket> = {}): IPublishPacket {
  const packet: IPublishPacket = { cmd: 'publish', topic, payload: Buffer.from('p'), qos: 0, retain: false, dup: false, ...extra };
  if (topicAlias !== undefined) packet.properties = { ...extra.properties, topicAlias };
  return packet;
}

const topics = { a: publish('t1'), b: publish('t2'), c: publish('t3'), d: publish('t4') };

/** `1` = 't1' ta:1, `x` = '' ta:1 and so on: what the broker sees. */
const wire = {
  1: publish('t1', 1),
  2: publish('t2', 2),
  3: publish('t3', 3),
  x: publish('', 1),
  y: publish('', 2),
  z: publish('', 3),
  4: publish('t4', 1),
  5: publish('t3', 1),
  6: publish('t1', 2),
  7: publish('t3', 2),
  a: topics.a,
  b: topics.b,
};

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('assignTopicAliases', () => {
  it('matches the marble diagram of its documentation', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      // t1 ta:1, '' ta:1, t2 ta:2, t3 overwrites the LRU alias 1, t1 then gets alias 2 (t2's, the LRU).
      const values = { 1: wire[1], 2: wire.x, 3: wire[2], 4: wire[5], 5: wire[6] };
      expectObservable(cold('-a-a-b-c-a-|', topics).pipe(assignTopicAliases({ maximum: 2 }))).toBe('-1-2-3-4-5-|', values);
    });
  });

  it('follows the MQTT.js autoAssignTopicAlias scenario with Topic Alias Maximum 3', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-a-b-c-d-|', topics).pipe(assignTopicAliases({ maximum: 3 }))).toBe('-1-x-2-3-4-|', wire);
    });
  });

  it('counts a use as recent, so the alias overwritten is the one unused longest', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      // t1 t2 t3, t1 again (recent), t4 takes t2's alias 2, t2 takes t3's alias 3.
      const values = { ...wire, p: publish('t4', 2), q: publish('t2', 3) };
      expectObservable(cold('-a-b-c-a-d-b-|', topics).pipe(assignTopicAliases({ maximum: 3 }))).toBe('-1-2-3-x-p-q-|', values);
    });
  });

  it('registers and reuses aliases the packets carry, and only those with autoAssign false', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = { m: publish('t3', 2), a: topics.a, c: topics.c, e: publish('', 2) };
      const result = cold('-m-a-c-e-|', source).pipe(assignTopicAliases({ maximum: 3, autoAssign: false }));
      expectObservable(result).toBe('-7-a-y-y-|', wire);
    });
  });

  it('errors with a TopicAliasError on an empty topic with an alias never registered', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const error = new TopicAliasError(2, 'Unregistered Topic Alias');
      expectObservable(cold('-a-e-|', { a: topics.a, e: publish('', 2) }).pipe(assignTopicAliases({ maximum: 3 }))).toBe('-1-#', wire, error);
    });
  });

  it('errors with a ServerCapabilityError on a carried alias above the maximum', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const error = expect.objectContaining({ code: 'ERR_NOT_SUPPORTED_BY_SERVER', capability: 'topicAliasMaximum', reasonCode: 0x94 });
      expectObservable(cold('-m', { m: publish('t', 4) }).pipe(assignTopicAliases({ maximum: 3 }))).toBe('-#', undefined, error);
    });
  });

  it('passes packets through unchanged with maximum 0', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-a-b-|', topics).pipe(assignTopicAliases({ maximum: 0 }))).toBe('-a-a-b-|', wire);
    });
  });

  it('keeps the other properties and never modifies the source packets', () => {
    const packet = publish('t1', undefined, { qos: 1, messageId: 7, properties: { contentType: 'text/plain' } });
    const snapshot = { ...packet, properties: { ...packet.properties } };
    const seen: IPublishPacket[] = [];
    testScheduler().run(({ cold }) => {
      cold('-p-p|', { p: packet }).pipe(assignTopicAliases({ maximum: 1 })).subscribe((p) => seen.push(p));
    });
    expect(seen.map((p) => [p.topic, p.properties, p.messageId])).toEqual([
      ['t1', { contentType: 'text/plain', topicAlias: 1 }, 7],
      ['', { contentType: 'text/plain', topicAlias: 1 }, 7],
    ]);
    expect(packet).toEqual(snapshot);
  });

  it('starts every subscription with an empty table, as aliases last one connection', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const assigning = assignTopicAliases<IPublishPacket>({ maximum: 3 });
      expectObservable(cold('-a-a|', topics).pipe(assigning)).toBe('-1-x|', wire);
      expectObservable(cold('-a|', topics).pipe(assigning)).toBe('-1|', wire);
    });
  });

  it('round-trips through resolveTopicAliases to the original topics', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const sequence = '-a-b-a-c-d-b-a-|';
      const result = cold(sequence, topics).pipe(assignTopicAliases({ maximum: 2 }), resolveTopicAliases({ maximum: 2 }));
      expectObservable(result).toBe(sequence, {
        a: expect.objectContaining({ topic: 't1' }),
        b: expect.objectContaining({ topic: 't2' }),
        c: expect.objectContaining({ topic: 't3' }),
        d: expect.objectContaining({ topic: 't4' }),
      });
    });
  });

  it('passes errors and completion through', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-#', topics).pipe(assignTopicAliases({ maximum: 3 }))).toBe('-1-#', wire);
    });
  });

  it.each([-1, 65536, 2.5, undefined as unknown as number])('throws an InvalidArgumentError at the call for maximum %p', (maximum) => {
    expect(() => assignTopicAliases({ maximum })).toThrow(InvalidArgumentError);
  });
});
