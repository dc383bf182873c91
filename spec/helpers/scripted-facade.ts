/**
 * The MQTT.js-style `MqttClient` over a scripted broker in virtual time: what the compat specs
 * drive. The broker decodes with the client's protocol version unless told otherwise.
 */
import { asTransportFactory, MqttClient } from '../../lib/compat/compat.js';
import type { ClientOptions } from '../../lib/options/client-options.js';
import { scriptedBroker, type ScriptedBrokerOptions } from './scripted-broker.js';
import { VirtualClock } from './virtual-clock.js';

export function scriptedFacade(options: ClientOptions = {}, brokerOptions: ScriptedBrokerOptions = { autoConnack: true }) {
  const clock = new VirtualClock();
  const broker = scriptedBroker({ protocolVersion: options.protocolVersion ?? 4, ...brokerOptions });
  const client = new MqttClient(asTransportFactory(broker.factory), {
    clientId: 'facade',
    keepalive: 0,
    reconnectPeriod: 1000,
    scheduler: clock.scheduler,
    ...options,
  });
  return { client, broker, clock };
}

/** Every 'error' the client emits (adding the listener: without one, errors are only logged). */
export function recordErrors<E extends Error = Error>(client: MqttClient): E[] {
  const errors: E[] = [];
  client.on('error', (error) => errors.push(error as E));
  return errors;
}

const LIFECYCLE = ['connect', 'close', 'offline', 'reconnect', 'disconnect', 'end'] as const;

/** The names of the lifecycle events the client emits, in order. */
export function recordEvents(client: MqttClient): string[] {
  const events: string[] = [];
  for (const name of LIFECYCLE) client.on(name, () => events.push(name));
  return events;
}
