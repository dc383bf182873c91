import { MqttError } from '../../lib/errors.js';
import type { Observable } from 'rxjs';
import { accepting } from '../helpers/scripted-broker.js';
import { flush, harness, strip, type Harness } from './harness.js';

const client = { keepalive: 0, connectTimeout: 30_000, reconnectPeriod: 1000 };

function outcome<T>(observable: Observable<T>): string[] {
  const log: string[] = [];
  observable.subscribe({ next: () => log.push('next'), complete: () => log.push('complete'), error: (e: MqttError) => log.push(e.kind) });
  return log;
}

/** Issues the same interleaved mix of commands; returns nothing (the packets are what matters). */
function issueMix(h: Harness): void {
  h.client.publish$('q/0', 'a', { qos: 0 }).subscribe();
  h.client.publish$('q/1', 'b', { qos: 1 }).subscribe();
  h.client.subscribe$([{ topic: 's/1', qos: 1 }]).subscribe();
  h.client.publish$('q/2', 'c', { qos: 2 }).subscribe();
  h.client.unsubscribe$(['u/1']).subscribe();
  h.client.publish$('q/0', 'd', { qos: 0, retain: true }).subscribe();
}

const mixPackets = [
  { cmd: 'publish', topic: 'q/0', payload: 'a', qos: 0, retain: false, dup: false },
  { cmd: 'publish', topic: 'q/1', payload: 'b', qos: 1, retain: false, dup: false, messageId: 1 },
  { cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 's/1', qos: 1 }] },
  { cmd: 'publish', topic: 'q/2', payload: 'c', qos: 2, retain: false, dup: false, messageId: 3 },
  { cmd: 'unsubscribe', messageId: 4, unsubscriptions: ['u/1'] },
  { cmd: 'publish', topic: 'q/0', payload: 'd', qos: 0, retain: true, dup: false },
];

describe('the offline queue', () => {
  it('holds commands issued before CONNACK and sends them after it, in call order', async () => {
    const h = await harness({ client });
    issueMix(h);
    await flush();
    expect(h.broker.last.commands).toEqual(['connect']);
    h.broker.last.reply(accepting());
    await flush();
    expect(strip(h.broker.last.received.slice(1))).toEqual(mixPackets);
  });

  it('holds commands issued before the transport even opens', async () => {
    const h = await harness({ client, broker: { autoOpen: false } });
    issueMix(h);
    h.broker.last.open();
    await flush();
    expect(h.broker.last.commands).toEqual(['connect']);
    h.broker.last.reply(accepting());
    await flush();
    expect(strip(h.broker.last.received.slice(1))).toEqual(mixPackets);
  });

  it('holds commands issued while reconnecting and sends them after the next CONNACK', async () => {
    const h = await harness({ client, broker: { autoConnack: true } });
    h.broker.last.close();
    issueMix(h);
    await h.clock.advance(1000);
    expect(h.broker.connections).toHaveLength(2);
    expect(h.broker.connections[0]?.commands).toEqual(['connect']);
    expect(strip(h.broker.connections[1]!.received.slice(1))).toEqual(mixPackets);
  });

  it('settles a queued QoS 0 publish only once it was written after CONNACK', async () => {
    const h = await harness({ client });
    const publish = outcome(h.client.publish$('t', 'x'));
    await flush();
    expect(publish).toEqual([]);
    h.broker.last.reply(accepting());
    await flush();
    expect(publish).toEqual(['next', 'complete']);
  });

  describe('with queueQoSZero: false', () => {
    it('rejects a QoS 0 publish issued before CONNACK with ERR_CONNECTION_CLOSED and never sends it', async () => {
      const h = await harness({ client: { ...client, queueQoSZero: false } });
      const errors: unknown[] = [];
      h.client.publish$('t', 'dropped', { qos: 0 }).subscribe({ error: (e) => errors.push(e) });
      const qos1 = outcome(h.client.publish$('t', 'kept', { qos: 1 }));
      await flush();
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(MqttError);
      expect(errors[0]).toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
      h.broker.last.reply(accepting());
      await flush();
      expect(h.broker.last.packets('publish').map((p) => p.payload.toString())).toEqual(['kept']);
      expect(qos1).toEqual([]);
    });

    it('rejects a QoS 0 publish issued while reconnecting, and sends it normally once connected', async () => {
      const h = await harness({ client: { ...client, queueQoSZero: false }, broker: { autoConnack: true } });
      h.broker.last.close();
      const offline = outcome(h.client.publish$('t', 'offline'));
      await h.clock.advance(1000);
      const online = outcome(h.client.publish$('t', 'online'));
      await flush();
      expect(offline).toEqual(['ERR_CONNECTION_CLOSED']);
      expect(online).toEqual(['next', 'complete']);
      expect(h.broker.connections.flatMap((c) => c.packets('publish')).map((p) => p.payload.toString())).toEqual(['online']);
    });
  });
});
