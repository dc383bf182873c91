// TopicRoutes options against a fake RouteCommands (no broker): several streams of one filter
// at different QoS, linger in virtual time, and the retained messages replayed to late streams.
import { take, type Subscription } from 'rxjs';
import { InvalidArgumentError, SubackError } from '../../lib/errors.js';
import { TopicRoutes, type RouteOptions } from '../../lib/routing/routes.js';
import type { SettleResult } from '../../lib/session/types.js';
import { atOnce, FakeCommands, message } from '../helpers/fake-route-commands.js';
import { VirtualClock } from '../helpers/virtual-clock.js';

interface Stream {
  payloads: string[];
  errors: Error[];
  subscription: Subscription;
}

function setup(linger?: number) {
  const commands = new FakeCommands();
  const clock = new VirtualClock();
  const routes = new TopicRoutes(commands, { ...atOnce, scheduler: clock.scheduler, linger });
  const open = (filter: string, options?: RouteOptions): Stream => {
    const stream: Stream = { payloads: [], errors: [], subscription: undefined as unknown as Subscription };
    stream.subscription = routes.observe(filter, options).subscribe({
      next: (m) => stream.payloads.push(m.payload.toString()),
      error: (e: Error) => stream.errors.push(e),
    });
    return stream;
  };
  /** The SUBSCRIBEs sent, as `filter@qos`. */
  const subscribed = () => commands.subscribes.map((s) => `${s.subscription.topic}@${s.subscription.qos}`);
  const unsubscribed = () => commands.unsubscribes.map((u) => u.filter);
  return { commands, clock, routes, open, subscribed, unsubscribed };
}

const granted: SettleResult = { type: 'subscribe', packet: { cmd: 'suback', granted: [1] }, granted: [1] };

describe('TopicRoutes options', () => {
  describe('streams of one filter at different QoS', () => {
    it('re-SUBSCRIBEs the filter at the higher QoS of a later stream, with the same identifier and Retain Handling 1', () => {
      const { commands, open, subscribed } = setup();
      open('a/+', { qos: 0, rap: true });
      open('a/+', { qos: 2 });
      expect(subscribed()).toEqual(['a/+@0', 'a/+@2']);
      expect(commands.ids).toEqual([1, 1]);
      expect(commands.subscribes[1]?.subscription).toEqual({ topic: 'a/+', qos: 2, rap: true, rh: 1 });
    });

    it('sends nothing for a later stream asking for the same or a lower QoS', () => {
      const { open, subscribed } = setup();
      open('a', { qos: 1 });
      open('a', { qos: 1 });
      open('a', { qos: 0 });
      open('a');
      expect(subscribed()).toEqual(['a@1']);
    });

    it('keeps the first stream\'s No Local, Retain As Published and Retain Handling', () => {
      const { commands, open } = setup();
      open('a', { qos: 0, nl: true, rh: 2 });
      open('a', { qos: 1, nl: false, rap: true, rh: 0 });
      expect(commands.subscribes.map((s) => s.subscription)).toEqual([
        { topic: 'a', qos: 0, nl: true, rh: 2 },
        { topic: 'a', qos: 1, nl: true, rh: 2 },
      ]);
    });

    it('keeps the higher QoS when the stream that asked for it leaves', () => {
      const { open, subscribed, unsubscribed } = setup();
      open('a', { qos: 0 });
      open('a', { qos: 2 }).subscription.unsubscribe();
      open('a', { qos: 1 });
      expect(subscribed()).toEqual(['a@0', 'a@2']);
      expect(unsubscribed()).toEqual([]);
    });

    it('delivers to both streams with one copy per message after the upgrade', () => {
      const { routes, open } = setup();
      const low = open('a/+', { qos: 0 });
      const high = open('a/+', { qos: 1 });
      routes.dispatch(message('a/b', { payload: 'm', ids: 1 }));
      expect([low.payloads, high.payloads]).toEqual([['m'], ['m']]);
    });

    it('sends the raised QoS once the UNSUBSCRIBE a re-opened route waits for is acknowledged', () => {
      const { commands, open, subscribed } = setup();
      open('a').subscription.unsubscribe();
      open('a', { qos: 0 });
      open('a', { qos: 2 });
      expect(subscribed()).toEqual(['a@0']);
      commands.unsubscribes[0]?.done();
      expect(subscribed()).toEqual(['a@0', 'a@2']);
    });

    it('upgrades a route routed by topic without a Subscription Identifier', () => {
      const { commands, routes, open } = setup();
      open('a', { qos: 0 });
      routes.subscribedElsewhere('a', undefined);
      open('a', { qos: 1 });
      expect(commands.ids).toEqual([1, undefined]);
    });

    it('fails every stream of the route when the broker refuses the upgrade', () => {
      const { commands, open } = setup();
      const low = open('a', { qos: 0 });
      const high = open('a', { qos: 2 });
      commands.subscribes[0]?.done(undefined, granted);
      const refusal = new SubackError('a', 0x87);
      commands.subscribes[1]?.done(undefined, { type: 'subscribe', packet: { cmd: 'suback', granted: [0x87] }, granted: [0x87], refused: refusal });
      expect(low.errors).toEqual([refusal]);
      expect(high.errors).toEqual([refusal]);
    });
  });

  describe('linger', () => {
    it('UNSUBSCRIBEs only once the linger ran out after the last stream left', async () => {
      const { clock, open, unsubscribed } = setup();
      open('a', { linger: 1000 }).subscription.unsubscribe();
      await clock.advance(999);
      expect(unsubscribed()).toEqual([]);
      await clock.advance(1);
      expect(unsubscribed()).toEqual(['a']);
    });

    it('sends neither UNSUBSCRIBE nor SUBSCRIBE when a stream comes back within the linger', async () => {
      const { clock, routes, open, subscribed, unsubscribed } = setup();
      open('a', { linger: 1000 }).subscription.unsubscribe();
      await clock.advance(500);
      const again = open('a');
      await clock.advance(5000);
      expect(subscribed()).toEqual(['a@0']);
      expect(unsubscribed()).toEqual([]);
      routes.dispatch(message('a', { payload: 'back', ids: 1 }));
      expect(again.payloads).toEqual(['back']);
    });

    it('uses the linger of the stream that leaves last', async () => {
      const { clock, open, unsubscribed } = setup();
      const long = open('a', { linger: 5000 });
      const short = open('a', { linger: 10 });
      long.subscription.unsubscribe();
      short.subscription.unsubscribe();
      await clock.advance(10);
      expect(unsubscribed()).toEqual(['a']);
    });

    it('takes the client\'s default linger for streams that set none, and 0 from a stream that does', async () => {
      const { clock, open, unsubscribed } = setup(200);
      open('a').subscription.unsubscribe();
      open('b', { linger: 0 }).subscription.unsubscribe();
      expect(unsubscribed()).toEqual(['b']);
      await clock.advance(200);
      expect(unsubscribed()).toEqual(['b', 'a']);
    });

    it('keeps the identifier and the routing of a lingering route, and sends nothing once the client ended', async () => {
      const { commands, clock, routes, open, unsubscribed } = setup();
      open('a', { linger: 100 }).subscription.unsubscribe();
      expect(routes.size).toBe(1);
      expect(routes.identifiers).toBe(1);
      commands.open = false;
      routes.completeAll();
      expect(routes.size).toBe(0);
      expect(clock.pendingTimers).toBe(0);
      await clock.advance(100);
      expect(unsubscribed()).toEqual([]);
    });

    it('errors a stream whose linger is not a non-negative integer', () => {
      const { open, subscribed } = setup();
      for (const linger of [-1, 1.5, Number.NaN, '10']) {
        expect(open('a', { linger: linger as number }).errors[0]).toBeInstanceOf(InvalidArgumentError);
      }
      expect(subscribed()).toEqual([]);
    });
  });

  describe('replay of retained messages', () => {
    it('gives a stream joining later the last retained message per topic, not the last message', () => {
      const { routes, open } = setup();
      open('s/+', { replay: 'retained' });
      routes.dispatch(message('s/1', { payload: 'r1', retain: true, ids: 1 }));
      routes.dispatch(message('s/1', { payload: 'live', ids: 1 }));
      routes.dispatch(message('s/2', { payload: 'r2a', retain: true, ids: 1 }));
      routes.dispatch(message('s/2', { payload: 'r2b', retain: true, ids: 1 }));
      const late = open('s/+', { replay: 'retained' });
      expect(late.payloads).toEqual(['r1', 'r2b']);
    });

    it('forgets a topic whose retained message was cleared by an empty retained payload', () => {
      const { routes, open } = setup();
      open('s/+', { replay: 'retained' });
      routes.dispatch(message('s/1', { payload: 'r1', retain: true, ids: 1 }));
      routes.dispatch(message('s/2', { payload: 'r2', retain: true, ids: 1 }));
      routes.dispatch(message('s/1', { payload: '', retain: true, ids: 1 }));
      expect(open('s/+', { replay: 'retained' }).payloads).toEqual(['r2']);
    });

    it('replays nothing to a stream that does not ask for it', () => {
      const { routes, open } = setup();
      open('s', { replay: 'retained' });
      routes.dispatch(message('s', { payload: 'r', retain: true, ids: 1 }));
      expect(open('s').payloads).toEqual([]);
    });

    it('keeps retained messages from the first stream asking for replay on, and only while the route lives', () => {
      const { routes, open } = setup();
      const first = open('s');
      routes.dispatch(message('s', { payload: 'before', retain: true, ids: 1 }));
      const second = open('s', { replay: 'retained' });
      expect(second.payloads).toEqual([]); // nobody asked for replay when it came
      routes.dispatch(message('s', { payload: 'after', retain: true, ids: 1 }));
      expect(open('s', { replay: 'retained' }).payloads).toEqual(['after']);
      routes.completeAll();
      expect(routes.size).toBe(0);
      expect(first.errors).toEqual([]);
    });

    it('starts a re-opened route without the retained messages of the closed one', () => {
      const { commands, routes, open } = setup();
      const first = open('s', { replay: 'retained' });
      routes.dispatch(message('s', { payload: 'old', retain: true, ids: 1 }));
      first.subscription.unsubscribe();
      commands.unsubscribes[0]?.done();
      open('s', { replay: 'retained' });
      expect(open('s', { replay: 'retained' }).payloads).toEqual([]);
    });

    it('replays to a stream that takes over a lingering route', async () => {
      const { clock, routes, open } = setup();
      open('s', { replay: 'retained', linger: 1000 }).subscription.unsubscribe();
      routes.dispatch(message('s', { payload: 'kept while lingering', retain: true, ids: 1 }));
      await clock.advance(500);
      expect(open('s', { replay: 'retained' }).payloads).toEqual(['kept while lingering']);
    });

    it('stops replaying to a stream that unsubscribes during the replay', () => {
      const { routes, open } = setup();
      open('s/+', { replay: 'retained' });
      for (const t of ['s/1', 's/2', 's/3']) routes.dispatch(message(t, { payload: t, retain: true, ids: 1 }));
      const seen: string[] = [];
      routes.observe('s/+', { replay: 'retained' }).pipe(take(1)).subscribe((m) => seen.push(m.topic));
      expect(seen).toEqual(['s/1']);
      routes.dispatch(message('s/4', { ids: 1 }));
      expect(seen).toEqual(['s/1']);
    });

    it('errors a stream with an unknown replay mode', () => {
      const { open } = setup();
      expect(open('s', { replay: 'all' as 'retained' }).errors[0]).toBeInstanceOf(InvalidArgumentError);
    });
  });
});
