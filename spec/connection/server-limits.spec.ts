/**
 * An MQTT 5 broker's CONNACK limits (Maximum QoS, Retain Available, Wildcard Subscription
 * Available...) make the commands that break them fail locally: nothing is sent, the connection stays.
 */
import { firstValueFrom } from 'rxjs';
import { ServerCapabilityError } from '../../lib/errors.js';
import { connected, flush } from './harness.js';

const limited = {
  autoConnack: {
    sessionPresent: false,
    reasonCode: 0,
    properties: { maximumQoS: 1 as const, retainAvailable: false, wildcardSubscriptionAvailable: false },
  },
};

describe('a broker announcing limits in its CONNACK', () => {
  it('fails a QoS 2 publish with ServerCapabilityError 0x9B, sends nothing and keeps the connection [MQTT-3.2.2-11]', async () => {
    const h = await connected({ client: { protocolVersion: 5 }, broker: limited });
    const refused = firstValueFrom(h.client.publish$('a/b', 'x', { qos: 2 }));
    await expect(refused).rejects.toBeInstanceOf(ServerCapabilityError);
    await expect(refused).rejects.toMatchObject({ code: 'ERR_NOT_SUPPORTED_BY_SERVER', capability: 'maximumQoS', reasonCode: 0x9b });
    h.client.publish$('a/b', 'fine', { qos: 1 }).subscribe();
    await flush();
    expect(h.broker.last.packets('publish').map((p) => [p.payload.toString(), p.qos])).toEqual([['fine', 1]]);
    expect(h.client.state.status).toBe('connected');
  });

  it('fails a retained publish with ServerCapabilityError 0x9A [MQTT-3.2.2-14]', async () => {
    const h = await connected({ client: { protocolVersion: 5 }, broker: limited });
    const refused = firstValueFrom(h.client.publish$('a/b', 'x', { qos: 0, retain: true }));
    await expect(refused).rejects.toMatchObject({ capability: 'retainAvailable', reasonCode: 0x9a });
    await flush();
    expect(h.broker.last.packets('publish')).toEqual([]);
  });

  it('errors a topic() stream on a wildcard filter with ServerCapabilityError 0xA2 and sends no SUBSCRIBE', async () => {
    const h = await connected({ client: { protocolVersion: 5 }, broker: limited });
    let failure: unknown;
    h.client.topic('a/#').subscribe({ error: (error: unknown) => (failure = error) });
    await flush();
    expect(failure).toMatchObject({ code: 'ERR_NOT_SUPPORTED_BY_SERVER', capability: 'wildcardSubscriptionAvailable', reasonCode: 0xa2 });
    expect(h.broker.last.packets('subscribe')).toEqual([]);
    expect(h.client.state.status).toBe('connected');
  });

  it('fails a QoS 2 publish queued offline once the CONNACK it meets says Maximum QoS 1', async () => {
    const h = await connected({ client: { protocolVersion: 5 }, broker: { ...limited }, connect: false });
    const refused = firstValueFrom(h.client.publish$('a/b', 'x', { qos: 2 }));
    h.client.connect();
    await expect(refused).rejects.toMatchObject({ capability: 'maximumQoS' });
    await flush();
    expect(h.broker.last.packets('publish')).toEqual([]);
  });
});
