/**
 * end() with a persistent session (clean: false), then reconnect(): the session outlives the
 * network connection ([MQTT-3.1.2-4]), so unacknowledged QoS 1/2 publishes stay with their callers
 * and are resumed at the next CONNACK ([MQTT-4.4.0-1]), as MQTT.js resends its outgoing store after
 * `end(true)` + `reconnect()`. With clean: true the session is gone ([MQTT-3.1.2-6]) and they fail.
 */
import type { Observable } from 'rxjs';
import type { MqttError } from '../../lib/errors.js';
import { accepting } from '../helpers/scripted-broker.js';
import { flush, harness, strip } from './harness.js';

const client = { keepalive: 0, connectTimeout: 30_000, reconnectPeriod: 0, endTimeout: 5000, clientId: 'kept' };

/** Subscribes and records 'next'/'complete' or the error kind, in order. */
function outcome<T>(observable: Observable<T>): string[] {
  const log: string[] = [];
  observable.subscribe({ next: () => log.push('next'), complete: () => log.push('complete'), error: (e: MqttError) => log.push(e.kind) });
  return log;
}

/** A client whose broker keeps its session (Session Present 1 after the first CONNECT). */
function persistent(extra = {}) {
  let connects = 0;
  return harness({ client: { ...client, clean: false, ...extra }, broker: { autoConnack: () => accepting({ sessionPresent: connects++ > 0 }) } });
}

describe('end() then reconnect() with clean: false', () => {
  it('resends the unacknowledged QoS 1 and 2 publishes in order, DUP=1 with their ids, and completes their callers on the acks', async () => {
    const h = await persistent();
    const first = outcome(h.client.publish$('t', 'one', { qos: 1 }));
    const second = outcome(h.client.publish$('t', 'two', { qos: 2 }));
    const third = outcome(h.client.publish$('t', 'three', { qos: 1 }));
    await flush();
    await h.client.end({ force: true });
    expect([first, second, third]).toEqual([[], [], []]);
    h.client.reconnect();
    await flush();
    expect(strip(h.broker.connections[1]!.received.slice(1))).toEqual([
      { cmd: 'publish', topic: 't', payload: 'one', qos: 1, retain: false, dup: true, messageId: 1 },
      { cmd: 'publish', topic: 't', payload: 'two', qos: 2, retain: false, dup: true, messageId: 2 },
      { cmd: 'publish', topic: 't', payload: 'three', qos: 1, retain: false, dup: true, messageId: 3 },
    ]);
    h.broker.last.reply({ cmd: 'puback', messageId: 1 }, { cmd: 'pubrec', messageId: 2 }, { cmd: 'puback', messageId: 3 });
    await flush();
    expect(h.broker.last.commands.slice(-1)).toEqual(['pubrel']);
    h.broker.last.reply({ cmd: 'pubcomp', messageId: 2 });
    await flush();
    expect([first, second, third]).toEqual([['next', 'complete'], ['next', 'complete'], ['next', 'complete']]);
    expect(h.errors()).toEqual([]);
  });

  it('resumes a QoS 2 publish the broker PUBREC\'d with PUBREL only, and completes it at PUBCOMP', async () => {
    const h = await persistent();
    const publish = outcome(h.client.publish$('t', 'x', { qos: 2 }));
    await flush();
    h.broker.last.reply({ cmd: 'pubrec', messageId: 1 });
    await flush();
    expect(h.broker.last.commands).toEqual(['connect', 'publish', 'pubrel']);
    await h.client.end({ force: true });
    h.client.reconnect();
    await flush();
    expect(h.broker.last.commands).toEqual(['connect', 'pubrel']);
    expect(publish).toEqual([]);
    h.broker.last.reply({ cmd: 'pubcomp', messageId: 1 });
    await flush();
    expect(publish).toEqual(['next', 'complete']);
  });

  it('keeps what end() did not wait for past endTimeout, and sends publishes queued offline after the resends', async () => {
    const h = await persistent({ reconnectPeriod: 0 });
    const inflight = outcome(h.client.publish$('t', 'inflight', { qos: 1 }));
    await flush();
    const end = h.client.end();
    await h.clock.advance(5000);
    await end;
    expect(h.broker.connections[0]!.commands).toEqual(['connect', 'publish', 'disconnect']);
    h.client.reconnect();
    const queued = outcome(h.client.publish$('t', 'queued', { qos: 1 }));
    await flush();
    expect(h.broker.last.packets('publish').map((p) => [p.payload.toString(), p.messageId, p.dup])).toEqual([
      ['inflight', 1, true],
      ['queued', 2, false],
    ]);
    h.broker.last.reply({ cmd: 'puback', messageId: 1 }, { cmd: 'puback', messageId: 2 });
    await flush();
    expect([inflight, queued]).toEqual([['next', 'complete'], ['next', 'complete']]);
  });

  it('still fails subscribes, unsubscribes and QoS 0 publishes with ClientClosedError', async () => {
    const h = await persistent();
    await flush();
    h.broker.last.close(); // offline: everything below waits in the queue
    const qos0 = outcome(h.client.publish$('t', 'x', { qos: 0 }));
    const subscribe = outcome(h.client.subscribe$([{ topic: 't', qos: 1 }]));
    const unsubscribe = outcome(h.client.unsubscribe$(['u']));
    const qos1 = outcome(h.client.publish$('t', 'kept', { qos: 1 }));
    await h.client.end({ force: true });
    await flush();
    expect([qos0, subscribe, unsubscribe, qos1]).toEqual([['ERR_CLIENT_CLOSED'], ['ERR_CLIENT_CLOSED'], ['ERR_CLIENT_CLOSED'], []]);
    h.client.reconnect();
    await flush();
    expect(h.broker.last.commands).toEqual(['connect', 'publish']);
  });

  it('fails the unacknowledged publishes with ClientClosedError and resends nothing with clean: true', async () => {
    const h = await harness({ client: { ...client, clean: true }, broker: { autoConnack: true } });
    const publish = outcome(h.client.publish$('t', 'x', { qos: 1 }));
    await flush();
    await h.client.end({ force: true });
    await flush();
    expect(publish).toEqual(['ERR_CLIENT_CLOSED']);
    h.client.reconnect();
    await flush();
    expect(h.broker.last.commands).toEqual(['connect']);
  });
});
