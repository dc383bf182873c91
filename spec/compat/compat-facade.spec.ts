import { ProtocolError, TimeoutError } from '../../lib/errors.js';
import type { ClientOptions } from '../../lib/options/client-options.js';
import type { ScriptedBrokerOptions } from '../helpers/scripted-broker.js';
import { flush } from '../helpers/virtual-clock.js';
import { recordEvents, scriptedFacade } from '../helpers/scripted-facade.js';

/** An MQTT.js-style client over a scripted broker, recording its EventEmitter events. */
function facade(options: ClientOptions = {}, brokerOptions: ScriptedBrokerOptions = { autoConnack: true }) {
  const made = scriptedFacade({ clientId: 'compat', ...options }, brokerOptions);
  return { ...made, events: recordEvents(made.client) };
}

describe('the MQTT.js facade over the connection', () => {
  it('emits connect, close, offline, reconnect, connect across a drop, with MQTT.js booleans', async () => {
    const { client, broker, clock, events } = facade();
    await flush();
    expect(client.connected).toBe(true);
    const connectedInClose: boolean[] = [];
    client.on('close', () => connectedInClose.push(client.connected));
    broker.last.close();
    expect(connectedInClose).toEqual([false]);
    expect(client.reconnecting).toBe(true);
    expect(client.disconnected).toBe(true);
    await clock.advance(1000);
    expect(events).toEqual(['connect', 'close', 'offline', 'reconnect', 'connect']);
    expect(client.connected).toBe(true);
    expect(client.reconnecting).toBe(false);
  });

  it('reports an MQTT 5 Assigned Client Identifier in options.clientId, as MQTT.js does', async () => {
    const { client } = facade(
      { clientId: '', protocolVersion: 5 },
      { protocolVersion: 5, autoConnack: { sessionPresent: false, reasonCode: 0, properties: { assignedClientIdentifier: 'given-by-broker' } } },
    );
    await flush();
    expect(client.connected).toBe(true);
    expect(client.options.clientId).toBe('given-by-broker');
  });

  it('hands broker misbehaviour to an error listener as a ProtocolError', async () => {
    const { client, broker } = facade();
    const errors: Error[] = [];
    client.on('error', (error: Error) => errors.push(error));
    await flush();
    broker.last.raw([0x00, 0x00]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ProtocolError);
  });

  it('survives a misbehaving broker with no error listener attached', async () => {
    const { client, broker, clock, events } = facade();
    await flush();
    expect(() => broker.last.reply({ cmd: 'pingreq' })).not.toThrow();
    await clock.advance(1000);
    expect(events).toEqual(['connect', 'close', 'offline', 'reconnect', 'connect']);
    expect(client.connected).toBe(true);
  });

  it('reports a keepalive timeout through the error event and reconnects', async () => {
    const { client, broker, clock, events } = facade({ keepalive: 5 });
    const errors: string[] = [];
    client.on('error', (error) => errors.push((error as TimeoutError).kind));
    await flush();
    await clock.advance(10_000);
    expect(errors).toEqual(['ERR_KEEPALIVE_TIMEOUT']);
    expect(broker.connections[0]?.commands).toEqual(['connect', 'pingreq']);
    await clock.advance(1000);
    expect(events).toEqual(['connect', 'close', 'offline', 'reconnect', 'connect']);
  });

  it('emits end, then calls the end() callback, after DISCONNECT (MQTT.js 5 order)', async () => {
    const { client, broker, events } = facade();
    await flush();
    const order: string[] = [];
    client.on('end', () => order.push('end event'));
    client.end(() => order.push('callback'));
    await flush();
    expect(order).toEqual(['end event', 'callback']);
    expect(broker.last.commands).toEqual(['connect', 'disconnect']);
    expect(events).toEqual(['connect', 'close', 'end']);
  });
});
