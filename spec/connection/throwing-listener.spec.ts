// An application listener or callback that throws in the middle of the client's work: the rest of
// that work still happens (settles, deliveries, events), and the error is reported as unhandled
// (RxJS's config.onUnhandledError here), not swallowed and not blamed on the broker.
import { config } from 'rxjs';
import type { IPublishPacket } from '../../lib/protocol/codec.js';
import { asTransportFactory, MqttClient } from '../../lib/compat/compat.js';
import { accepting, scriptedBroker } from '../helpers/scripted-broker.js';
import { flush, VirtualClock } from '../helpers/virtual-clock.js';
import { HANG_DEADLINE_MS } from '../helpers/wait.js';

describe('a throwing application listener', () => {
  /** Resolves once `n` errors were reported as unhandled (RxJS may report them on a later turn). */
  let reported: (n: number) => Promise<unknown[]>;
  beforeEach(() => {
    const seen: unknown[] = [];
    const waiters: Array<{ n: number; resolve: (errors: unknown[]) => void }> = [];
    config.onUnhandledError = (error) => {
      seen.push(error);
      for (const w of waiters.filter((w) => seen.length >= w.n)) w.resolve(seen);
    };
    reported = (n) =>
      seen.length >= n
        ? Promise.resolve(seen)
        : new Promise((resolve, reject) => {
            waiters.push({ n, resolve });
            setTimeout(() => reject(new Error(`only ${seen.length} of ${n} errors reported`)), HANG_DEADLINE_MS).unref();
          });
  });
  afterEach(() => {
    config.onUnhandledError = null;
  });

  function facade() {
    const clock = new VirtualClock();
    const broker = scriptedBroker({ protocolVersion: 4 });
    const client = new MqttClient(asTransportFactory(broker.factory), { keepalive: 0, reconnectPeriod: 1000, scheduler: clock.scheduler });
    return { client, broker, clock };
  }

  it("still settles the publishes queued before CONNACK when a 'connect' listener throws", async () => {
    const { client, broker } = facade();
    const boom = new Error('listener bug');
    client.on('connect', () => {
      throw boom;
    });
    const settled: string[] = [];
    client.publish('a', 'x', { qos: 0 }, (error) => settled.push(error ? `error:${error.message}` : 'ok'));
    await flush();
    broker.last.reply(accepting());
    await flush();
    expect(settled).toEqual(['ok']);
    expect(await reported(1)).toEqual([boom]);
    expect(client.connected).toBe(true);
    expect(broker.last.packets('publish')).toHaveLength(1);
  });

  it('still calls the next publish callbacks when one publish callback throws', async () => {
    const { client, broker } = facade();
    const settled: string[] = [];
    client.publish('a', 'x', { qos: 0 }, () => {
      settled.push('first');
      throw new Error('callback bug');
    });
    client.publish('a', 'y', { qos: 0 }, () => settled.push('second'));
    client.publish('a', 'z', { qos: 1 }, () => settled.push('third'));
    await flush();
    broker.last.reply(accepting());
    await flush();
    expect(settled).toEqual(['first', 'second']);
    broker.last.reply({ cmd: 'puback', messageId: 1 });
    await flush();
    expect(settled).toEqual(['first', 'second', 'third']);
    expect((await reported(1)).map((e) => (e as Error).message)).toEqual(['callback bug']);
    expect(client.connected).toBe(true);
  });

  it("keeps delivering and acknowledging when a 'message' listener throws, and does not drop the connection", async () => {
    const { client, broker } = facade();
    await flush();
    broker.last.reply(accepting());
    await flush();
    const seen: string[] = [];
    client.on('message', (_topic, payload) => {
      seen.push(payload.toString());
      if (payload.toString() === 'first') throw new Error('handler bug');
    });
    const publish = (messageId: number, payload: string): IPublishPacket => ({ cmd: 'publish', topic: 't', payload: Buffer.from(payload), qos: 1, messageId, retain: false, dup: false });
    broker.last.reply(publish(1, 'first'));
    broker.last.reply(publish(2, 'second'));
    await flush();
    expect(seen).toEqual(['first', 'second']);
    expect(broker.last.packets('puback').map((p) => p.messageId)).toEqual([1, 2]);
    expect(client.connected).toBe(true);
    expect((await reported(1)).map((e) => (e as Error).message)).toEqual(['handler bug']);
  });

  it("still goes offline and reconnects when a 'close' listener throws", async () => {
    const { client, broker, clock } = facade();
    await flush();
    broker.last.reply(accepting());
    await flush();
    const events: string[] = [];
    client.on('close', () => {
      events.push('close');
      throw new Error('close listener bug');
    });
    client.on('offline', () => events.push('offline'));
    client.on('reconnect', () => events.push('reconnect'));
    broker.last.close();
    await flush();
    expect(events).toEqual(['close', 'offline']);
    expect(client.reconnecting).toBe(true);
    await clock.advance(1000);
    expect(events).toEqual(['close', 'offline', 'reconnect']);
    expect(broker.connections).toHaveLength(2);
    expect((await reported(1)).map((e) => (e as Error).message)).toEqual(['close listener bug']);
  });
});
