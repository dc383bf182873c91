/**
 * A slow `handleMessage` pauses the socket (backpressure), which also leaves PINGRESPs unread:
 * that must not be mistaken for a dead broker ([MQTT-3.1.2-24] is about the broker's silence,
 * not about bytes we chose not to read).
 */
import { RxMqttClient } from '../../lib/client/client.js';
import type { IPublishPacket } from '../../lib/protocol/codec.js';
import { resolveOptions } from '../../lib/options/options.js';
import type { ClientEvent } from '../../lib/connection/connection-state.js';
import { scriptedBroker } from '../helpers/scripted-broker.js';
import { flush, VirtualClock } from '../helpers/virtual-clock.js';

function publish(messageId: number): IPublishPacket {
  return { cmd: 'publish', topic: 'slow/t', payload: Buffer.from(String(messageId)), qos: 1, dup: false, retain: false, messageId };
}

describe('a slow handleMessage', () => {
  it('does not trip the keepalive timeout while the socket is paused, and the acks follow the handler', async () => {
    const clock = new VirtualClock();
    const broker = scriptedBroker({ protocolVersion: 4, autoConnack: true });
    const pending: Array<() => void> = [];
    const client = new RxMqttClient(resolveOptions(undefined, { clientId: 'slow', keepalive: 10, scheduler: clock.scheduler }), broker.factory, {
      handleMessage: () => (_packet, done) => pending.push(() => done()),
    });
    const events: ClientEvent[] = [];
    client.events$.subscribe((event) => events.push(event));
    client.connect();
    await flush();
    for (let id = 1; id <= 300; id++) broker.last.reply(publish(id));
    await flush();
    expect(broker.last.paused).toBe(true);

    // Three keepalive periods without a PINGRESP (the broker would answer, but we do not read).
    await clock.advance(35_000);
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    expect(client.state.status).toBe('connected');
    expect(broker.last.packets('pingreq').length).toBeGreaterThanOrEqual(3);

    // The handler catches up: every message is acknowledged, in order, and reading resumes.
    for (let handled = 0; handled < 300 && pending.length > 0; handled++) pending.shift()!();
    await flush();
    expect(broker.last.packets('puback').map((p) => p.messageId)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(broker.last.paused).toBe(false);
    await client.end({ force: true });
  });
});
