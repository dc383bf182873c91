import { jest } from '@jest/globals';
import { InvalidArgumentError } from '../../lib/errors.js';
import { TopicRouter } from '../../lib/routing/router.js';
import { matchTopic } from '../../lib/protocol/topic.js';
import { seededRandom } from '../helpers/random.js';
import { MATCH_CASES } from '../helpers/topic-cases.js';

function matches<V>(router: TopicRouter<V>, topic: string): V[] {
  const visited: V[] = [];
  router.match(topic, (v) => visited.push(v));
  return visited;
}


/** Test-only peek at the trie root, to check that removals leave no nodes behind. */
function rootIsEmpty<V>(router: TopicRouter<V>): boolean {
  return (router as unknown as { root: { isEmpty(): boolean } }).root.isEmpty();
}

describe('TopicRouter', () => {
  it.each(MATCH_CASES)('routes a topic matching the filter %j to %j: %s', (filter, topic, expected) => {
    const router = new TopicRouter<string>();
    router.add(filter, 'v');
    expect(matches(router, topic)).toEqual(expected ? ['v'] : []);
  });

  it('visits a value once when several of its filters match', () => {
    const router = new TopicRouter<string>();
    for (const filter of ['a/b', 'a/+', 'a/#', '#', '+/b', '$share/g/a/b']) router.add(filter, 'v');
    router.add('a/b', 'w');
    expect(matches(router, 'a/b').sort()).toEqual(['v', 'w']);
    expect(matches(router, 'a/b').sort()).toEqual(['v', 'w']);
  });

  it('visits every distinct value registered under the same filter', () => {
    const router = new TopicRouter<number>();
    for (let i = 0; i < 5; i++) router.add('a/+', i);
    expect(matches(router, 'a/x')).toEqual([0, 1, 2, 3, 4]);
  });

  it('counts (filter, value) registrations and ignores a repeated pair', () => {
    const router = new TopicRouter<string>();
    router.add('a', 'v');
    router.add('a', 'v');
    router.add('a', 'w');
    router.add('$share/g/a', 'v');
    expect(router.size).toBe(3);
    expect(matches(router, 'a')).toEqual(['v', 'w']);
  });

  it('reports whether a filter is registered, comparing it as written', () => {
    const router = new TopicRouter<string>();
    router.add('$share/g/a/+', 'v');
    expect(router.has('$share/g/a/+')).toBe(true);
    expect(router.has('a/+')).toBe(false);
    expect(router.has('$share/h/a/+')).toBe(false);
    expect(router.has('a')).toBe(false);
    expect(router.remove('a/+', 'v')).toBe(false);
    router.add('a/+', 'w');
    expect(router.has('a/+')).toBe(true);
  });

  it('removes a registration, keeps the others and prunes empty nodes', () => {
    const router = new TopicRouter<string>();
    router.add('a/b/c', 'v');
    router.add('a/+/#', 'v');
    router.add('a/b', 'w');
    expect(router.remove('a/b/c', 'w')).toBe(false);
    expect(router.remove('a/b/c', 'v')).toBe(true);
    expect(router.remove('a/b/c', 'v')).toBe(false);
    expect(matches(router, 'a/b/c')).toEqual(['v']);
    expect(router.remove('a/+/#', 'v')).toBe(true);
    expect(matches(router, 'a/b/c')).toEqual([]);
    expect(router.has('a/b')).toBe(true);
    expect(router.remove('a/b', 'w')).toBe(true);
    expect(router.size).toBe(0);
    expect(rootIsEmpty(router)).toBe(true);
  });

  it('returns false when removing a filter that was never added, even an invalid one', () => {
    const router = new TopicRouter<string>();
    router.add('a/b', 'v');
    expect(router.remove('a/c', 'v')).toBe(false);
    expect(router.remove('a/b/c', 'v')).toBe(false);
    expect(router.remove('a/#/b', 'v')).toBe(false);
    expect(router.size).toBe(1);
  });

  it('throws an InvalidArgumentError for an invalid filter', () => {
    const router = new TopicRouter<string>();
    for (const filter of ['', 'a/#/b', 'a+', '$share//a', '$share/g']) {
      expect(() => router.add(filter, 'v')).toThrow(InvalidArgumentError);
    }
    expect(router.size).toBe(0);
  });

  it('stops visiting a value that an earlier visit removed from all its filters', () => {
    const router = new TopicRouter<string>();
    router.add('a/#', 'first');
    router.add('a/b', 'second');
    const visited: string[] = [];
    router.match('a/b', (v) => {
      visited.push(v);
      if (v === 'first') router.remove('a/b', 'second');
    });
    expect(visited).toEqual(['first']);
  });

  it('takes values added during a match into account from the next match', () => {
    const router = new TopicRouter<string>();
    router.add('a/b', 'v');
    const visited: string[] = [];
    router.match('a/b', (v) => {
      visited.push(v);
      router.add('a/#', 'late');
    });
    expect(visited).toEqual(['v']);
    expect(matches(router, 'a/b').sort()).toEqual(['late', 'v']);
  });

  it('dedupes correctly when a visit matches again (re-entrant match)', () => {
    const router = new TopicRouter<string>();
    for (const filter of ['a/+', 'a/#', '+/b']) {
      router.add(filter, 'x');
      router.add(filter, 'y');
    }
    const outer: string[] = [];
    const inner: string[] = [];
    router.match('a/b', (v) => {
      outer.push(v);
      if (v === 'x') router.match('a/c', (w) => inner.push(w));
    });
    expect(outer).toEqual(['x', 'y']);
    expect(inner).toEqual(['x', 'y']);
    expect(matches(router, 'a/b')).toEqual(['x', 'y']);
  });

  it('still routes after a visit throws', () => {
    const router = new TopicRouter<string>();
    router.add('a', 'v');
    expect(() => router.match('a', () => { throw new Error('boom'); })).toThrow('boom');
    expect(matches(router, 'a')).toEqual(['v']);
  });

  it('agrees with matchTopic on random filters and topics, before and after removals', () => {
    const random = seededRandom(0x5eed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
    const topicLevel: readonly string[] = ['a', 'b', 'c', ''];
    const randomTopic = () => {
      const levels = Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(topicLevel));
      if (random() < 0.15) levels[0] = '$SYS';
      return levels.join('/') || '/'; // a lone empty level would be the invalid empty topic
    };
    const randomFilter = () => {
      const levels = Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick([...topicLevel, '+', '+']));
      if (random() < 0.3) levels.push('#');
      if (random() < 0.1) levels[0] = '$SYS';
      const filter = levels.join('/') || '/';
      return random() < 0.1 ? `$share/g${Math.floor(random() * 3)}/${filter}` : filter;
    };

    const router = new TopicRouter<number>();
    let registered: [string, number][] = [];
    for (let i = 0; i < 400; i++) {
      const pair: [string, number] = [randomFilter(), Math.floor(random() * 60)];
      if (!registered.some(([f, v]) => f === pair[0] && v === pair[1])) registered.push(pair);
      router.add(...pair);
    }
    const check = () => {
      expect(router.size).toBe(registered.length);
      for (let i = 0; i < 500; i++) {
        const topic = randomTopic();
        const expected = [...new Set(registered.filter(([f]) => matchTopic(f, topic)).map(([, v]) => v))];
        const actual = matches(router, topic);
        const sorted = (xs: number[]) => [...xs].sort((x, y) => x - y);
        // The topic rides along so that a failure names it.
        expect({ topic, values: sorted(actual) }).toEqual({ topic, values: sorted(expected) });
      }
    };
    check();
    const [removed, kept] = [registered.filter(() => random() < 0.5), registered];
    for (const [f, v] of removed) expect(router.remove(f, v)).toBe(true);
    registered = kept.filter((pair) => !removed.includes(pair));
    check();
    for (const [f, v] of registered) router.remove(f, v);
    expect(router.size).toBe(0);
    expect(rootIsEmpty(router)).toBe(true);
  });

  it('does the same work per match with 10,000 non-matching filters as with 10', () => {
    // Counting Map lookups instead of timing keeps the test deterministic.
    const lookups = (extra: number) => {
      const router = new TopicRouter<number>();
      for (let i = 0; i < 10; i++) router.add(`home/room${i}/+`, i);
      router.add('home/#', 100);
      for (let i = 0; i < extra; i++) router.add(`devices/${i}/+/${i % 7}/#`, 1000 + i);
      const get = jest.spyOn(Map.prototype, 'get');
      try {
        expect(matches(router, 'home/room3/temperature')).toEqual([100, 3]);
        return get.mock.calls.length;
      } finally {
        get.mockRestore();
      }
    };
    expect(lookups(10_000)).toBe(lookups(10));
  });
});
