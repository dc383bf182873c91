// TopicRoutes with MQTT 5 Subscription Identifiers, against a fake RouteCommands (no broker):
// allocation and release of the ids, routing by the ids a copy names, and the topic fallback.
import type { Subscription } from 'rxjs';
import { InvalidArgumentError, ServerCapabilityError, SubackError } from '../../lib/errors.js';
import type { MqttMessage } from '../../lib/inbound/message.js';
import { TopicRoutes, type TopicOptions } from '../../lib/routing/routes.js';
import { matchLevels, MAX_SUBSCRIPTION_IDENTIFIER, SubscriptionIds } from '../../lib/routing/subscription-ids.js';
import { atOnce, FakeCommands, message as fakeMessage } from '../helpers/fake-route-commands.js';
import { MATCH_CASES } from '../helpers/topic-cases.js';

/** A message as the client builds it, naming the Subscription Identifier(s) of its copy. */
function message(topic: string, subscriptionIdentifier?: number | number[]): MqttMessage {
  return fakeMessage(topic, { ids: subscriptionIdentifier });
}

interface Stream {
  topics: string[];
  errors: Error[];
  subscription: Subscription;
}

function setup() {
  const commands = new FakeCommands();
  const routes = new TopicRoutes(commands, atOnce);
  const open = (filter: string, options?: TopicOptions): Stream => {
    const stream: Stream = { topics: [], errors: [], subscription: undefined as unknown as Subscription };
    stream.subscription = routes.observe(filter, options).subscribe({
      next: (m) => stream.topics.push(m.topic),
      error: (e: Error) => stream.errors.push(e),
    });
    return stream;
  };
  return { commands, routes, open };
}

describe('TopicRoutes with Subscription Identifiers', () => {
  describe('allocating identifiers', () => {
    it('gives each filter its own identifier in its SUBSCRIBE properties, keeping user properties', () => {
      const { commands, open } = setup();
      open('a/+');
      open('a/b', { properties: { userProperties: { k: 'v' } } });
      open('$share/g/a/#');
      expect(commands.ids).toEqual([1, 2, 3]);
      expect(commands.subscribes[1]?.properties).toEqual({ userProperties: { k: 'v' }, subscriptionIdentifier: 2 });
    });

    it('does not change the options object the caller passed', () => {
      const { open } = setup();
      const options = { properties: { userProperties: { k: 'v' } } };
      open('a', options);
      expect(options).toEqual({ properties: { userProperties: { k: 'v' } } });
    });

    it('shares one SUBSCRIBE and one identifier between two streams of the same filter', () => {
      const { commands, routes, open } = setup();
      const one = open('a/+');
      const two = open('a/+');
      expect(commands.ids).toEqual([1]);
      routes.dispatch(message('a/x', 1));
      expect(one.topics).toEqual(['a/x']);
      expect(two.topics).toEqual(['a/x']);
    });

    it('keeps the identifier of a left stream taken until its UNSUBACK, then frees it', () => {
      const { commands, routes, open } = setup();
      const left = open('a/+');
      left.subscription.unsubscribe();
      expect(routes.identifiers).toBe(1);
      open('b');
      expect(commands.ids).toEqual([1, 2]);
      commands.unsubscribes[0]?.done();
      expect(routes.identifiers).toBe(1);
    });

    it('gives a stream re-opened behind the UNSUBSCRIBE of its filter a new identifier once the UNSUBACK came', () => {
      const { commands, routes, open } = setup();
      open('a').subscription.unsubscribe();
      const again = open('a');
      expect(commands.ids).toEqual([1]);
      commands.unsubscribes[0]?.done();
      expect(commands.ids).toEqual([1, 2]);
      routes.dispatch(message('a', 2));
      expect(again.topics).toEqual(['a']);
    });

    it('frees the identifier at once when the stream leaves after the client ended', () => {
      const { commands, routes, open } = setup();
      const stream = open('a');
      commands.open = false;
      stream.subscription.unsubscribe();
      expect(commands.unsubscribes).toEqual([]);
      expect(routes.identifiers).toBe(0);
    });

    it('frees the identifier when the broker refuses the filter or the SUBSCRIBE fails', () => {
      const { commands, routes, open } = setup();
      const refused = open('a');
      const failed = open('b');
      expect(routes.identifiers).toBe(2);
      const suback = new SubackError('a', 0x87);
      commands.subscribes[0]?.done(undefined, { type: 'subscribe', packet: { cmd: 'suback', granted: [0x87] }, granted: [0x87], refused: suback });
      commands.subscribes[1]?.done(new Error('boom'));
      expect(refused.errors).toEqual([suback]);
      expect(failed.errors).toHaveLength(1);
      expect(routes.identifiers).toBe(0);
    });

    it('frees the identifier when a resubscribe after a reconnect is refused', () => {
      const { routes, open } = setup();
      const stream = open('a');
      routes.refused('a', new SubackError('a', 0x80));
      expect(stream.errors).toHaveLength(1);
      expect(routes.identifiers).toBe(0);
    });

    it('never hands out an id taken by subscribe()', () => {
      const { commands, routes, open } = setup();
      routes.subscribedElsewhere('x', 1);
      open('a');
      expect(commands.ids).toEqual([2]);
    });

    it('frees every identifier when the client ends', () => {
      const { routes, open } = setup();
      open('a');
      open('b');
      routes.completeAll();
      expect(routes.identifiers).toBe(0);
    });
  });

  describe('routing by identifier', () => {
    it('delivers a copy naming one identifier only to that stream, although other filters match its topic', () => {
      const { routes, open } = setup();
      const plus = open('a/+');
      const exact = open('a/b');
      const hash = open('a/#');
      routes.dispatch(message('a/b', 2));
      expect([plus.topics, exact.topics, hash.topics]).toEqual([[], ['a/b'], []]);
    });

    it('gives each of three overlapping streams exactly one message when the broker sends a copy per subscription', () => {
      const { routes, open } = setup();
      const streams = [open('a/+'), open('a/b'), open('a/#')];
      for (const id of [1, 2, 3]) routes.dispatch(message('a/b', id));
      expect(streams.map((s) => s.topics)).toEqual([['a/b'], ['a/b'], ['a/b']]);
    });

    it('delivers a single copy naming several identifiers to each named stream once, also when one is listed twice', () => {
      const { routes, open } = setup();
      const plus = open('a/+');
      const exact = open('a/b');
      const other = open('a/#');
      routes.dispatch(message('a/b', [2, 1, 2]));
      expect([plus.topics, exact.topics, other.topics]).toEqual([['a/b'], ['a/b'], []]);
    });

    it('does not deliver a copy without identifier to identifier-routed streams', () => {
      const { routes, open } = setup();
      const plus = open('a/+');
      routes.dispatch(message('a/b'));
      expect(plus.topics).toEqual([]);
    });

    it('drops copies still naming the identifier of a stream that left, before its UNSUBACK', () => {
      const { routes, open } = setup();
      const left = open('a/+');
      const hash = open('a/#');
      left.subscription.unsubscribe();
      routes.dispatch(message('a/b', 1));
      expect(left.topics).toEqual([]);
      expect(hash.topics).toEqual([]);
    });

    it('delivers a copy naming only identifiers it never gave out to every matching stream (an earlier session)', () => {
      const { routes, open } = setup();
      const plus = open('a/+');
      const exact = open('a/b');
      routes.dispatch(message('a/b', 77));
      routes.dispatch(message('a/b', [77, 78]));
      expect(plus.topics).toEqual(['a/b', 'a/b']);
      expect(exact.topics).toEqual(['a/b', 'a/b']);
    });

    it('treats a copy naming a taken identifier whose filter does not match the topic as an earlier session\'s', () => {
      const { routes, open } = setup();
      const x = open('x/y');
      const a = open('a/+');
      routes.dispatch(message('a/b', 1));
      expect(x.topics).toEqual([]);
      expect(a.topics).toEqual(['a/b']);
    });

    it('routes a shared subscription by identifier, matching the topic without the $share/group/ prefix', () => {
      const { routes, open } = setup();
      const shared = open('$share/g/load/+');
      const plain = open('load/+');
      routes.dispatch(message('load/1', 1));
      routes.dispatch(message('load/1', 2));
      expect(shared.topics).toEqual(['load/1']);
      expect(plain.topics).toEqual(['load/1']);
    });
  });

  describe('streams without identifier', () => {
    it('routes by topic to every matching stream when identifiers are not available (v3/v4)', () => {
      const { commands, routes, open } = setup();
      commands.identifiers = false;
      const plus = open('a/+');
      const hash = open('a/#');
      routes.dispatch(message('a/b'));
      expect(commands.ids).toEqual([undefined, undefined]);
      expect([plus.topics, hash.topics]).toEqual([['a/b'], ['a/b']]);
    });

    it('delivers by topic to every stream, tagged ones included, on a connection without identifiers (after a failover)', () => {
      const { commands, routes, open } = setup();
      const tagged = open('a/+');
      commands.identifiers = false;
      routes.dispatch(message('a/b'));
      expect(tagged.topics).toEqual(['a/b']);
    });

    it('delivers a copy without identifier by topic only to the streams without one', () => {
      const { commands, routes, open } = setup();
      const tagged = open('a/+');
      commands.identifiers = false;
      const untagged = open('a/#');
      commands.identifiers = true; // a connection with identifiers, where 'a/#' had none (say, a subscribe() took it over)
      routes.dispatch(message('a/b'));
      routes.dispatch(message('a/b', 1));
      expect(tagged.topics).toEqual(['a/b']);
      expect(untagged.topics).toEqual(['a/b']);
    });

    it('subscribes again without identifier, and routes by topic, when the CONNACK rules identifiers out', () => {
      const { commands, routes, open } = setup();
      const stream = open('a/+', { qos: 1 });
      commands.identifiers = false;
      const refusal = new ServerCapabilityError('subscriptionIdentifiersAvailable', 0xa1, 'no ids');
      commands.subscribes[0]?.done(refusal);
      expect(commands.ids).toEqual([1, undefined]);
      expect(commands.subscribes[1]?.subscription).toEqual({ topic: 'a/+', qos: 1 });
      expect(routes.identifiers).toBe(0);
      routes.dispatch(message('a/b'));
      expect(stream.topics).toEqual(['a/b']);
      expect(stream.errors).toEqual([]);
    });

    it('routes a stream whose filter subscribe() re-subscribed by topic: the broker replaced its subscription', () => {
      const { routes, open } = setup();
      const stream = open('a/+');
      const other = open('a/#');
      routes.subscribedElsewhere('a/+', undefined);
      routes.dispatch(message('a/b', 1)); // a straggler of the replaced subscription
      routes.dispatch(message('a/b'));
      routes.dispatch(message('a/c', 2));
      expect(stream.topics).toEqual(['a/b']);
      expect(other.topics).toEqual(['a/c']);
    });

    it('does not deliver a copy naming a subscribe() identifier to identifier-routed streams', () => {
      const { commands, routes, open } = setup();
      routes.subscribedElsewhere('a/#', 5);
      const stream = open('a/+');
      routes.dispatch(message('a/b', 5));
      routes.dispatch(message('a/b', [5, 1]));
      expect(commands.ids).toEqual([1]);
      expect(stream.topics).toEqual(['a/b']);
    });
  });

  describe("the caller's own identifier", () => {
    it('is sent as given and routes the stream', () => {
      const { commands, routes, open } = setup();
      const own = open('a/+', { properties: { subscriptionIdentifier: 42 } });
      const other = open('a/#');
      routes.dispatch(message('a/b', 42));
      expect(commands.ids).toEqual([42, 1]);
      expect([own.topics, other.topics]).toEqual([['a/b'], []]);
    });

    it('errors the stream with an InvalidArgumentError when another stream holds the identifier', () => {
      const { commands, routes, open } = setup();
      open('a');
      const clash = open('b', { properties: { subscriptionIdentifier: 1 } });
      expect(clash.errors[0]).toBeInstanceOf(InvalidArgumentError);
      expect(commands.subscribes).toHaveLength(1);
      expect(routes.size).toBe(1);
    });

    it.each([0, -1, 1.5, MAX_SUBSCRIPTION_IDENTIFIER + 1, Number.NaN])('is refused with an InvalidArgumentError when it is %p', (id) => {
      const { commands, open } = setup();
      const stream = open('a', { properties: { subscriptionIdentifier: id } });
      expect(stream.errors[0]).toBeInstanceOf(InvalidArgumentError);
      expect(commands.subscribes).toEqual([]);
    });

    it('errors the stream, without retrying, when the broker does not support identifiers', () => {
      const { commands, routes, open } = setup();
      const stream = open('a', { properties: { subscriptionIdentifier: 9 } });
      commands.subscribes[0]?.done(new ServerCapabilityError('subscriptionIdentifiersAvailable', 0xa1, 'no ids'));
      expect(stream.errors[0]).toBeInstanceOf(ServerCapabilityError);
      expect(commands.subscribes).toHaveLength(1);
      expect(routes.identifiers).toBe(0);
    });

    it('is passed on untouched and not routed on when identifiers are not available', () => {
      const { commands, routes, open } = setup();
      commands.identifiers = false;
      const stream = open('a', { properties: { subscriptionIdentifier: 9 } });
      routes.dispatch(message('a'));
      expect(commands.ids).toEqual([9]);
      expect(stream.topics).toEqual(['a']);
    });
  });
});

describe('SubscriptionIds', () => {
  it('hands out ids in turn, skipping taken ones, and reuses a freed id only after going round', () => {
    const ids = new SubscriptionIds();
    expect(ids.reserve(2)).toBe(true);
    expect([ids.allocate(), ids.allocate()]).toEqual([1, 3]);
    ids.release(1);
    expect(ids.allocate()).toBe(4);
    expect(ids.reserve(4)).toBe(false);
  });

  it('wraps from 268,435,455 to 1', () => {
    const ids = new SubscriptionIds(MAX_SUBSCRIPTION_IDENTIFIER);
    ids.reserve(1);
    expect([ids.allocate(), ids.allocate()]).toEqual([MAX_SUBSCRIPTION_IDENTIFIER, 2]);
  });
});

describe('matchLevels', () => {
  it.each(MATCH_CASES)('matches the filter %j against %j like matchTopic: %s', (filter, topic, expected) => {
    const levels = filter.replace(/^\$share\/[^/]+\//, '').split('/');
    expect(matchLevels(levels, topic)).toBe(expected);
  });
});
