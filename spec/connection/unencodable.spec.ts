/**
 * A command whose packet mqtt-packet refuses to encode never reaches the wire, so it must fail
 * at once with the codec's error instead of waiting forever for an acknowledgement.
 */
import { firstValueFrom } from 'rxjs';
import { InvalidArgumentError, ProtocolError } from '../../lib/errors.js';
import { resolveOptions } from '../../lib/options/options.js';
import { connected, flush } from './harness.js';

const badProperties = { messageExpiryInterval: 'soon' as unknown as number };

describe('a publish that cannot be encoded', () => {
  it.each([0, 1, 2] as const)('fails at QoS %i with a ProtocolError and sends nothing', async (qos) => {
    const h = await connected({ client: { protocolVersion: 5 } });
    const result = firstValueFrom(h.client.publish$('a/b', 'x', { qos, properties: badProperties }));
    await expect(result).rejects.toBeInstanceOf(ProtocolError);
    await flush();
    expect(h.broker.last.packets('publish')).toEqual([]);
  });

  it('frees its packet id and lets the next publish go out', async () => {
    const h = await connected({ client: { protocolVersion: 5 } });
    const bad = firstValueFrom(h.client.publish$('a/b', 'x', { qos: 1, properties: badProperties }));
    await expect(bad).rejects.toBeInstanceOf(ProtocolError);
    h.client.publish$('a/b', 'fine', { qos: 1 }).subscribe();
    await flush();
    const sent = h.broker.last.packets('publish');
    expect(sent.map((p) => p.payload.toString())).toEqual(['fine']);
    expect(h.client.getLastMessageId()).toBe(sent[0]!.messageId);
  });
});

describe('a password without a username before MQTT 5', () => {
  it('is refused when the options are resolved [MQTT-3.1.2-22]', () => {
    expect(() => resolveOptions(undefined, { password: 'secret' })).toThrow(InvalidArgumentError);
    expect(() => resolveOptions(undefined, { password: 'secret', protocolVersion: 5 })).not.toThrow();
  });
});

describe('a packet larger than the broker announced', () => {
  const limited = { autoConnack: { sessionPresent: false, reasonCode: 0, properties: { maximumPacketSize: 64 } } };

  it.each([0, 1, 2] as const)('fails at QoS %i with PacketTooLargeError, sends nothing and keeps the connection [MQTT-3.2.2-15]', async (qos) => {
    const h = await connected({ client: { protocolVersion: 5 }, broker: limited });
    const big = firstValueFrom(h.client.publish$('a/b', Buffer.alloc(100), { qos }));
    await expect(big).rejects.toMatchObject({ code: 'ERR_PACKET_TOO_LARGE', size: expect.any(Number), maximum: 64 });
    h.client.publish$('a/b', 'small', { qos }).subscribe();
    await flush();
    expect(h.broker.last.packets('publish').map((p) => p.payload.toString())).toEqual(['small']);
    expect(h.client.state.status).toBe('connected');
  });

  it('counts the header too when the payload goes out uncopied as its own chunk', async () => {
    const payload = Buffer.alloc(4096);
    const size = 1 + 2 + 2 + 3 + 1 + payload.length; // type, Remaining Length (2 bytes), topic length, "a/b", properties length 0
    const atLimit = { autoConnack: { sessionPresent: false, reasonCode: 0, properties: { maximumPacketSize: size } } };
    const h = await connected({ client: { protocolVersion: 5 }, broker: atLimit });
    await firstValueFrom(h.client.publish$('a/b', payload));
    await expect(firstValueFrom(h.client.publish$('a/b', Buffer.alloc(4097)))).rejects.toMatchObject({ code: 'ERR_PACKET_TOO_LARGE', size: size + 1, maximum: size });
    expect(h.broker.last.packets('publish').map((p) => p.payload.length)).toEqual([4096]);
  });
});
