/**
 * The `ackTimeout` option of `publish$`, `subscribe$` and `unsubscribe$`, against a scripted broker
 * in virtual time (the client's `scheduler`): when the wait ends, and that only the wait ends (the
 * command stays with the session and is resent after a reconnect).
 */
import type { Observable } from 'rxjs';
import { AckTimeoutError, InvalidArgumentError, type MqttError } from '../../lib/errors.js';
import { accepting } from '../helpers/scripted-broker.js';
import { connected, flush, harness, type Harness } from '../connection/harness.js';

/** What a subscriber of `observable` saw: 'next', 'complete' or an error's code. */
function outcome<T>(observable: Observable<T>): string[] {
  const log: string[] = [];
  observable.subscribe({ next: () => log.push('next'), complete: () => log.push('complete'), error: (e: MqttError) => log.push(e.kind) });
  return log;
}

/** A client whose broker keeps the session after the first connection, reconnecting 1 s after a drop. */
function resuming(): Promise<Harness> {
  let connections = 0;
  return harness({
    client: { keepalive: 0, clean: false, reconnectPeriod: 1000, clientId: 'acker' },
    broker: { autoConnack: () => accepting({ sessionPresent: connections++ > 0 }) },
  });
}

describe('publish$ with ackTimeout', () => {
  it('completes with the result when the PUBACK comes in time, and stops the timer', async () => {
    const h = await connected({ client: { keepalive: 0 } });
    const publish = outcome(h.client.publish$('t', 'x', { qos: 1, ackTimeout: 5000 }));
    await h.clock.advance(4999);
    h.broker.last.reply({ cmd: 'puback', messageId: 1 });
    await flush();
    expect(publish).toEqual(['next', 'complete']);
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('errors with an AckTimeoutError ackTimeout ms after the subscription when no PUBACK came', async () => {
    const h = await connected({ client: { keepalive: 0 } });
    let error: unknown;
    h.client.publish$('t', 'x', { qos: 1, ackTimeout: 5000 }).subscribe({ error: (e) => (error = e) });
    await h.clock.advance(4999);
    expect(error).toBeUndefined();
    await h.clock.advance(1);
    expect(error).toBeInstanceOf(AckTimeoutError);
    expect(error).toMatchObject({ code: 'ERR_ACK_TIMEOUT', timeoutMs: 5000 });
  });

  it('keeps a timed-out QoS 1 publish in the session: resent with DUP after a reconnect, settled by the late PUBACK', async () => {
    const h = await resuming();
    const publish = outcome(h.client.publish$('t', 'x', { qos: 1, ackTimeout: 100 }));
    await h.clock.advance(100);
    expect(publish).toEqual(['ERR_ACK_TIMEOUT']);
    h.broker.last.close();
    await h.clock.advance(1000);
    expect(h.broker.connections).toHaveLength(2);
    expect(h.broker.last.packets('publish').map((p) => [p.messageId, p.dup, p.payload.toString()])).toEqual([[1, true, 'x']]);
    h.broker.last.reply({ cmd: 'puback', messageId: 1 });
    await flush();
    // Acknowledged at last: not resent again, and end() has nothing left to wait for.
    h.broker.last.close();
    await h.clock.advance(1000);
    expect(h.broker.last.packets('publish')).toEqual([]);
    await h.client.end();
    expect(publish).toEqual(['ERR_ACK_TIMEOUT']);
  });

  it('keeps a timed-out QoS 2 publish that got its PUBREC: the PUBREL is resent after a reconnect', async () => {
    const h = await resuming();
    const publish = outcome(h.client.publish$('t', 'x', { qos: 2, ackTimeout: 100 }));
    await flush();
    h.broker.last.reply({ cmd: 'pubrec', messageId: 1 });
    await h.clock.advance(100);
    expect(publish).toEqual(['ERR_ACK_TIMEOUT']);
    h.broker.last.close();
    await h.clock.advance(1000);
    expect(h.broker.last.commands).toEqual(['connect', 'pubrel']);
    h.broker.last.reply({ cmd: 'pubcomp', messageId: 1 });
    await flush();
    expect(publish).toEqual(['ERR_ACK_TIMEOUT']);
  });

  it('counts the time spent offline, and the publish still goes out once connected', async () => {
    const h = await harness({ client: { keepalive: 0 }, broker: { autoConnack: true }, connect: false });
    const publish = outcome(h.client.publish$('t', 'x', { qos: 1, ackTimeout: 100 }));
    await h.clock.advance(100);
    expect(publish).toEqual(['ERR_ACK_TIMEOUT']);
    h.client.connect();
    await flush();
    expect(h.broker.last.packets('publish').map((p) => p.messageId)).toEqual([1]);
  });

  it('waits as long as it takes without ackTimeout', async () => {
    const h = await connected({ client: { keepalive: 0 } });
    const publish = outcome(h.client.publish$('t', 'x', { qos: 1 }));
    await h.clock.advance(3_600_000);
    expect(publish).toEqual([]);
    expect(h.clock.pendingTimers).toBe(0);
    h.broker.last.reply({ cmd: 'puback', messageId: 1 });
    await flush();
    expect(publish).toEqual(['next', 'complete']);
  });

  it('times a QoS 0 publish until it is written', async () => {
    const h = await connected({ client: { keepalive: 0 } });
    const publish = outcome(h.client.publish$('t', 'x', { ackTimeout: 10 }));
    await flush();
    expect(publish).toEqual(['next', 'complete']);
    expect(h.clock.pendingTimers).toBe(0);
  });
});

describe('subscribe$ and unsubscribe$ with ackTimeout', () => {
  it('completes a subscribe$ whose SUBACK comes in time', async () => {
    const h = await connected({ client: { keepalive: 0 } });
    const subscribe = outcome(h.client.subscribe$([{ topic: 'a/#', qos: 1 }], undefined, { ackTimeout: 50 }));
    await h.clock.advance(49);
    h.broker.last.reply({ cmd: 'suback', messageId: 1, granted: [1] });
    await flush();
    expect(subscribe).toEqual(['next', 'complete']);
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('errors a subscribe$ without SUBACK in time; the SUBSCRIBE stays in flight and is resent after a reconnect', async () => {
    const h = await resuming();
    const subscribe = outcome(h.client.subscribe$([{ topic: 'a/#', qos: 1 }], undefined, { ackTimeout: 50 }));
    await h.clock.advance(50);
    expect(subscribe).toEqual(['ERR_ACK_TIMEOUT']);
    h.broker.last.close();
    await h.clock.advance(1000);
    expect(h.broker.last.packets('subscribe').map((p) => [p.messageId, p.subscriptions])).toEqual([[1, [{ topic: 'a/#', qos: 1 }]]]);
    h.broker.last.reply({ cmd: 'suback', messageId: 1, granted: [1] });
    await flush();
    expect(subscribe).toEqual(['ERR_ACK_TIMEOUT']);
  });

  it('errors an unsubscribe$ without UNSUBACK in time, and completes one whose UNSUBACK comes in time', async () => {
    const h = await connected({ client: { keepalive: 0 } });
    const late = outcome(h.client.unsubscribe$(['a/#'], undefined, { ackTimeout: 20 }));
    const early = outcome(h.client.unsubscribe$(['b/#'], undefined, { ackTimeout: 20 }));
    await h.clock.advance(10);
    h.broker.last.reply({ cmd: 'unsuback', messageId: 2, granted: [] });
    await h.clock.advance(10);
    expect(late).toEqual(['ERR_ACK_TIMEOUT']);
    expect(early).toEqual(['next', 'complete']);
  });
});

describe('ackTimeout validation', () => {
  it.each([-1, NaN, Infinity, '100' as unknown as number, null as unknown as number])(
    'errors with an InvalidArgumentError for %p and sends nothing',
    async (ackTimeout) => {
      const h = await connected({ client: { keepalive: 0 } });
      const errors: unknown[] = [];
      const record = { error: (e: unknown) => errors.push(e) };
      h.client.publish$('t', 'x', { qos: 1, ackTimeout }).subscribe(record);
      h.client.subscribe$([{ topic: 'a', qos: 0 }], undefined, { ackTimeout }).subscribe(record);
      h.client.unsubscribe$(['a'], undefined, { ackTimeout }).subscribe(record);
      await flush();
      expect(errors).toHaveLength(3);
      for (const error of errors) {
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: `ackTimeout must be a non-negative finite number of milliseconds, got ${String(ackTimeout)}` });
      }
      expect(h.broker.last.commands).toEqual(['connect']);
    },
  );

  it('accepts 0: the wait is over before any acknowledgement can come, the publish goes out all the same', async () => {
    const h = await connected({ client: { keepalive: 0 } });
    const publish = outcome(h.client.publish$('t', 'x', { qos: 1, ackTimeout: 0 }));
    await h.clock.advance(0);
    expect(publish).toEqual(['ERR_ACK_TIMEOUT']);
    expect(h.broker.last.packets('publish')).toHaveLength(1);
  });
});
