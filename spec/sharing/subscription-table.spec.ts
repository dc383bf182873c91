/**
 * The hub's subscription bookkeeping, without IO: one SUBSCRIBE per filter across tabs (again
 * for a higher QoS), an UNSUBSCRIBE only when the last holder leaves, each tab targeted once per
 * message at the QoS it asked for (capped by the message's), retained messages for late joiners.
 */
import type { IPublishPacket } from '../../lib/protocol/codec.js';
import { SubscriptionTable } from '../../lib/sharing/subscription-table.js';

const publish = (topic: string, payload: string, retain = true): IPublishPacket => ({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain, dup: false });

describe('SubscriptionTable', () => {
  let table: SubscriptionTable;
  beforeEach(() => (table = new SubscriptionTable()));

  it('sends a filter to the broker for its first holder only', () => {
    expect(table.hold('a', { topic: 'x/#', qos: 1 }).send).toBe(true);
    expect(table.hold('b', { topic: 'x/#', qos: 1 }).send).toBe(false);
    expect(table.hold('b', { topic: 'x/#', qos: 0 }).send).toBe(false);
  });

  it('sends a filter again at the higher QoS when a holder asks for more', () => {
    table.hold('a', { topic: 'x', qos: 0 });
    expect(table.hold('b', { topic: 'x', qos: 2 })).toEqual({ send: true, subscription: { topic: 'x', qos: 2 } });
  });

  it('unsubscribes only when the last holder lets go, or leaves', () => {
    table.hold('a', { topic: 'x', qos: 0 });
    table.hold('b', { topic: 'x', qos: 0 });
    table.hold('b', { topic: 'y', qos: 0 });
    expect(table.release('a', 'x')).toBe(false);
    expect(table.release('a', 'x')).toBe(false);
    expect(table.releaseLink('b')).toEqual(['x', 'y']);
  });

  it('targets each matching link once, at its highest matching QoS capped by the message QoS', () => {
    table.hold('a', { topic: 'x/+', qos: 0 });
    table.hold('a', { topic: 'x/#', qos: 2 });
    table.hold('b', { topic: '$share/g/x/1', qos: 1 });
    table.hold('c', { topic: 'y', qos: 1 });
    expect(table.targets('x/1', 1)).toEqual([
      { link: 'a', qos: 1 },
      { link: 'b', qos: 1 },
    ]);
  });

  it('keeps the latest retained message per topic for a late joiner, and forgets a cleared one', () => {
    table.rememberRetained(publish('c/a', 'old'));
    table.rememberRetained(publish('c/a', 'new'));
    table.rememberRetained(publish('c/b', 'b'));
    table.rememberRetained(publish('c/live', 'not retained', false));
    expect(table.retainedFor('c/#').map((p) => p.payload.toString())).toEqual(['new', 'b']);
    table.rememberRetained(publish('c/b', ''));
    expect(table.retainedFor('c/#').map((p) => p.topic)).toEqual(['c/a']);
  });
});
