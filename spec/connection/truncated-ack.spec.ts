// Issue 15: a PUBACK cut inside its packet id (40 01 00) decodes as messageId -1. It must end the
// connection like any malformed packet, and the publish it pretends to acknowledge must survive:
// resent on the next connection and completed only by a real PUBACK.
import { ProtocolError, type MqttError } from '../../lib/errors.js';
import { accepting } from '../helpers/scripted-broker.js';
import { flush, harness, strip, type Harness } from './harness.js';

const TRUNCATED_PUBACK = [0x40, 0x01, 0x00];
/** The same PUBACK with a byte after it: mqtt-packet borrows it and reads packet id 0x0001. */
const BORROWING_PUBACK = [0x40, 0x01, 0x00, 0x01];

/** Publish 1 (QoS 1) is on the wire; the broker answers it with `bytes`. */
async function truncatedPuback(protocolVersion: 4 | 5, bytes = TRUNCATED_PUBACK): Promise<{ h: Harness; publish: string[] }> {
  let connects = 0;
  const h = await harness({
    client: { protocolVersion, keepalive: 0, connectTimeout: 30_000, reconnectPeriod: 1000, clean: false, clientId: 'truncated' },
    // The first connection starts a session, the next one finds it.
    broker: { autoConnack: () => accepting({ sessionPresent: connects++ > 0 }) },
  });
  const publish: string[] = [];
  h.client.publish$('t/1', 'payload', { qos: 1 }).subscribe({ next: () => publish.push('next'), complete: () => publish.push('complete'), error: (e: MqttError) => publish.push(e.name) });
  await flush();
  expect(h.broker.last.packets('publish')).toMatchObject([{ messageId: 1, qos: 1 }]);
  h.broker.last.raw(bytes);
  await flush();
  return { h, publish };
}

describe.each([4, 5] as const)('MQTT %i: a PUBACK cut inside its packet id (40 01 00)', (version) => {
  it('reports one ProtocolError with reason code 0x81 and closes the connection', async () => {
    const { h } = await truncatedPuback(version);
    const errors = h.errors();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ProtocolError);
    expect(errors[0]?.reasonCode).toBe(0x81);
    expect(errors[0]?.message).toMatch(/PUBACK/);
    const first = h.broker.connections[0]!;
    expect(first.destroyCalled).toBe(true);
    expect(first.isOpen).toBe(false);
    expect(h.eventLog()).toEqual(['connect', 'error:ERR_PROTOCOL', 'close', 'offline']);
  });

  if (version === 5) {
    it('writes DISCONNECT 0x81 (Malformed Packet) before closing', async () => {
      const { h } = await truncatedPuback(version);
      const received = h.broker.connections[0]!.received;
      expect(received[received.length - 1]).toMatchObject({ cmd: 'disconnect', reasonCode: 0x81 });
    });
  } else {
    it('closes without a DISCONNECT (an MQTT 3.1.1 client has no reason code to send)', async () => {
      const { h } = await truncatedPuback(version);
      expect(h.broker.connections[0]!.isOpen).toBe(false);
      expect(h.broker.connections[0]!.packets('disconnect')).toEqual([]);
    });
  }

  it('leaves the publish in flight, resends it on reconnect and completes it on a real PUBACK', async () => {
    const { h, publish } = await truncatedPuback(version);
    expect(publish).toEqual([]); // nothing acknowledged it
    await h.clock.advance(1000);
    expect(h.broker.connections).toHaveLength(2);
    // [MQTT-4.4.0-1] the session is present: the unacknowledged PUBLISH goes again, DUP=1, same id.
    expect(strip(h.broker.last.received.slice(1))).toEqual([{ cmd: 'publish', topic: 't/1', payload: 'payload', qos: 1, retain: false, dup: true, messageId: 1 }]);
    h.broker.last.reply({ cmd: 'puback', messageId: 1 });
    await flush();
    expect(publish).toEqual(['next', 'complete']);
    expect(h.errors()).toHaveLength(1);
  });

  it('does not complete publish 1 when the truncated PUBACK borrows the next byte as id 1', async () => {
    const { h, publish } = await truncatedPuback(version, BORROWING_PUBACK);
    expect(publish).toEqual([]);
    expect(h.errors()).toEqual([expect.any(ProtocolError)]);
    expect(h.errors()[0]?.reasonCode).toBe(0x81);
    await h.clock.advance(1000);
    expect(h.broker.last.packets('publish')).toMatchObject([{ messageId: 1, dup: true }]);
  });
});
