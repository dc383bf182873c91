// Errors as an MQTT.js app observes them through the facade: what the publish callback gets for
// an MQTT 5 refusal, what 'error' carries for a bad customHandleAcks answer or a bad option, and
// MQTT.js's message texts. A scripted MQTT 5 broker sends what aedes (MQTT 3.1.1 only) cannot.
import { asTransportFactory } from '../../lib/compat/compat.js';
import { ErrorWithReasonCode, InvalidArgumentError, MqttClient, PublishError, type ClientOptions, type Packet } from '../../lib/index.js';
import { accepting, scriptedBroker } from '../helpers/scripted-broker.js';
import { flush, VirtualClock } from '../helpers/virtual-clock.js';

type Outcome = { error: Error | null | undefined; packet: Packet | undefined };

function facade(options: ClientOptions = {}) {
  const clock = new VirtualClock();
  const broker = scriptedBroker({ protocolVersion: 5 });
  const client = new MqttClient(asTransportFactory(broker.factory), {
    clientId: 'errors',
    protocolVersion: 5,
    keepalive: 0,
    reconnectPeriod: 0,
    scheduler: clock.scheduler,
    ...options,
  });
  const errors: Error[] = [];
  client.on('error', (error: Error) => errors.push(error));
  return { client, broker, errors, clock };
}

async function connectedFacade(options: ClientOptions = {}, connack: Parameters<typeof accepting>[0] = {}) {
  const f = facade(options);
  await flush();
  f.broker.last.reply(accepting(connack));
  await flush();
  expect(f.client.connected).toBe(true);
  return f;
}

function lastSent(f: ReturnType<typeof facade>, cmd: Packet['cmd']): Packet & { messageId?: number; reasonCode?: number } {
  const packet = f.broker.last.received.filter((p) => p.cmd === cmd).at(-1);
  if (!packet) throw new Error(`the client sent no ${cmd}`);
  return packet;
}

function publishOutcome(client: MqttClient, qos: 1 | 2): Promise<Outcome> {
  return new Promise((resolve) => client.publish('a/b', 'message', { qos }, (error, packet) => resolve({ error, packet })));
}

describe('a publish the MQTT 5 broker refuses', () => {
  it.each([
    ['puback', 1],
    ['pubrec', 2],
  ] as const)('calls back with an ErrorWithReasonCode and the %s itself (QoS %i), in MQTT.js words', async (cmd, qos) => {
    const f = await connectedFacade();
    const outcome = publishOutcome(f.client, qos);
    await flush();
    const ack = { cmd, messageId: lastSent(f, 'publish').messageId, reasonCode: 0x87 } as Packet;
    f.broker.last.reply(ack);
    const { error, packet } = await outcome;
    expect(error).toBeInstanceOf(ErrorWithReasonCode);
    expect(error).toBeInstanceOf(PublishError);
    expect(error).toMatchObject({ message: 'Publish error: Not authorized', code: 0x87, kind: 'ERR_PUBLISH' });
    expect(packet).toMatchObject({ cmd, messageId: (ack as { messageId: number }).messageId, reasonCode: 0x87 });
    expect((error as { packet?: unknown }).packet).toBe(packet);
  });

  it('calls back with the PUBCOMP when the broker fails the exchange at its last step', async () => {
    const f = await connectedFacade();
    const outcome = publishOutcome(f.client, 2);
    await flush();
    const { messageId } = lastSent(f, 'publish');
    f.broker.last.reply({ cmd: 'pubrec', messageId });
    await flush();
    f.broker.last.reply({ cmd: 'pubcomp', messageId, reasonCode: 0x92 });
    const { error, packet } = await outcome;
    expect(error).toMatchObject({ message: 'Publish error: Packet Identifier not found', code: 0x92 });
    expect(packet).toMatchObject({ cmd: 'pubcomp', messageId, reasonCode: 0x92 });
  });

  it('rejects publishAsync with the error, which holds the acknowledgement', async () => {
    const f = await connectedFacade();
    const outcome = f.client.publishAsync('a/b', 'x', { qos: 1 }).then(() => undefined, (e: unknown) => e as Error);
    await flush();
    f.broker.last.reply({ cmd: 'puback', messageId: lastSent(f, 'publish').messageId, reasonCode: 0x97 });
    const error = await outcome;
    expect(error).toMatchObject({ message: 'Publish error: Quota exceeded', code: 0x97, packet: { cmd: 'puback', reasonCode: 0x97 } });
  });
});
