import { TestScheduler } from 'rxjs/testing';
import type { IPublishPacket } from '../../lib/protocol/codec.js';
import { InvalidArgumentError, MqttError, TopicAliasError } from '../../lib/errors.js';
import { resolveTopicAliases } from '../../operators/resolveTopicAliases.js';

function publish(topic: string, topicAlias?: number): IPublishPacket {
  const packet: IPublishPacket = { cmd: 'publish', topic, payload: Buffer.from('p'), qos: 0, retain: false, dup: false };
  if (topicAlias !== undefined) packet.properties = { topicAlias };
  return packet;
}

const packets = {
  a: publish('x/y', 1),
  b: publish('', 1),
  c: publish('z'),
  d: publish('', 2),
  e: publish('w', 1),
};
const resolved = { ...packets, B: publish('x/y', 1), E: publish('w', 1), F: publish('w', 1) };

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

function unknownAlias(alias: number): TopicAliasError {
  return new TopicAliasError(alias, 'Received unregistered Topic Alias', 0x94);
}

describe('resolveTopicAliases', () => {
  it('matches the marble diagram of its documentation', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-c-d-|', packets).pipe(resolveTopicAliases())).toBe('-a-B-c-#', resolved, unknownAlias(2));
    });
  });

  it('lets a topic with the same alias redefine it', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-e-b-|', packets).pipe(resolveTopicAliases())).toBe('-a-B-e-F-|', resolved);
    });
  });

  it('passes packets with a topic through as the same object, and copies a resolved one', () => {
    const seen: IPublishPacket[] = [];
    testScheduler().run(({ cold }) => {
      cold('-a-b-c|', packets).pipe(resolveTopicAliases()).subscribe((p) => seen.push(p));
    });
    expect(seen[0]).toBe(packets.a);
    expect(seen[2]).toBe(packets.c);
    expect(seen[1]).not.toBe(packets.b);
    expect(packets.b.topic).toBe('');
  });

  it('errors with a TopicAliasError carrying the alias and reason code 0x94 on an unknown alias, and unsubscribes', () => {
    let error: unknown;
    testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-d-a-|', packets);
      const result = source.pipe(resolveTopicAliases());
      expectObservable(result).toBe('-#', undefined, unknownAlias(2));
      result.subscribe({ error: (err) => (error = err) });
      expectSubscriptions(source.subscriptions).toBe(['^!', '^!']);
    });
    expect(error).toBeInstanceOf(TopicAliasError);
    expect(error).toBeInstanceOf(MqttError);
    expect(error).toMatchObject({ code: 'ERR_TOPIC_ALIAS', alias: 2, reasonCode: 0x94 });
  });

  it.each([
    ['alias 0', publish('x', 0), 0, 0x94],
    ['an alias above the maximum', publish('x', 4), 4, 0x94],
    ['an empty topic without an alias', publish(''), undefined, 0x82],
  ])('errors with a TopicAliasError on %s', (_name, packet, alias, reasonCode) => {
    testScheduler().run(({ cold, expectObservable }) => {
      const error = expect.objectContaining({ code: 'ERR_TOPIC_ALIAS', alias, reasonCode });
      expectObservable(cold('-p', { p: packet }).pipe(resolveTopicAliases({ maximum: 3 }))).toBe('-#', undefined, error);
    });
  });

  it('starts every subscription with an empty table, as aliases last one connection', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const resolving = resolveTopicAliases<IPublishPacket>();
      expectObservable(cold('-a-b|', packets).pipe(resolving)).toBe('-a-B|', resolved);
      expectObservable(cold('-b|', packets).pipe(resolving)).toBe('-#', undefined, unknownAlias(1));
    });
  });

  it('passes errors and completion through', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-c-#', packets).pipe(resolveTopicAliases())).toBe('-c-#', packets);
      expectObservable(cold('-c-|', packets).pipe(resolveTopicAliases())).toBe('-c-|', packets);
    });
  });

  it.each([-1, 65536, 1.5, '3' as unknown as number])('throws an InvalidArgumentError at the call for maximum %p', (maximum) => {
    expect(() => resolveTopicAliases({ maximum })).toThrow(InvalidArgumentError);
  });
});
