import { InvalidArgumentError, type MqttError } from '../../lib/errors.js';
import { resolveOptions } from '../../lib/options/options.js';
import type { ClientOptions } from '../../lib/options/client-options.js';
import type { ConnectionState } from '../../lib/connection/connection-state.js';
import { accepting } from '../helpers/scripted-broker.js';
import { connected, flush, harness, type Harness } from './harness.js';

const base: ClientOptions = { keepalive: 0, connectTimeout: 30_000 };

/** The broker's port is closed: every transport fails before it opens. */
function refuseTcp(h: Harness): void {
  h.broker.last.fail(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1883'), { code: 'ECONNREFUSED' }));
}

/** A client whose transports fail until told otherwise. */
function unreachable(client: ClientOptions): Promise<Harness> {
  return harness({ client: { ...base, ...client }, broker: { autoOpen: false } });
}

function reconnecting(h: Harness): Extract<ConnectionState, { status: 'reconnecting' }> {
  const state = h.client.state;
  if (state.status !== 'reconnecting') throw new Error(`expected reconnecting, got ${state.status}`);
  return state;
}

/**
 * Fails the current attempt `times` times and returns the delay chosen after each failure,
 * checking that the next transport opens exactly that long after the failure, not a tick earlier.
 */
async function delaysOfFailures(h: Harness, times: number): Promise<number[]> {
  const delays: number[] = [];
  for (let i = 0; i < times; i++) {
    refuseTcp(h);
    const { delayMs } = reconnecting(h);
    delays.push(delayMs);
    const opened = h.broker.connections.length;
    if (delayMs > 0) {
      await h.clock.advance(delayMs - 1);
      expect(h.broker.connections).toHaveLength(opened);
    }
    await h.clock.advance(delayMs > 0 ? 1 : 0);
    expect(h.broker.connections).toHaveLength(opened + 1);
  }
  return delays;
}

describe('reconnect backoff', () => {
  it('doubles the delay after every failed attempt up to maxDelay', async () => {
    const h = await unreachable({ reconnect: { initialDelay: 1000, factor: 2, maxDelay: 5000, jitter: 0 } });
    expect(await delaysOfFailures(h, 6)).toEqual([1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it('takes 1 s doubling to a 30 s cap with reconnect: true', async () => {
    const h = await unreachable({ reconnect: true });
    // The default jitter is 0.5: pin random() to 0 to see the base delays.
    const pinned = await unreachable({ reconnect: { random: () => 0 } });
    expect(await delaysOfFailures(pinned, 7)).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    expect(h.client.options.reconnect).toMatchObject({ initialDelay: 1000, maxDelay: 30_000, factor: 2, jitter: 0.5, maxAttempts: Infinity, resetAfter: 10_000 });
  });

  it('keeps every jittered delay within [base * (1 - jitter), base]', async () => {
    const randoms = [0, 0.5, 0.9999, 0.25, 0.75, 0.1, 0.9];
    let i = 0;
    const h = await unreachable({ reconnect: { initialDelay: 1000, maxDelay: 8000, jitter: 0.5, random: () => randoms[i++]! } });
    const delays = await delaysOfFailures(h, randoms.length);
    // base 1000, 2000, 4000, 8000, 8000, 8000, 8000
    expect(delays).toEqual([1000, 1500, 2000, 7000, 5000, 7600, 4400]);
    const bases = [1000, 2000, 4000, 8000, 8000, 8000, 8000];
    delays.forEach((delay, n) => {
      expect(delay).toBeGreaterThanOrEqual(bases[n]! / 2);
      expect(delay).toBeLessThanOrEqual(bases[n]!);
    });
  });

  it('carries the attempt number, the delay and the cause in the reconnecting state', async () => {
    const h = await unreachable({ reconnect: { initialDelay: 100, jitter: 0 } });
    refuseTcp(h);
    expect(h.client.state).toMatchObject({ status: 'reconnecting', attempt: 2, delayMs: 100 });
    expect((reconnecting(h).cause as MqttError).kind).toBe('ERR_TRANSPORT');
    await h.clock.advance(100);
    refuseTcp(h);
    expect(h.client.state).toMatchObject({ status: 'reconnecting', attempt: 3, delayMs: 200 });
  });

  it('starts again from initialDelay after a connection that stayed up resetAfter ms', async () => {
    const h = await harness({
      client: { ...base, reconnect: { initialDelay: 1000, jitter: 0, resetAfter: 10_000 } },
      broker: { autoConnack: true },
    });
    h.broker.last.close();
    expect(reconnecting(h).delayMs).toBe(1000);
    await h.clock.advance(1000);
    h.broker.last.close();
    expect(reconnecting(h).delayMs).toBe(2000);
    await h.clock.advance(2000);
    expect(h.client.state.status).toBe('connected');
    await h.clock.advance(10_000);
    h.broker.last.close();
    expect(reconnecting(h).delayMs).toBe(1000);
  });

  it('keeps backing off when the connection drops before resetAfter', async () => {
    const h = await harness({
      client: { ...base, reconnect: { initialDelay: 1000, jitter: 0, resetAfter: 10_000 } },
      broker: { autoConnack: true },
    });
    h.broker.last.close();
    await h.clock.advance(1000);
    h.broker.last.close();
    await h.clock.advance(2000);
    await h.clock.advance(9999);
    h.broker.last.close();
    expect(reconnecting(h).delayMs).toBe(4000);
  });

  it('goes offline with the last cause and an ERR_RECONNECT_EXHAUSTED error after maxAttempts retries', async () => {
    const h = await unreachable({ reconnect: { initialDelay: 100, jitter: 0, maxAttempts: 2 } });
    expect(await delaysOfFailures(h, 2)).toEqual([100, 200]);
    refuseTcp(h);
    expect(h.client.state.status).toBe('offline');
    const cause = (h.client.state as { cause?: MqttError }).cause;
    expect(cause?.kind).toBe('ERR_TRANSPORT');
    const last = h.errors().at(-1)!;
    expect(last.code).toBe('ERR_RECONNECT_EXHAUSTED');
    expect(last.message).toMatch(/after 2 attempts/);
    expect(last.cause).toBe(cause);
    expect(h.eventLog().slice(-4)).toEqual(['error:ERR_TRANSPORT', 'close', 'error:ERR_RECONNECT_EXHAUSTED', 'offline']);
    expect(h.clock.pendingTimers).toBe(0);
    await h.clock.advance(3600_000);
    expect(h.broker.connections).toHaveLength(3);
  });

  it('starts a fresh backoff when reconnect() is called after giving up', async () => {
    const h = await unreachable({ reconnect: { initialDelay: 100, jitter: 0, maxAttempts: 1 } });
    await delaysOfFailures(h, 1);
    refuseTcp(h);
    expect(h.client.state.status).toBe('offline');
    h.client.reconnect();
    expect(await delaysOfFailures(h, 1)).toEqual([100]);
  });

  it('never retries with maxAttempts 0', async () => {
    const h = await unreachable({ reconnect: { maxAttempts: 0 } });
    refuseTcp(h);
    expect(h.client.state.status).toBe('offline');
    expect(h.eventLog()).toEqual(['error:ERR_TRANSPORT', 'close', 'error:ERR_RECONNECT_EXHAUSTED', 'offline']);
  });

  it('uses reconnectPeriod as the first delay of a reconnect policy that sets no initialDelay', async () => {
    const h = await unreachable({ reconnectPeriod: 500, reconnect: { jitter: 0 } });
    expect(await delaysOfFailures(h, 3)).toEqual([500, 1000, 2000]);
  });

  it('lets an explicit initialDelay win over reconnectPeriod', async () => {
    const h = await unreachable({ reconnectPeriod: 500, reconnect: { initialDelay: 50, jitter: 0 } });
    expect(await delaysOfFailures(h, 2)).toEqual([50, 100]);
  });

  describe('MQTT.js compatibility', () => {
    it('waits the fixed reconnectPeriod every time, forever, when only reconnectPeriod is set', async () => {
      const h = await unreachable({ reconnectPeriod: 3000 });
      expect(await delaysOfFailures(h, 8)).toEqual(Array(8).fill(3000));
      expect(h.client.options.reconnect).toBeUndefined();
    });

    it('waits the default 1000 ms every time when neither option is set', async () => {
      const h = await unreachable({});
      expect(await delaysOfFailures(h, 4)).toEqual([1000, 1000, 1000, 1000]);
    });

    it('treats reconnect: false as no policy', async () => {
      const h = await unreachable({ reconnectPeriod: 700, reconnect: false });
      expect(await delaysOfFailures(h, 3)).toEqual([700, 700, 700]);
    });

    it('keeps the fixed period after a long connection (nothing to reset)', async () => {
      const h = await connected({ client: { ...base, reconnectPeriod: 2000 } });
      await h.clock.advance(60_000);
      h.broker.last.close();
      expect(reconnecting(h).delayMs).toBe(2000);
    });

    it('does not reconnect when reconnectPeriod is 0, even with a reconnect policy', async () => {
      const h = await connected({ client: { ...base, reconnectPeriod: 0, reconnect: true } });
      h.broker.last.close();
      expect(h.client.state.status).toBe('offline');
      expect(h.eventLog()).toEqual(['connect', 'close']);
      expect(h.clock.pendingTimers).toBe(0);
      await h.clock.advance(3600_000);
      expect(h.broker.connections).toHaveLength(1);
    });
  });

  describe('reconnectOnConnackError', () => {
    const refuse = (h: Harness, code: number) => h.broker.last.reply({ cmd: 'connack', sessionPresent: false, returnCode: code });

    it('keeps reconnecting with the backoff after a refusal no retry can fix', async () => {
      const h = await harness({ client: { ...base, reconnectOnConnackError: true, reconnect: { initialDelay: 100, jitter: 0 } } });
      const delays: number[] = [];
      for (let i = 0; i < 3; i++) {
        refuse(h, 4); // bad user name or password
        delays.push(reconnecting(h).delayMs);
        await h.clock.advance(delays[i]!);
        await flush();
      }
      expect(delays).toEqual([100, 200, 400]);
      expect(h.broker.connections).toHaveLength(4);
      expect(h.errors().map((e) => e.kind)).toEqual(['ERR_CONNACK', 'ERR_CONNACK', 'ERR_CONNACK']);
      h.broker.last.reply(accepting());
      expect(h.client.state.status).toBe('connected');
    });

    it('reconnects after the fixed reconnectPeriod without a policy, as MQTT.js does', async () => {
      const h = await harness({ client: { ...base, reconnectPeriod: 1500, reconnectOnConnackError: true } });
      refuse(h, 5);
      expect(h.client.state).toMatchObject({ status: 'reconnecting', delayMs: 1500 });
      await h.clock.advance(1500);
      expect(h.broker.connections).toHaveLength(2);
    });

    it('still goes offline on such a refusal by default', async () => {
      const h = await harness({ client: { ...base, reconnect: true } });
      refuse(h, 4);
      expect(h.client.state.status).toBe('offline');
      expect(h.clock.pendingTimers).toBe(0);
    });
  });

  describe('options', () => {
    it.each([
      [{ reconnect: { jitter: 2 } }, /reconnect jitter/],
      [{ reconnect: { factor: 0.5 } }, /reconnect factor/],
      [{ reconnect: { maxDelay: 2 ** 31 } }, /reconnect maxDelay/],
      [{ reconnect: { maxAttempts: -1 } }, /reconnect maxAttempts/],
      [{ reconnect: { random: 0.5 } }, /reconnect.random/],
      [{ reconnect: 'yes' }, /reconnect must be/],
      [{ beforeConnect: 'token' }, /beforeConnect must be a function/],
    ])('throws an InvalidArgumentError for %j', (options, message) => {
      expect(() => resolveOptions(undefined, options as ClientOptions)).toThrow(InvalidArgumentError);
      expect(() => resolveOptions(undefined, options as ClientOptions)).toThrow(message);
    });

    it('resolves to the same policy when resolved twice (connect() then new MqttClient())', () => {
      const once = resolveOptions(undefined, { reconnectPeriod: 250, reconnect: { maxAttempts: 5 } });
      const twice = resolveOptions(undefined, once);
      expect(twice.reconnect).toEqual(once.reconnect);
      expect(once.reconnect).toMatchObject({ initialDelay: 250, maxAttempts: 5 });
    });
  });
});
