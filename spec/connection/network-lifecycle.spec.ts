/**
 * The connection shell with the page's signals (lib/platform/page-lifecycle.ts, here replaced by a
 * Subject the test drives, as the browser's `offline`/`online`/`resume` would): a scripted broker,
 * virtual time, what the client writes and reports. The real events in a real browser are in
 * spec/platform/page-lifecycle.chromium.spec.ts.
 */
import { jest } from '@jest/globals';
import { Subject } from 'rxjs';
import type { PageSignal } from '../../lib/platform/page-lifecycle.js';

const page = new Subject<PageSignal>();
jest.unstable_mockModule('../../lib/platform/page-lifecycle.js', () => ({ pageLifecycle: () => page }));
const { accepting } = await import('../helpers/scripted-broker.js');
const { flush, harness, strip } = await import('./harness.js');

/** A reconnect delay no test could wait for: whatever reconnects here was not the backoff. */
const TEN_MINUTES = 600_000;
const client = { keepalive: 60, reconnectPeriod: TEN_MINUTES, clean: false, clientId: 'roaming' };

/** A harness whose broker accepts every CONNECT, with the session present from the second on. */
function resuming(extra = {}) {
  let connects = 0;
  return harness({ client: { ...client, ...extra }, broker: { autoConnack: () => accepting({ sessionPresent: connects++ > 0 }) } });
}

afterEach(() => {
  expect(page.observed).toBe(false); // every test ends its client: no listener stays behind
});

describe('the connection and the network (offline/online)', () => {
  it('offline reports offline at once and closes the socket; online reconnects at once and resends the in-flight QoS 1 with DUP', async () => {
    const h = await resuming();
    const outcome: string[] = [];
    h.client.publish$('t/1', 'kept', { qos: 1 }).subscribe({ complete: () => outcome.push('acked'), error: (e: Error) => outcome.push(e.message) });
    await flush();
    expect(h.broker.last.packets('publish')).toMatchObject([{ messageId: 1, dup: false }]);

    page.next('networkLost');
    expect(h.client.state).toEqual({ status: 'offline', cause: expect.objectContaining({ kind: 'ERR_NETWORK_OFFLINE' }) });
    expect(h.broker.last.destroyCalled).toBe(true);
    expect(h.eventLog()).toEqual(['connect', 'close', 'offline']);
    await h.clock.advance(2 * TEN_MINUTES);
    expect(h.broker.connections).toHaveLength(1); // no retry while the network is gone

    page.next('networkBack');
    await flush();
    expect(h.broker.connections).toHaveLength(2);
    expect(h.statuses().slice(-3)).toEqual(['reconnecting', 'connecting', 'connected']);
    expect(strip(h.broker.last.received.slice(1))).toEqual([
      // [MQTT-4.4.0-1] the unacknowledged PUBLISH again, DUP=1, same packet id
      { cmd: 'publish', topic: 't/1', payload: 'kept', qos: 1, retain: false, dup: true, messageId: 1 },
    ]);
    expect(outcome).toEqual([]);
    h.broker.last.reply({ cmd: 'puback', messageId: 1 });
    await flush();
    expect(outcome).toEqual(['acked']);
    await h.client.end();
  });

  it('online retries at once instead of after the rest of a 10-minute backoff', async () => {
    const h = await resuming();
    h.broker.last.close();
    await flush();
    expect(h.client.state).toMatchObject({ status: 'reconnecting', delayMs: TEN_MINUTES });
    page.next('networkBack');
    await flush();
    expect(h.broker.connections).toHaveLength(2);
    expect(h.client.state.status).toBe('connected');
    expect(h.clock.now).toBe(0);
    await h.client.end();
  });

  it('offline while beforeConnect runs abandons that attempt: no socket when the hook answers, one at online', async () => {
    let answer!: (value: { username: string; password: string }) => void;
    const h = await harness({ client: { ...client, beforeConnect: () => new Promise((resolve) => (answer = resolve)) }, broker: { autoConnack: true } });
    page.next('networkLost');
    expect(h.client.state).toMatchObject({ status: 'offline' });
    answer({ username: 'u', password: 'late' });
    await flush();
    expect(h.broker.connections).toHaveLength(0);
    page.next('networkBack');
    await flush();
    answer({ username: 'u', password: 'fresh' });
    await flush();
    expect(h.broker.connections).toHaveLength(1);
    expect(h.client.state.status).toBe('connected');
    await h.client.end();
  });

  it('online while connected, and after end(), opens nothing', async () => {
    const h = await resuming();
    page.next('networkBack');
    await flush();
    expect(h.broker.connections).toHaveLength(1);
    await h.client.end();
    page.next('networkBack'); // nobody listens any more: end() removed the listeners
    await flush();
    expect(h.broker.connections).toHaveLength(1);
    expect(h.client.state.status).toBe('closed');
  });

  it('watches the page again after end() and a new connect, and not at all with watchNetwork: false', async () => {
    const h = await resuming();
    await h.client.end();
    h.client.reconnect();
    await flush();
    expect(page.observed).toBe(true);
    await h.client.end();
    const off = await resuming({ watchNetwork: false });
    expect(page.observed).toBe(false);
    await off.client.end();
  });
});

describe('the connection and the page (resumed after a freeze, visible again)', () => {
  it('sends a PINGREQ at once, drops a socket that does not answer within the PINGRESP timeout and reconnects at once', async () => {
    const h = await resuming();
    await h.clock.advance(10_000);
    page.next('pageResumed');
    await flush();
    expect(h.broker.last.packets('pingreq')).toHaveLength(1); // 50 s before the keepalive would have sent it
    await h.clock.advance(59_999);
    expect(h.broker.connections).toHaveLength(1);
    await h.clock.advance(1);
    expect(h.errors().map((e) => e.kind)).toEqual(['ERR_KEEPALIVE_TIMEOUT']);
    // Not after the 10-minute backoff: the page's sleep killed the socket, not the broker.
    expect(h.broker.connections).toHaveLength(2);
    expect(h.client.state.status).toBe('connected');
    await h.client.end();
  });

  it("reconnects at once when the socket closes before the probe's PINGRESP (as Chromium closes a frozen page's WebSocket)", async () => {
    const h = await resuming();
    page.next('pageResumed');
    h.broker.last.close();
    await flush();
    expect(h.broker.connections).toHaveLength(2);
    expect(h.eventLog()).toEqual(['connect', 'close', 'offline', 'reconnect', 'connect']);
    await h.client.end();
  });

  it('once the probe is answered, a later close waits for the backoff again', async () => {
    const h = await harness({ client, broker: { autoConnack: true, autoPingresp: true } });
    page.next('pageResumed');
    await flush();
    h.broker.last.close();
    await flush();
    expect(h.client.state).toMatchObject({ status: 'reconnecting', delayMs: TEN_MINUTES });
    expect(h.broker.connections).toHaveLength(1);
    await h.client.end();
  });

  it('keeps a socket that answers the probe', async () => {
    const h = await harness({ client, broker: { autoConnack: true, autoPingresp: true } });
    page.next('pageResumed');
    await flush();
    expect(h.broker.last.packets('pingreq')).toHaveLength(1);
    await h.clock.advance(90_000);
    expect(h.errors()).toEqual([]);
    expect(h.client.state.status).toBe('connected');
    await h.client.end();
  });

  it('retries a pending reconnect at once', async () => {
    const h = await resuming();
    h.broker.last.close();
    await flush();
    page.next('pageResumed');
    await flush();
    expect(h.broker.connections).toHaveLength(2);
    await h.client.end();
  });
});
