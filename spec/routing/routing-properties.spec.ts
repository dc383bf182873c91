// Property tests of topic routing (#5): generated topics and filters ($-topics, empty levels,
// +, #, $share/{group}/ prefixes) routed by the trie (TopicRouter), by TopicRoutes.dispatch over
// a fake RouteCommands, and by matchLevels, each compared with a tiny reference matcher written
// here from the specification. Fixed seeds: a failure prints the seed and the counterexample.
import fc from 'fast-check';
import type { Subscription } from 'rxjs';
import { TopicRouter } from '../../lib/routing/router.js';
import { TopicRoutes } from '../../lib/routing/routes.js';
import { matchLevels } from '../../lib/routing/subscription-ids.js';
import { parseTopicPattern, topicParams, type TopicPattern } from '../../lib/routing/topic-params.js';
import { stripSharePrefix } from '../../lib/protocol/topic.js';
import { atOnce, FakeCommands, message } from '../helpers/fake-route-commands.js';

const RUNS = { numRuns: 2000, seed: 0x5eed, endOnFailure: true } as const;

/**
 * The reference: MQTT 5.0 4.7 read literally. `+` is one level, `#` the rest (parent level
 * included), a `$share/{group}/` prefix is not matched, and a topic starting with `$` is not
 * matched by a filter starting with a wildcard [MQTT-4.7.2-1].
 */
function reference(filter: string, topic: string): boolean {
  const f = filter.startsWith('$share/') ? filter.split('/').slice(2) : filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  const from = (i: number, j: number): boolean => {
    if (i === f.length) return j === t.length;
    if (f[i] === '#') return true;
    if (j === t.length) return false;
    return (f[i] === '+' || f[i] === t[j]) && from(i + 1, j + 1);
  };
  return from(0, 0);
}

const level = fc.constantFrom('a', 'b', 'c', '', '$x');
const firstLevel = fc.constantFrom('a', 'b', '', '$SYS', '$x');

/** A topic name: 1 to 5 levels, some empty, some starting with `$` (never the empty topic). */
const topic = fc
  .tuple(firstLevel, fc.array(level, { maxLength: 4 }))
  .map(([first, rest]) => [first, ...rest].join('/'))
  .filter((t) => t !== '');

/** A topic filter: levels or `+`, maybe a trailing `#`, maybe shared. */
const filter = fc
  .tuple(
    fc.array(fc.oneof(level, fc.constant('+'), fc.constant('$SYS')), { minLength: 1, maxLength: 4 }),
    fc.boolean(),
    fc.option(fc.constantFrom('g1', 'g2'), { nil: undefined }),
  )
  .map(([levels, hash, group]) => {
    const plain = (hash ? [...levels, '#'] : levels).join('/');
    return group === undefined ? plain : `$share/${group}/${plain}`;
  })
  .filter((f) => stripSharePrefix(f) !== '');

const filters = fc.uniqueArray(filter, { minLength: 1, maxLength: 12 });
const topics = fc.array(topic, { minLength: 1, maxLength: 8 });

describe('routing properties', () => {
  it('the reference agrees with the examples of the specification', () => {
    expect([reference('sport/#', 'sport'), reference('sport/+', 'sport'), reference('+/+', '/finance'), reference('#', '$SYS/x')]).toEqual([true, false, true, false]);
  });

  it('TopicRouter visits exactly the values whose filters match, each once', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(filter, fc.nat(5)), { minLength: 1, maxLength: 20 }), topics, (pairs, names) => {
        const router = new TopicRouter<number>();
        for (const [f, v] of pairs) router.add(f, v);
        for (const t of names) {
          const visited: number[] = [];
          router.match(t, (v) => visited.push(v));
          const expected = new Set(pairs.filter(([f]) => reference(f, t)).map(([, v]) => v));
          expect(visited.length).toBe(new Set(visited).size);
          expect(new Set(visited)).toEqual(expected);
        }
      }),
      RUNS,
    );
  });

  it('TopicRouter still agrees after removing some registrations, and empties completely', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(filter, fc.nat(3), fc.boolean()), { minLength: 1, maxLength: 20 }), topics, (pairs, names) => {
        const router = new TopicRouter<number>();
        for (const [f, v] of pairs) router.add(f, v);
        const removed = pairs.filter(([, , drop]) => drop);
        for (const [f, v] of removed) router.remove(f, v);
        const kept = pairs.filter(([f, v]) => !removed.some(([rf, rv]) => rf === f && rv === v));
        for (const t of names) {
          const visited = new Set<number>();
          router.match(t, (v) => visited.add(v));
          expect(visited).toEqual(new Set(kept.filter(([f]) => reference(f, t)).map(([, v]) => v)));
        }
        for (const [f, v] of kept) router.remove(f, v);
        expect(router.size).toBe(0);
      }),
      RUNS,
    );
  });

  it('a distinct TopicRouter (one filter per value) agrees too, after removals, and skips values removed during a match', () => {
    fc.assert(
      fc.property(filters, fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), topics, (fs, drops, names) => {
        const router = new TopicRouter<number>({ distinct: true });
        fs.forEach((f, v) => router.add(f, v));
        const kept = fs.map((f, v) => [f, v] as const).filter(([f, v]) => !(drops[v] && router.remove(f, v)));
        for (const t of names) {
          const all: number[] = [];
          router.match(t, (v) => all.push(v));
          expect(all.sort()).toEqual(kept.filter(([f]) => reference(f, t)).map(([, v]) => v).sort());
          const visited: number[] = [];
          router.match(t, (v) => {
            visited.push(v);
            // The first value visited removes every other: none of them is visited after that.
            if (visited.length === 1) for (const [f, other] of kept) if (other !== v) router.remove(f, other);
          });
          const matching = kept.filter(([f]) => reference(f, t)).map(([, v]) => v);
          expect(visited).toHaveLength(Math.min(matching.length, 1));
          for (const [f, v] of kept) router.add(f, v);
        }
        for (const [f, v] of kept) router.remove(f, v);
        expect(router.size).toBe(0);
      }),
      RUNS,
    );
  });

  it('matchLevels (routing by identifier) agrees with the reference', () => {
    fc.assert(
      fc.property(filter, topic, (f, t) => {
        expect(matchLevels(stripSharePrefix(f).split('/'), t)).toBe(reference(f, t));
      }),
      RUNS,
    );
  });

  /** Opens one or two streams per filter; returns what each received, by filter. */
  function openStreams(routes: TopicRoutes, list: readonly string[], twice: readonly boolean[]) {
    const received = new Map<string, string[][]>();
    const subscriptions: Subscription[] = [];
    list.forEach((f, i) => {
      const streams = twice[i % twice.length] ? [[], []] : [[]];
      received.set(f, streams);
      for (const seen of streams) subscriptions.push(routes.observe(f).subscribe((m) => (seen as string[]).push(m.topic)));
    });
    return received;
  }

  function expectOnceEach(received: Map<string, string[][]>, names: readonly string[]): void {
    for (const [f, streams] of received) {
      for (const seen of streams) expect({ filter: f, seen }).toEqual({ filter: f, seen: names.filter((t) => reference(f, t)) });
    }
  }

  it('TopicRoutes.dispatch without identifiers gives every stream each matching message exactly once', () => {
    fc.assert(
      fc.property(filters, fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }), topics, (list, twice, names) => {
        const commands = new FakeCommands();
        commands.identifiers = false;
        const routes = new TopicRoutes(commands, atOnce);
        const received = openStreams(routes, list, twice);
        for (const t of names) routes.dispatch(message(t));
        expectOnceEach(received, names);
      }),
      RUNS,
    );
  });

  it('TopicRoutes.dispatch gives every stream each matching message once whether the broker sends a copy per subscription or one copy naming them all', () => {
    fc.assert(
      fc.property(filters, fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }), topics, fc.boolean(), (list, twice, names, perSubscription) => {
        const commands = new FakeCommands();
        const routes = new TopicRoutes(commands, atOnce);
        const received = openStreams(routes, list, twice);
        const idOf = new Map(commands.subscribes.map((s) => [s.subscription.topic, s.properties?.subscriptionIdentifier as number]));
        for (const t of names) {
          // What a broker sends: nothing when no subscription matches [MQTT-3.3.4-4, -5].
          const ids = list.filter((f) => reference(f, t)).map((f) => idOf.get(f) as number);
          if (ids.length === 0) continue;
          if (perSubscription) for (const id of ids) routes.dispatch(message(t, { ids: id }));
          else routes.dispatch(message(t, { ids }));
        }
        expectOnceEach(received, names);
      }),
      RUNS,
    );
  });

  it('a named pattern derived from a topic matches it and names its levels', () => {
    // Each topic level is kept, replaced by + or named; the tail may become # or :rest#.
    const derived = topic.chain((t) => {
      const levels = t.split('/');
      return fc.tuple(
        fc.constant(t),
        fc.array(fc.constantFrom('keep', 'plus', 'name'), { minLength: levels.length, maxLength: levels.length }),
        fc.option(fc.tuple(fc.nat(levels.length), fc.boolean()), { nil: undefined }),
      );
    });
    fc.assert(
      fc.property(derived, ([t, choices, tail]) => {
        const levels = t.split('/');
        const cut = tail === undefined ? levels.length : tail[0];
        const named: Record<string, string> = {};
        const pattern = levels.slice(0, cut).map((level, i) => {
          // [MQTT-4.7.2-1] a $-topic is only matched by a literal first level.
          const choice = i === 0 && t.startsWith('$') ? 'keep' : choices[i];
          if (choice === 'plus') return '+';
          if (choice !== 'name') return level;
          named[`p${i}`] = level;
          return `:p${i}`;
        });
        if (tail !== undefined && !(cut === 0 && t.startsWith('$'))) {
          if (tail[1]) named.rest = levels.slice(cut).join('/');
          pattern.push(tail[1] ? ':rest#' : '#');
        } else pattern.push(...levels.slice(cut));
        const parsed = parseTopicPattern(pattern.join('/')) as TopicPattern;
        expect(reference(parsed.filter, t)).toBe(true);
        expect(topicParams(t, parsed.params)).toEqual(named);
      }),
      RUNS,
    );
  });
});
