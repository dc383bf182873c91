// MQTT 5 4.11 server redirection: 0x9C (Use another server) / 0x9D (Server moved) with a Server
// Reference send the next attempt elsewhere, only when the application opted in.
import type { IConnackPacket, IDisconnectPacket } from '../../lib/protocol/codec.js';
import { parseServerReference } from '../../lib/connection/server-reference.js';
import { accepting } from '../helpers/scripted-broker.js';
import { connected, flush, harness } from './harness.js';

const client = { protocolVersion: 5 as const, keepalive: 0, connectTimeout: 30_000, reconnectPeriod: 1000, protocol: 'mqtt', host: 'primary.example', port: 1883 };
const moved = (code: number, serverReference?: string): IDisconnectPacket => ({ cmd: 'disconnect', reasonCode: code, properties: serverReference === undefined ? {} : { serverReference } });
const refusal = (code: number, serverReference: string): IConnackPacket => ({ cmd: 'connack', sessionPresent: false, reasonCode: code, properties: { serverReference } });

describe('MQTT 5 Server Reference', () => {
  it.each([
    ['0x9C', 0x9c],
    ['0x9D', 0x9d],
  ])('follows a DISCONNECT %s to the referenced server when followServerReference is set', async (_name, code) => {
    const h = await connected({ client: { ...client, followServerReference: true } });
    h.broker.last.reply(moved(code, 'standby.example:1884'));
    await h.clock.advance(1000);
    expect(h.broker.connections).toHaveLength(2);
    expect(h.broker.last.target).toEqual({ host: 'standby.example', port: 1884, protocol: 'mqtt' });
    // and stays there for later reconnects
    h.broker.last.close();
    await h.clock.advance(1000);
    expect(h.broker.connections[2]?.target).toEqual({ host: 'standby.example', port: 1884, protocol: 'mqtt' });
  });

  it('follows a refused CONNACK 0x9D and connects to the new server', async () => {
    const h = await harness({ client: { ...client, followServerReference: true }, broker: { autoConnack: false } });
    h.broker.last.reply(refusal(0x9d, 'mqtt://new.example:2883'));
    await flush();
    expect(h.errors().map((e) => [e.kind, e.reasonCode])).toEqual([['ERR_CONNACK', 0x9d]]);
    await h.clock.advance(1000);
    expect(h.broker.last.target).toEqual({ host: 'new.example', port: 2883, protocol: 'mqtt' });
    h.broker.last.reply(accepting());
    await flush();
    expect(h.client.state.status).toBe('connected');
  });

  it('stays with the configured broker when followServerReference is not set (the default)', async () => {
    const h = await connected({ client });
    h.broker.last.reply(moved(0x9d, 'elsewhere.example'));
    await h.clock.advance(1000);
    expect(h.broker.connections).toHaveLength(2);
    expect(h.broker.last.target).toBeUndefined();
  });

  it('ignores a reference that comes with another reason code, or no reference at all', async () => {
    const h = await connected({ client: { ...client, followServerReference: true } });
    h.broker.last.reply(moved(0x8b, 'elsewhere.example'));
    await h.clock.advance(1000);
    expect(h.broker.last.target).toBeUndefined();
    expect(h.client.state.status).toBe('connected');
    h.broker.last.reply(moved(0x9c));
    await h.clock.advance(1000);
    expect(h.broker.last.target).toBeUndefined();
  });

  it('keeps the client protocol and its default port for a bare host', () => {
    expect(parseServerReference('b.example', 'mqtts')).toEqual({ host: 'b.example', port: 8883, protocol: 'mqtts' });
    expect(parseServerReference('  b.example:9000 c.example:9001', 'mqtt')).toEqual({ host: 'b.example', port: 9000, protocol: 'mqtt' });
    expect(parseServerReference('[::1]:1884', 'mqtt')).toEqual({ host: '::1', port: 1884, protocol: 'mqtt' });
    expect(parseServerReference('wss://c.example/mqtt', 'mqtt')).toEqual({ host: 'c.example', port: 443, protocol: 'wss' });
    expect(parseServerReference('   ', 'mqtt')).toBeUndefined();
    expect(parseServerReference('http://[bad', 'mqtt')).toBeUndefined();
  });
});
