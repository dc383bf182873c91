// A publish with an MQTT 5 Message Expiry Interval that waits offline ages on the client's clock
// (virtual here): past its lifetime it fails with MessageExpiredError and is never written.
import type { IPublishPacket } from '../../lib/protocol/codec.js';
import { MessageExpiredError } from '../../lib/errors.js';
import { connected, flush } from './harness.js';

const client = { protocolVersion: 5 as const, keepalive: 0, connectTimeout: 30_000, reconnectPeriod: 20_000 };

describe('message expiry of publishes queued offline', () => {
  it('drops the expired ones and shortens the lifetime of the others when the connection comes back', async () => {
    const h = await connected({ client });
    h.broker.last.close();
    await flush();
    expect(h.client.state.status).toBe('reconnecting');
    const outcomes: string[] = [];
    const record = (name: string) => ({ next: () => outcomes.push(`${name}:sent`), error: (e: Error) => outcomes.push(`${name}:${e instanceof MessageExpiredError ? e.code : String(e)}`) });
    h.client.publish$('short', 'x', { qos: 1, properties: { messageExpiryInterval: 10 } }).subscribe(record('short'));
    h.client.publish$('long', 'y', { qos: 0, properties: { messageExpiryInterval: 300 } }).subscribe(record('long'));
    await h.clock.advance(20_000); // reconnect after 20 s of virtual time
    await flush();
    const publishes = h.broker.last.received.filter((p): p is IPublishPacket => p.cmd === 'publish');
    expect(publishes.map((p) => [p.topic, p.properties?.messageExpiryInterval])).toEqual([['long', 280]]);
    expect(outcomes).toEqual(['short:ERR_MESSAGE_EXPIRED', 'long:sent']);
  });
});
