import type { Observable } from 'rxjs';
import { asTransportFactory, MqttClient } from '../../lib/compat/compat.js';
import { InvalidArgumentError, QueueFullError, type MqttError } from '../../lib/errors.js';
import { resolveOptions } from '../../lib/options/options.js';
import type { ClientOptions } from '../../lib/options/client-options.js';
import type { ClientEvent } from '../../lib/connection/connection-state.js';
import { scriptedBroker } from '../helpers/scripted-broker.js';
import { flush, VirtualClock } from '../helpers/virtual-clock.js';
import { harness, type Harness } from './harness.js';

const client: ClientOptions = { keepalive: 0, connectTimeout: 30_000, reconnectPeriod: 1000 };

function outcome<T>(observable: Observable<T>): string[] {
  const log: string[] = [];
  observable.subscribe({ next: () => log.push('next'), complete: () => log.push('complete'), error: (e: MqttError) => log.push(e.kind) });
  return log;
}

/** A connected client whose broker then drops it: it is reconnecting, 1000 ms from its next attempt. */
async function offline(offlineQueue: ClientOptions['offlineQueue']): Promise<Harness> {
  const h = await harness({ client: { ...client, offlineQueue }, broker: { autoConnack: true } });
  h.broker.last.close();
  h.events.length = 0;
  return h;
}

function publishedPayloads(h: Harness): string[] {
  return h.broker.connections.flatMap((c) => c.packets('publish')).map((p) => p.payload.toString());
}

function droppedEvents(h: Harness): Extract<ClientEvent, { type: 'dropped' }>[] {
  return h.events.flatMap((e) => (e.type === 'dropped' ? [e] : []));
}

describe('the bounded offline queue', () => {
  it("with overflow 'error', fails the new publish with QueueFullError, reports it as dropped and as an error, and sends the others after reconnecting", async () => {
    const h = await offline({ maxMessages: 2, overflow: 'error' });
    const first = outcome(h.client.publish$('t', 'one', { qos: 1 }));
    const second = outcome(h.client.publish$('t', 'two', { qos: 0 }));
    const third = outcome(h.client.publish$('t', 'three', { qos: 2 }));
    await flush();
    expect(third).toEqual(['ERR_QUEUE_FULL']);
    expect(h.eventLog()).toEqual(['dropped', 'error:ERR_QUEUE_FULL']);
    const [dropped] = droppedEvents(h);
    expect(dropped).toMatchObject({ topic: 't', qos: 2, bytes: 5, policy: 'error' });
    expect(dropped!.error).toBeInstanceOf(QueueFullError);
    expect(dropped!.error).toMatchObject({ code: 'ERR_QUEUE_FULL', topic: 't', limit: 'maxMessages', outcome: 'refused' });
    expect(h.errors()[0]).toBe(dropped!.error);
    await h.clock.advance(1000);
    expect(publishedPayloads(h)).toEqual(['one', 'two']);
    expect(second).toEqual(['next', 'complete']);
    expect(first).toEqual([]); // awaiting its PUBACK
  });

  it("with overflow 'drop-oldest', fails the oldest waiting publish and reports it as dropped, not as an error", async () => {
    const h = await offline({ maxBytes: 6, overflow: 'drop-oldest' });
    const oldest = outcome(h.client.publish$('old', 'abc', { qos: 1 }));
    const kept = outcome(h.client.publish$('t', 'def'));
    const newest = outcome(h.client.publish$('t', 'ghi'));
    await flush();
    expect(oldest).toEqual(['ERR_QUEUE_FULL']);
    expect(h.eventLog()).toEqual(['dropped']);
    expect(droppedEvents(h)[0]).toMatchObject({ topic: 'old', qos: 1, bytes: 3, policy: 'drop-oldest', error: { limit: 'maxBytes' } });
    await h.clock.advance(1000);
    expect(publishedPayloads(h)).toEqual(['def', 'ghi']);
    expect([kept, newest]).toEqual([
      ['next', 'complete'],
      ['next', 'complete'],
    ]);
  });

  it("with overflow 'drop-newest', fails the new publish and reports it as dropped, not as an error", async () => {
    const h = await offline({ maxMessages: 1, overflow: 'drop-newest' });
    h.client.publish$('t', 'kept').subscribe();
    const refused = outcome(h.client.publish$('t', 'refused'));
    await flush();
    expect(refused).toEqual(['ERR_QUEUE_FULL']);
    expect(h.eventLog()).toEqual(['dropped']);
    await h.clock.advance(1000);
    expect(publishedPayloads(h)).toEqual(['kept']);
  });

  it('bounds publishes issued before the first CONNACK', async () => {
    const h = await harness({ client: { ...client, offlineQueue: { maxMessages: 1 } } });
    h.client.publish$('t', 'a').subscribe();
    const refused = outcome(h.client.publish$('t', 'b'));
    await flush();
    expect(refused).toEqual(['ERR_QUEUE_FULL']);
    expect(h.eventLog()).toEqual(['dropped', 'error:ERR_QUEUE_FULL']);
  });

  it('leaves a connected client unbounded', async () => {
    const h = await harness({ client: { ...client, offlineQueue: { maxMessages: 1, maxBytes: 1 } }, broker: { autoConnack: true } });
    const results = ['a', 'bb', 'ccc'].map((payload) => outcome(h.client.publish$('t', payload)));
    await flush();
    expect(results).toEqual([
      ['next', 'complete'],
      ['next', 'complete'],
      ['next', 'complete'],
    ]);
    expect(droppedEvents(h)).toEqual([]);
  });

  it("calls the MQTT.js publish callback with the QueueFullError and emits 'dropped' with it", async () => {
    const clock = new VirtualClock();
    const broker = scriptedBroker({ autoConnack: true });
    const mqtt = new MqttClient(asTransportFactory(broker.factory), {
      ...client,
      clientId: 'compat',
      scheduler: clock.scheduler,
      offlineQueue: { maxMessages: 1, overflow: 'drop-oldest' },
    });
    await flush();
    broker.last.close();
    const errors: (Error | null | undefined)[] = [];
    const dropped: QueueFullError[] = [];
    mqtt.on('dropped', (error: QueueFullError) => dropped.push(error));
    mqtt.on('error', (error: Error) => errors.push(error));
    mqtt.publish('t', 'first', { qos: 1 }, (error) => errors.push(error));
    mqtt.publish('t', 'second', { qos: 1 });
    await flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(QueueFullError);
    expect(dropped).toEqual([errors[0]]);
    await mqtt.endAsync(true);
  });

  describe('the option', () => {
    it('resolves to no bound by default, and when both limits are Infinity', () => {
      expect(resolveOptions(undefined, {}).offlineQueue).toBeUndefined();
      expect(resolveOptions(undefined, { offlineQueue: {} }).offlineQueue).toBeUndefined();
      expect(resolveOptions(undefined, { offlineQueue: { overflow: 'drop-oldest' } }).offlineQueue).toBeUndefined();
    });

    it("defaults the missing limit to Infinity and overflow to 'error'", () => {
      expect(resolveOptions(undefined, { offlineQueue: { maxBytes: 1024 } }).offlineQueue).toEqual({ maxMessages: Infinity, maxBytes: 1024, overflow: 'error' });
      const resolved = resolveOptions(undefined, { offlineQueue: { maxMessages: 0, overflow: 'drop-newest' } });
      expect(resolved.offlineQueue).toEqual({ maxMessages: 0, maxBytes: Infinity, overflow: 'drop-newest' });
      expect(resolveOptions(undefined, resolved).offlineQueue).toEqual(resolved.offlineQueue);
    });

    it.each([
      ['a number', 5],
      ['a negative maxMessages', { maxMessages: -1 }],
      ['a fractional maxBytes', { maxBytes: 1.5 }],
      ['a NaN limit', { maxMessages: NaN }],
      ['a string limit', { maxBytes: '10' }],
      ['an unknown overflow policy', { maxMessages: 1, overflow: 'drop-random' }],
    ])('throws InvalidArgumentError for %s', (_name, offlineQueue) => {
      expect(() => resolveOptions(undefined, { offlineQueue } as never)).toThrow(InvalidArgumentError);
    });
  });
});
