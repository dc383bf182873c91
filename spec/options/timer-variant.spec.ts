// MQTT.js's timerVariant option: 'native', 'worker', 'auto' or { set, clear } timers of the caller,
// turned into the scheduler of the connection's timers; `scheduler` wins when both are given.
import { asyncScheduler } from 'rxjs';
import { connect, InvalidArgumentError, type Packet } from '../../lib/index.js';
import { resolveOptions } from '../../lib/options/options.js';
import { startAedes, type AedesHandle } from '../helpers/aedes.js';
import { VirtualClock } from '../helpers/virtual-clock.js';
import { once } from '../helpers/wait.js';

describe('timerVariant', () => {
  let aedes: AedesHandle;
  beforeAll(async () => {
    aedes = await startAedes();
  });
  afterAll(() => aedes.close());

  it("runs the keepalive on the { set, clear } timers given: firing the 1 s timer sends a PINGREQ", async () => {
    // The 1 s timers are held for the test to fire; the others (the first attempt's 0 ms, the
    // connect timeout) run on setTimeout, so the client connects by itself.
    const held = new Map<number, { callback: () => void; ms: number }>();
    const running = new Map<number, NodeJS.Timeout>();
    let next = 1;
    const timerVariant = {
      set: (callback: () => void, ms: number) => {
        if (ms === 1000) held.set(next, { callback, ms });
        else running.set(next, setTimeout(callback, ms));
        return next++;
      },
      clear: (id: number) => {
        held.delete(id);
        clearTimeout(running.get(id));
        running.delete(id);
      },
    };
    const client = connect(aedes.url, { reconnectPeriod: 0, keepalive: 1, timerVariant });
    try {
      await once(client, 'connect');
      const keepalive = [...held.values()][0];
      expect(keepalive).toBeDefined();
      const sent = new Promise<Packet>((resolve) => client.on('packetsend', (packet) => packet.cmd === 'pingreq' && resolve(packet)));
      keepalive!.callback();
      expect((await sent).cmd).toBe('pingreq');
    } finally {
      await client.endAsync(true);
    }
  });

  it("reads 'native' as setTimeout, and leaves 'auto' to the platform default", () => {
    expect(resolveOptions(undefined, { timerVariant: 'native' }).scheduler).toBe(asyncScheduler);
    expect(resolveOptions(undefined, { timerVariant: 'auto' }).scheduler).toBeUndefined();
    expect(resolveOptions(undefined, { timerVariant: 'worker' }).scheduler).toBeDefined();
  });

  it('yields to an explicit scheduler', () => {
    const clock = new VirtualClock();
    expect(resolveOptions(undefined, { timerVariant: 'native', scheduler: clock.scheduler }).scheduler).toBe(clock.scheduler);
  });

  it('refuses a value that is none of the variants', () => {
    expect(() => resolveOptions(undefined, { timerVariant: 'fast' as never })).toThrow(InvalidArgumentError);
  });
});
