import { format, inspect } from 'node:util';
import { RxMqttClient } from '../../lib/client/client.js';
import type { BeforeConnect, BeforeConnectContext } from '../../lib/connection/before-connect.js';
import { InvalidArgumentError, type MqttError } from '../../lib/errors.js';
import { resolveOptions } from '../../lib/options/options.js';
import type { ClientOptions } from '../../lib/options/client-options.js';
import { transportFor } from '../../lib/transport/select.js';
import type { TransportFactory, TransportTarget } from '../../lib/transport/transport.js';
import { accepting, scriptedBroker } from '../helpers/scripted-broker.js';
import { VirtualClock } from '../helpers/virtual-clock.js';
import { flush, harness, type Harness } from './harness.js';

// A username: MQTT 3.1.1 allows no password without one [MQTT-3.1.2-22].
const base: ClientOptions = { keepalive: 0, connectTimeout: 30_000, username: 'svc', reconnect: { initialDelay: 1000, jitter: 0 } };

/** A hook that records its contexts and answers with `answer(context)`. */
function recordingHook(answer: (context: BeforeConnectContext) => ReturnType<BeforeConnect>) {
  const contexts: BeforeConnectContext[] = [];
  const hook: BeforeConnect = (context) => {
    contexts.push(context);
    return answer(context);
  };
  return { hook, contexts };
}

function connectPassword(h: Harness, index: number): string | undefined {
  return h.broker.connections[index]?.packets('connect')[0]?.password?.toString();
}

/** A promise the test settles by hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('beforeConnect', () => {
  it('sends the credentials it resolves with in the CONNECT of each attempt', async () => {
    const { hook, contexts } = recordingHook(async ({ attempt }) => ({ username: 'svc', password: `token-${attempt}` }));
    const h = await harness({ client: { ...base, username: 'static', password: 'static-pw', beforeConnect: hook }, broker: { autoConnack: true } });
    await flush();
    expect(h.client.state.status).toBe('connected');
    expect(h.broker.connections[0]?.packets('connect')[0]?.username).toBe('svc');
    expect(connectPassword(h, 0)).toBe('token-1');
    h.broker.last.close();
    await h.clock.advance(1000);
    await flush();
    expect(connectPassword(h, 1)).toBe('token-2');
    expect(contexts.map((c) => c.attempt)).toEqual([1, 2]);
    expect(contexts[0]?.cause).toBeUndefined();
    expect((contexts[1]?.cause as MqttError).code).toBe('ERR_CONNECTION_CLOSED');
  });

  it('opens the transport only once the hook has resolved', async () => {
    const answer = deferred<{ password: string }>();
    const h = await harness({ client: { ...base, beforeConnect: () => answer.promise }, broker: { autoConnack: true } });
    await flush();
    expect(h.broker.connections).toHaveLength(0);
    expect(h.client.state).toEqual({ status: 'connecting', attempt: 1 });
    answer.resolve({ password: 'fresh' });
    await flush();
    expect(connectPassword(h, 0)).toBe('fresh');
    expect(h.client.state.status).toBe('connected');
  });

  it('applies an answer returned synchronously without waiting a turn', async () => {
    const h = await harness({ client: { ...base, beforeConnect: () => ({ password: 'sync' }) }, connect: false });
    h.client.connect();
    expect(h.broker.connections).toHaveLength(1);
    await flush();
    expect(connectPassword(h, 0)).toBe('sync');
  });

  it('keeps the previous credentials when the hook returns nothing', async () => {
    let calls = 0;
    const h = await harness({
      client: { ...base, password: 'static', beforeConnect: async () => (++calls === 1 ? { password: 'first' } : undefined) },
      broker: { autoConnack: true },
    });
    await flush();
    h.broker.last.close();
    await h.clock.advance(1000);
    await flush();
    expect([connectPassword(h, 0), connectPassword(h, 1)]).toEqual(['first', 'first']);
  });

  it('reports a rejection as ERR_BEFORE_CONNECT, then retries after the backoff', async () => {
    const failure = new Error('token service down');
    let calls = 0;
    const h = await harness({
      client: { ...base, beforeConnect: async () => (++calls === 1 ? Promise.reject(failure) : { password: 'ok' }) },
      broker: { autoConnack: true },
    });
    await flush();
    expect(h.broker.connections).toHaveLength(0);
    const [error] = h.errors();
    expect(error?.code).toBe('ERR_BEFORE_CONNECT');
    expect(error?.cause).toBe(failure);
    expect(h.client.state).toMatchObject({ status: 'reconnecting', attempt: 2, delayMs: 1000, cause: error });
    expect(h.eventLog()).toEqual(['error:ERR_BEFORE_CONNECT', 'close', 'offline']);
    await h.clock.advance(1000);
    await flush();
    expect(h.client.state.status).toBe('connected');
    expect(connectPassword(h, 0)).toBe('ok');
    expect(h.eventLog()).toEqual(['error:ERR_BEFORE_CONNECT', 'close', 'offline', 'reconnect', 'connect']);
  });

  it('counts failed hooks in the backoff and gives up after maxAttempts', async () => {
    const h = await harness({
      client: { ...base, reconnect: { initialDelay: 100, jitter: 0, maxAttempts: 2 }, beforeConnect: () => Promise.reject(new Error('no')) },
    });
    await flush();
    expect(h.client.state).toMatchObject({ delayMs: 100 });
    await h.clock.advance(100);
    expect(h.client.state).toMatchObject({ delayMs: 200 });
    await h.clock.advance(200);
    expect(h.client.state.status).toBe('offline');
    expect(h.errors().map((e) => e.code)).toEqual(['ERR_BEFORE_CONNECT', 'ERR_BEFORE_CONNECT', 'ERR_BEFORE_CONNECT', 'ERR_RECONNECT_EXHAUSTED']);
    expect(h.broker.connections).toHaveLength(0);
  });

  it('reports a hook that throws synchronously the same way', async () => {
    const h = await harness({
      client: {
        ...base,
        beforeConnect: () => {
          throw new TypeError('bug in hook');
        },
      },
    });
    expect(h.errors().map((e) => [e.code, (e.cause as Error).message])).toEqual([['ERR_BEFORE_CONNECT', 'bug in hook']]);
    expect(h.client.state.status).toBe('reconnecting');
  });

  it('reports an unusable answer as ERR_BEFORE_CONNECT caused by an InvalidArgumentError', async () => {
    const h = await harness({ client: { ...base, beforeConnect: async () => ({ password: 42 as unknown as string }) } });
    await flush();
    const [error] = h.errors();
    expect(error?.code).toBe('ERR_BEFORE_CONNECT');
    expect(error?.cause).toBeInstanceOf(InvalidArgumentError);
    expect(h.broker.connections).toHaveLength(0);
  });

  it('leaves no unhandled rejection behind', async () => {
    // Jest fails the test that was running when a rejection goes unhandled, so waiting a macrotask
    // after a few rejected attempts is the assertion.
    const h = await harness({ client: { ...base, beforeConnect: () => Promise.reject(new Error('nope')) } });
    await h.clock.advance(5000);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(h.errors().map((e) => e.code)).toEqual(Array(3).fill('ERR_BEFORE_CONNECT')); // at 0, 1 s and 3 s
  });

  it('fails the attempt with ERR_CONNECT_TIMEOUT when the hook does not answer within connectTimeout', async () => {
    let calls = 0;
    const h = await harness({
      client: { ...base, connectTimeout: 5000, beforeConnect: () => (++calls === 1 ? new Promise(() => undefined) : { password: 'late' }) },
      broker: { autoConnack: true },
    });
    await h.clock.advance(4999);
    expect(h.errors()).toEqual([]);
    await h.clock.advance(1);
    expect(h.errors().map((e) => e.code)).toEqual(['ERR_CONNECT_TIMEOUT']);
    expect(h.client.state).toMatchObject({ status: 'reconnecting', delayMs: 1000 });
    await h.clock.advance(1000);
    expect(h.client.state.status).toBe('connected');
  });

  it('opens nothing when end() is called while the hook runs', async () => {
    const answer = deferred<{ password: string }>();
    const h = await harness({ client: { ...base, beforeConnect: () => answer.promise }, broker: { autoConnack: true } });
    await h.client.end();
    answer.resolve({ password: 'too late' });
    await flush();
    expect(h.broker.connections).toHaveLength(0);
    expect(h.eventLog()).toEqual(['end']);
    expect(h.client.state.status).toBe('closed');
  });

  it('reports nothing when the hook fails after end()', async () => {
    const answer = deferred<{ password: string }>();
    const h = await harness({ client: { ...base, beforeConnect: () => answer.promise } });
    await h.client.end();
    answer.reject(new Error('late failure'));
    await flush();
    expect(h.eventLog()).toEqual(['end']);
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('ignores the answer of an attempt that reconnect() replaced, and asks again', async () => {
    const answers = [deferred<{ password: string }>(), deferred<{ password: string }>()];
    const { hook, contexts } = recordingHook(({ attempt }) => answers[attempt - 1]!.promise);
    const h = await harness({ client: { ...base, beforeConnect: hook }, broker: { autoConnack: true } });
    h.client.reconnect();
    answers[0]!.resolve({ password: 'stale' });
    await flush();
    expect(h.broker.connections).toHaveLength(0);
    answers[1]!.resolve({ password: 'current' });
    await flush();
    expect(h.broker.connections).toHaveLength(1);
    expect(connectPassword(h, 0)).toBe('current');
    expect(contexts.map((c) => c.attempt)).toEqual([1, 2]);
  });

  it('connects to the host and port of the URL it returns, with the URL credentials', async () => {
    const clock = new VirtualClock();
    const broker = scriptedBroker({ autoConnack: true });
    const targets: (TransportTarget | undefined)[] = [];
    const factory: TransportFactory = (handlers, target) => {
      targets.push(target);
      return broker.factory(handlers);
    };
    let calls = 0;
    const options = resolveOptions('mqtt://primary.example:1883', {
      ...base,
      scheduler: clock.scheduler,
      beforeConnect: async () => (++calls === 1 ? undefined : { url: 'mqtts://bob:s3cret@standby.example' }),
    });
    const client = new RxMqttClient(options, factory);
    client.connect();
    await flush();
    broker.last.close();
    await clock.advance(1000);
    await flush();
    expect(targets).toEqual([undefined, { host: 'standby.example', port: 8883, protocol: 'mqtts' }]);
    const connect = broker.last.packets('connect')[0];
    expect([connect?.username, connect?.password?.toString()]).toEqual(['bob', 's3cret']);
    expect(client.state.status).toBe('connected');
  });

  it('lets the built-in transports connect to the target instead of the configured broker', () => {
    // A simulated WeChat API records where the wx:// transport opens its socket, without a network.
    const urls: string[] = [];
    const noop = () => undefined;
    const wx = { connectSocket: ({ url }: { url: string }) => (urls.push(url), { onOpen: noop, onMessage: noop, onClose: noop, onError: noop, send: noop, close: noop }) };
    const factory = transportFor(resolveOptions('mqtt://primary.example', { wx }));
    const handlers = { onOpen: noop, onData: noop, onClose: noop };
    factory(handlers, { host: 'elsewhere', port: 8083, protocol: 'wx' }).destroy();
    expect(urls).toEqual(['ws://elsewhere:8083/']);
  });

  describe('secrets', () => {
    const OLD = 'old-T0ken-S3cret';
    const NEW = 'new-T0ken-S3cret';

    it('never shows the previous password to the hook, in errors, or in the log', async () => {
      const lines: string[] = [];
      const log = (...args: unknown[]) => lines.push(format(...args) + inspect(args, { depth: 10 }));
      let calls = 0;
      const { hook, contexts } = recordingHook(async () => {
        calls++;
        if (calls === 3) throw new Error('refresh failed');
        return { password: calls === 1 ? OLD : NEW };
      });
      const h = await harness({ client: { ...base, protocolVersion: 5, password: 'configured', beforeConnect: hook, reconnectOnConnackError: true, log } });
      await flush();
      h.broker.last.reply({ cmd: 'connack', sessionPresent: false, reasonCode: 0x86 }); // bad password
      await h.clock.advance(1000);
      await flush();
      expect(connectPassword(h, 1)).toBe(NEW);
      h.broker.last.reply(accepting());
      h.broker.last.close();
      await h.clock.advance(2000); // hook fails
      await h.clock.advance(4000);
      await flush();
      expect(contexts.map((c) => (c.cause as MqttError | undefined)?.kind)).toEqual([undefined, 'ERR_CONNACK', 'ERR_CONNECTION_CLOSED', 'ERR_BEFORE_CONNECT']);
      const seen = [
        ...contexts.map((c) => inspect(c, { depth: 10 })),
        ...h.errors().map((e) => `${e.message}\n${e.stack}`),
        ...lines,
      ].join('\n');
      expect(seen).not.toContain(OLD);
      expect(seen).not.toContain(Buffer.from(OLD).toString('hex'));
      expect(lines.join('\n')).not.toContain(NEW);
      expect(lines.some((line) => line.includes('sending connect'))).toBe(true);
    });

    it('keeps the message of a failed hook out of the error message (it stays in cause)', async () => {
      const h = await harness({ client: { ...base, beforeConnect: () => Promise.reject(new Error(`cannot refresh ${OLD}`)) } });
      await flush();
      const [error] = h.errors();
      expect(error?.message).not.toContain(OLD);
      expect((error?.cause as Error).message).toContain(OLD);
    });
  });
});
