import type { ISubscribePacket } from '../../lib/protocol/codec.js';
import type { MqttError } from '../../lib/errors.js';
import type { Observable } from 'rxjs';
import { accepting } from '../helpers/scripted-broker.js';
import { flush, harness, strip, type Harness } from './harness.js';

const client = { keepalive: 0, connectTimeout: 30_000, reconnectPeriod: 1000, clean: false, clientId: 'resumer' };

function outcome<T>(observable: Observable<T>): string[] {
  const log: string[] = [];
  observable.subscribe({ next: () => log.push('next'), complete: () => log.push('complete'), error: (e: MqttError) => log.push(e.kind) });
  return log;
}

/** A harness whose broker answers each CONNECT with the next sessionPresent flag in `sessions`. */
function resuming(sessions: boolean[], extra = {}): Promise<Harness> {
  let i = 0;
  return harness({
    client: { ...client, ...extra },
    broker: { autoConnack: () => accepting({ sessionPresent: sessions[i++] ?? false }) },
  });
}

/** The broker drops the connection; the client reconnects after reconnectPeriod. */
async function dropAndReconnect(h: Harness): Promise<void> {
  h.broker.last.close();
  await h.clock.advance(1000);
}

/** Every filter in the SUBSCRIBE packets of connection `index`. */
function subscribedFilters(h: Harness, index: number): string[] {
  return h.broker.connections[index]!.packets('subscribe').flatMap((p: ISubscribePacket) => p.subscriptions.map((s) => s.topic));
}

describe('resuming after a drop', () => {
  it('re-sends an unacknowledged QoS 1 publish with DUP=1 and the same packet id when the session is present', async () => {
    const h = await resuming([false, true]);
    const publish = outcome(h.client.publish$('t/1', 'payload', { qos: 1 }));
    await flush();
    const [first] = h.broker.last.packets('publish');
    expect(first).toMatchObject({ messageId: 1, dup: false, qos: 1 });
    await dropAndReconnect(h);
    expect(h.broker.connections).toHaveLength(2);
    expect(strip(h.broker.connections[1]!.received.slice(1))).toEqual([
      { cmd: 'publish', topic: 't/1', payload: 'payload', qos: 1, retain: false, dup: true, messageId: 1 },
    ]);
    expect(publish).toEqual([]);
    h.broker.last.reply({ cmd: 'puback', messageId: 1 });
    await flush();
    expect(publish).toEqual(['next', 'complete']);
  });

  it('re-sends several in-flight publishes in their original order, each with its own id', async () => {
    const h = await resuming([false, true]);
    h.client.publish$('t', 'a', { qos: 1 }).subscribe();
    h.client.publish$('t', 'b', { qos: 2 }).subscribe();
    h.client.publish$('t', 'c', { qos: 1 }).subscribe();
    await flush();
    h.broker.last.reply({ cmd: 'puback', messageId: 1 });
    await dropAndReconnect(h);
    const resent = h.broker.connections[1]!.packets('publish');
    expect(resent.map((p) => [p.payload.toString(), p.messageId, p.dup])).toEqual([
      ['b', 2, true],
      ['c', 3, true],
    ]);
  });

  it('resumes a PUBREC-acknowledged QoS 2 publish with PUBREL only', async () => {
    const h = await resuming([false, true]);
    const publish = outcome(h.client.publish$('t', 'x', { qos: 2 }));
    await flush();
    h.broker.last.reply({ cmd: 'pubrec', messageId: 1 });
    await flush();
    expect(h.broker.last.commands).toEqual(['connect', 'publish', 'pubrel']);
    await dropAndReconnect(h);
    expect(strip(h.broker.connections[1]!.received.slice(1))).toEqual([{ cmd: 'pubrel', messageId: 1 }]);
    h.broker.last.reply({ cmd: 'pubcomp', messageId: 1 });
    await flush();
    expect(publish).toEqual(['next', 'complete']);
  });

  it('re-sends an unacknowledged publish with its original id but no DUP when the broker lost the session', async () => {
    const h = await resuming([false, false]);
    h.client.publish$('t', 'x', { qos: 1 }).subscribe();
    await flush();
    await dropAndReconnect(h);
    expect(strip(h.broker.connections[1]!.packets('publish'))).toEqual([
      { cmd: 'publish', topic: 't', payload: 'x', qos: 1, retain: false, dup: false, messageId: 1 },
    ]);
  });

  it('sends in-flight publishes before commands queued while offline', async () => {
    const h = await resuming([false, true]);
    h.client.publish$('t', 'inflight', { qos: 1 }).subscribe();
    await flush();
    h.broker.last.close();
    h.client.publish$('t', 'queued', { qos: 1 }).subscribe();
    await h.clock.advance(1000);
    expect(h.broker.connections[1]!.packets('publish').map((p) => [p.payload.toString(), p.messageId, p.dup])).toEqual([
      ['inflight', 1, true],
      ['queued', 2, false],
    ]);
  });

  describe('topic() subscriptions', () => {
    async function twoTopics(sessions: boolean[]): Promise<{ h: Harness; messages: string[] }> {
      const h = await resuming(sessions);
      const messages: string[] = [];
      h.client.topic('a/#', { qos: 1 }).subscribe((m) => messages.push(m.topic));
      h.client.topic('b').subscribe((m) => messages.push(m.topic));
      h.client.topic('b').subscribe((m) => messages.push(`again ${m.topic}`));
      await flush();
      // Opened in one turn: one SUBSCRIBE.
      expect(subscribedFilters(h, 0)).toEqual(['a/#', 'b']);
      h.broker.last.reply({ cmd: 'suback', messageId: 1, granted: [1, 0] });
      await flush();
      return { h, messages };
    }

    it('re-subscribes every filter once, with its options, when the broker lost the session', async () => {
      const { h } = await twoTopics([false, false]);
      await dropAndReconnect(h);
      expect(strip(h.broker.connections[1]!.received.slice(1))).toEqual([
        {
          cmd: 'subscribe',
          messageId: 2,
          subscriptions: [
            { topic: 'a/#', qos: 1 },
            { topic: 'b', qos: 0 },
          ],
        },
      ]);
    });

    it('re-subscribes once per reconnect, however many reconnects there are', async () => {
      const { h } = await twoTopics([false, false, false]);
      await dropAndReconnect(h);
      const [resubscribe] = h.broker.last.packets('subscribe');
      h.broker.last.reply({ cmd: 'suback', messageId: resubscribe!.messageId, granted: [1, 0] });
      await dropAndReconnect(h);
      expect(subscribedFilters(h, 1)).toEqual(['a/#', 'b']);
      expect(subscribedFilters(h, 2)).toEqual(['a/#', 'b']);
    });

    it('does not re-subscribe when the broker kept the session', async () => {
      const { h } = await twoTopics([false, true]);
      await dropAndReconnect(h);
      expect(h.broker.connections[1]!.commands).toEqual(['connect']);
    });

    it('keeps delivering to the streams after the reconnect', async () => {
      const { h, messages } = await twoTopics([false, true]);
      await dropAndReconnect(h);
      h.broker.last.reply(
        { cmd: 'publish', topic: 'a/x', payload: Buffer.from('1'), qos: 0, retain: false, dup: false },
        { cmd: 'publish', topic: 'b', payload: Buffer.from('2'), qos: 0, retain: false, dup: false },
      );
      expect(messages).toEqual(['a/x', 'b', 'again b']);
    });

    it('sends a SUBSCRIBE still waiting for its SUBACK again, and the acknowledged filters once', async () => {
      const h = await resuming([false, false]);
      // Two turns, two SUBSCRIBEs.
      h.client.topic('acked').subscribe();
      await flush();
      h.client.topic('pending').subscribe();
      await flush();
      h.broker.last.reply({ cmd: 'suback', messageId: 1, granted: [0] });
      await dropAndReconnect(h);
      expect(subscribedFilters(h, 1).sort()).toEqual(['acked', 'pending']);
      const pending = h.broker.connections[1]!.packets('subscribe').find((p) => p.subscriptions[0]?.topic === 'pending');
      expect(pending?.messageId).toBe(2);
    });
  });
});
