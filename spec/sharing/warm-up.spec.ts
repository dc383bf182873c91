/**
 * The hub's warm-up in virtual time: after the real client connected, the broker's first message
 * waits until the tabs have been quiet for QUIET_MS (none connecting or subscribing), at most
 * WARM_UP_MS; once warm, messages pass at once.
 */
import { QUIET_MS, WARM_UP_MS, WarmUp } from '../../lib/sharing/warm-up.js';
import { VirtualClock } from '../helpers/virtual-clock.js';

describe('WarmUp', () => {
  let clock: VirtualClock;
  let warmUp: WarmUp;
  let delivered: string[];
  const admit = (name: string) => warmUp.admit(() => delivered.push(name));

  beforeEach(() => {
    clock = new VirtualClock();
    warmUp = new WarmUp(clock.scheduler);
    delivered = [];
    warmUp.connected();
  });

  it('holds a message that arrives right after the connection until the tabs have been quiet for QUIET_MS', async () => {
    admit('first');
    await clock.advance(QUIET_MS - 1);
    expect(delivered).toEqual([]);
    await clock.advance(1);
    expect(delivered).toEqual(['first']);
  });

  it('keeps holding while tabs connect and subscribe, then delivers QUIET_MS after the last of them', async () => {
    admit('first');
    await clock.advance(200);
    warmUp.activity();
    await clock.advance(200);
    warmUp.activity();
    await clock.advance(QUIET_MS - 1);
    expect(delivered).toEqual([]);
    await clock.advance(1);
    expect(delivered).toEqual(['first']);
  });

  it('holds no message longer than WARM_UP_MS after the connection, however busy the tabs are', async () => {
    admit('first');
    for (let t = 0; t < WARM_UP_MS - 100; t += 100) {
      await clock.advance(100);
      warmUp.activity();
    }
    await clock.advance(100);
    expect(delivered).toEqual(['first']);
  });

  it('passes messages at once once warm', async () => {
    await clock.advance(QUIET_MS);
    admit('later');
    expect(delivered).toEqual(['later']);
  });

  it('hands over what waits when the connection goes (flush)', () => {
    admit('first');
    warmUp.flush();
    expect(delivered).toEqual(['first']);
  });
});
