import type { IConnackPacket } from '../../lib/protocol/codec.js';
import { ConnackError, ErrorWithReasonCode, type MqttError } from '../../lib/errors.js';
import { flush, harness, type Harness } from './harness.js';

const client = { keepalive: 0, connectTimeout: 30_000, reconnectPeriod: 1000 };

function refusal(version: 4 | 5, code: number): IConnackPacket {
  return version === 5 ? { cmd: 'connack', sessionPresent: false, reasonCode: code } : { cmd: 'connack', sessionPresent: false, returnCode: code };
}

async function refusedWith(version: 4 | 5, code: number): Promise<Harness> {
  const h = await harness({ client: { ...client, protocolVersion: version } });
  h.broker.last.reply(refusal(version, code));
  return h;
}

describe('refused CONNACK', () => {
  describe.each([
    [4, 4, 'Bad username or password'],
    [4, 5, 'Not authorized'],
    [5, 0x86, 'Bad User Name or Password'],
    [5, 0x87, 'Not authorized'],
    [5, 0x8a, 'Banned'],
  ] as const)('MQTT %i code %i (%s)', (version, code, reason) => {
    it('reports a ConnackError with the reason code and goes offline', async () => {
      const h = await refusedWith(version, code);
      const errors = h.errors();
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(ConnackError);
      // MQTT.js reports the refusal as an ErrorWithReasonCode whose code is the CONNACK's (5, 134...).
      expect(errors[0]).toBeInstanceOf(ErrorWithReasonCode);
      expect(errors[0]).toMatchObject({ kind: 'ERR_CONNACK', code, reasonCode: code });
      expect(errors[0]?.message).toContain(reason);
      expect(h.broker.last.destroyCalled).toBe(true);
      expect(h.client.state).toMatchObject({ status: 'offline' });
      expect((h.client.state as { cause?: MqttError }).cause).toBe(errors[0]);
      expect(h.eventLog()).toEqual(['error:ERR_CONNACK', 'close']);
    });

    it('opens no further transport, however long we wait', async () => {
      const h = await refusedWith(version, code);
      await h.clock.advance(7 * 24 * 3600 * 1000);
      expect(h.broker.connections).toHaveLength(1);
      expect(h.clock.pendingTimers).toBe(0);
      expect(h.client.state.status).toBe('offline');
    });
  });

  describe.each([
    [4, 3, 'Server unavailable'],
    [5, 0x88, 'Server unavailable'],
    [5, 0x89, 'Server busy'],
  ] as const)('MQTT %i code %i (%s)', (version, code, reason) => {
    it('reports the ConnackError and reconnects after reconnectPeriod', async () => {
      const h = await refusedWith(version, code);
      expect(h.errors()).toHaveLength(1);
      expect(h.errors()[0]).toMatchObject({ kind: 'ERR_CONNACK', reasonCode: code });
      expect(h.errors()[0]?.message).toContain(reason);
      expect(h.client.state).toMatchObject({ status: 'reconnecting', attempt: 2, delayMs: 1000 });
      await h.clock.advance(999);
      expect(h.broker.connections).toHaveLength(1);
      await h.clock.advance(1);
      expect(h.broker.connections).toHaveLength(2);
      expect(h.broker.connections[1]?.commands).toEqual(['connect']);
      expect(h.eventLog()).toEqual(['error:ERR_CONNACK', 'close', 'offline', 'reconnect']);
    });
  });

  it('keeps the v5 reason string on the ConnackError', async () => {
    const h = await harness({ client: { ...client, protocolVersion: 5 } });
    h.broker.last.reply({ cmd: 'connack', sessionPresent: false, reasonCode: 0x87, properties: { reasonString: 'acl says no' } });
    expect(h.errors()[0]).toMatchObject({ reasonCode: 0x87, reasonString: 'acl says no' });
  });

  it('tries again after reconnect() following a fatal refusal', async () => {
    const h = await refusedWith(4, 5);
    h.client.reconnect();
    expect(h.broker.connections).toHaveLength(2);
    await flush();
    expect(h.broker.last.commands).toEqual(['connect']);
    h.broker.last.reply(refusal(4, 3));
    // A retryable refusal on the manual attempt goes back to the reconnect loop.
    expect(h.client.state).toMatchObject({ status: 'reconnecting', delayMs: 1000 });
  });

  it('fails commands queued while connecting only when the client ends, not on the refusal', async () => {
    const h = await harness({ client });
    const results: string[] = [];
    h.client.publish$('t', 'x', { qos: 1 }).subscribe({ next: () => results.push('ok'), error: (e: MqttError) => results.push(e.kind) });
    h.broker.last.reply(refusal(4, 5));
    await Promise.resolve();
    expect(results).toEqual([]);
    await h.client.end();
    expect(results).toEqual(['ERR_CLIENT_CLOSED']);
  });
});
