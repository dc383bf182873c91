/**
 * Outgoing topic aliases where the session meets the wire: a PUBLISH that would have registered an
 * alias but never left (too large for the broker) must not leave the alias in use, or the next
 * publish of that topic would go out as '' + an alias the broker never heard of (3.3.4: Protocol Error).
 */
import { firstValueFrom } from 'rxjs';
import type { IPublishPacket } from '../../lib/protocol/codec.js';
import { connected, flush } from './harness.js';

const limited = { autoConnack: { sessionPresent: false, reasonCode: 0, properties: { maximumPacketSize: 64, topicAliasMaximum: 2 } } };

function wire(packet: IPublishPacket): string {
  const alias = packet.properties?.topicAlias;
  return alias === undefined ? packet.topic : `${packet.topic}, ta:${alias}`;
}

describe('outgoing topic aliases on a live connection', () => {
  it('sends the full topic again after the publish that registered its alias was too large to send', async () => {
    const h = await connected({ client: { protocolVersion: 5, autoAssignTopicAlias: true }, broker: limited });
    const big = firstValueFrom(h.client.publish$('a/b', Buffer.alloc(100), { qos: 1 }));
    await expect(big).rejects.toMatchObject({ code: 'ERR_PACKET_TOO_LARGE' });
    h.client.publish$('a/b', 'one', { qos: 1 }).subscribe();
    h.client.publish$('a/b', 'two', { qos: 1 }).subscribe();
    await flush();
    expect(h.broker.last.packets('publish').map(wire)).toEqual(['a/b, ta:1', ', ta:1']);
    expect(h.client.state.status).toBe('connected');
  });

  it('keeps a manual alias out of use after its registering publish was too large', async () => {
    const h = await connected({ client: { protocolVersion: 5 }, broker: limited });
    const big = firstValueFrom(h.client.publish$('a/b', Buffer.alloc(100), { properties: { topicAlias: 2 } }));
    await expect(big).rejects.toMatchObject({ code: 'ERR_PACKET_TOO_LARGE' });
    await expect(firstValueFrom(h.client.publish$('', 'x', { properties: { topicAlias: 2 } }))).rejects.toMatchObject({ code: 'ERR_TOPIC_ALIAS' });
    expect(h.broker.last.packets('publish')).toEqual([]);
  });
});
