import { DefaultMessageIdProvider, UniqueMessageIdProvider } from '../../lib/session/message-id-provider.js';
import type { MessageIdProvider } from '../../lib/session/types.js';

const providers: [string, () => MessageIdProvider][] = [
  ['DefaultMessageIdProvider', () => new DefaultMessageIdProvider()],
  ['UniqueMessageIdProvider', () => new UniqueMessageIdProvider()],
];

function allocateAll(ids: MessageIdProvider): number[] {
  const out: number[] = [];
  for (let id = ids.allocate(); id !== null; id = ids.allocate()) out.push(id);
  return out;
}

describe.each(providers)('%s', (_name, create) => {
  it('starts at 1 and counts up', () => {
    const ids = create();
    expect([ids.allocate(), ids.allocate(), ids.allocate()]).toEqual([1, 2, 3]);
    expect(ids.getLastAllocated()).toBe(3);
  });

  it('reports null as last allocated before any allocation', () => {
    expect(create().getLastAllocated()).toBeNull();
  });

  it('hands out all 65535 ids once, then returns null', () => {
    const ids = create();
    const all = allocateAll(ids);
    expect(all).toHaveLength(65535);
    expect(new Set(all).size).toBe(65535);
    expect(Math.min(...all)).toBe(1);
    expect(Math.max(...all)).toBe(65535);
    expect(ids.allocate()).toBeNull();
  });

  it('hands out a freed id again once everything else is in use', () => {
    const ids = create();
    allocateAll(ids);
    ids.deallocate(4242);
    expect(ids.allocate()).toBe(4242);
    expect(ids.allocate()).toBeNull();
  });

  it('never hands out an id that is still allocated', () => {
    const ids = create();
    const held: number[] = [];
    const inUse = new Uint8Array(65536);
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let collisions = 0;
    // Hold up to 20k random ids in flight while allocating ~350k, i.e. through several wrap-arounds.
    for (let i = 0; i < 500_000; i++) {
      if (held.length >= 20_000 || (held.length > 0 && random() < 0.3)) {
        const at = Math.floor(random() * held.length);
        const victim = held[at] as number;
        held[at] = held[held.length - 1] as number;
        held.pop();
        inUse[victim] = 0;
        ids.deallocate(victim);
        continue;
      }
      const id = ids.allocate() as number;
      if (inUse[id] === 1) collisions++;
      inUse[id] = 1;
      held.push(id);
    }
    expect(collisions).toBe(0);
  });

  it('refuses to register an id twice and skips registered ids', () => {
    const ids = create();
    expect(ids.register(1)).toBe(true);
    expect(ids.register(1)).toBe(false);
    expect(ids.register(0)).toBe(false);
    expect(ids.register(65536)).toBe(false);
    expect(ids.allocate()).toBe(2);
  });

  it('frees everything on clear', () => {
    const ids = create();
    allocateAll(ids);
    ids.clear();
    expect(allocateAll(ids)).toHaveLength(65535);
  });

  it('ignores deallocating an id that is not allocated', () => {
    const ids = create();
    ids.allocate();
    ids.deallocate(7);
    ids.deallocate(7);
    expect(allocateAll(ids)).toHaveLength(65534);
  });
});

describe('DefaultMessageIdProvider', () => {
  it('keeps going sequentially after a free instead of reusing the lowest id', () => {
    const ids = new DefaultMessageIdProvider();
    ids.allocate();
    ids.allocate();
    ids.deallocate(1);
    expect(ids.allocate()).toBe(3);
  });

  it('wraps around to 1 after 65535', () => {
    const ids = new DefaultMessageIdProvider();
    for (let i = 1; i <= 65535; i++) ids.deallocate(ids.allocate() as number);
    expect(ids.getLastAllocated()).toBe(65535);
    expect(ids.allocate()).toBe(1);
  });

  it('skips ids still in use when it wraps around', () => {
    const ids = new DefaultMessageIdProvider();
    const first = ids.allocate(); // 1 stays in flight
    for (let i = 2; i <= 65535; i++) ids.deallocate(ids.allocate() as number);
    expect(first).toBe(1);
    expect(ids.allocate()).toBe(2);
  });
});

describe('UniqueMessageIdProvider', () => {
  it('hands out the lowest free id', () => {
    const ids = new UniqueMessageIdProvider();
    for (let i = 0; i < 100; i++) ids.allocate();
    ids.deallocate(70);
    ids.deallocate(33);
    expect(ids.allocate()).toBe(33);
    expect(ids.allocate()).toBe(70);
    expect(ids.allocate()).toBe(101);
  });

  it('finds the lowest free id across 32-bit word boundaries', () => {
    const ids = new UniqueMessageIdProvider();
    allocateAll(ids);
    ids.deallocate(65535);
    ids.deallocate(31);
    ids.deallocate(32);
    expect([ids.allocate(), ids.allocate(), ids.allocate(), ids.allocate()]).toEqual([31, 32, 65535, null]);
  });
});
