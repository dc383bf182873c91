// A broker that refuses a filter when rxmqtt re-subscribes it after a reconnect without a session:
// the filter's topic() stream errors with SubackError, the client reports an 'error', and the
// streams of the filters it still accepts keep receiving.
import type { AedesOptions } from 'aedes';

type AuthorizeSubscribeHandler = NonNullable<AedesOptions['authorizeSubscribe']>;
import { SubackError, MqttClient, connect, type MqttMessage } from '../../lib/index.js';
import { startAedes, type AedesHandle } from '../helpers/aedes.js';
import { collect, once } from '../helpers/wait.js';
import { connected, dropFromBroker, nextPackets, QUICK, TRANSPORTS, within, type Transport } from './support.js';

/** Accepts each filter under `once/` the first time only: a permission revoked while the client was away. */
function revokedAfterFirstSubscribe(): AuthorizeSubscribeHandler {
  const seen = new Set<string>();
  return (_client, subscription, callback) => {
    if (!subscription.topic.startsWith('once/')) return callback(null, subscription);
    if (seen.has(subscription.topic)) return callback(null, null); // SUBACK 0x80 for this filter
    seen.add(subscription.topic);
    callback(null, subscription);
  };
}

describe('a resubscribe the broker refuses (aedes)', () => {
  let aedes: AedesHandle;
  let clients: MqttClient[];

  beforeEach(async () => {
    aedes = await startAedes({ authorizeSubscribe: revokedAfterFirstSubscribe() });
    clients = [];
  });

  afterEach(async () => {
    for (const client of clients) await within(client.endAsync(true), 'end').catch(() => undefined);
    await aedes.close();
  });

  function client(transport: Transport): MqttClient {
    // clean: true (the default): after the drop the broker has no session, so rxmqtt re-subscribes.
    const options = { ...QUICK, reconnectPeriod: 20 };
    const made = transport === 'tcp' ? connect(aedes.url, options) : new MqttClient(() => aedes.connectStream(), options);
    clients.push(made);
    return made;
  }

  it.each(TRANSPORTS)('errors the refused filter\'s topic() stream with SubackError and reports it (%s)', async (transport) => {
    const rx = await connected(client(transport));
    const publisher = await connected(client(transport));
    const errors: Error[] = [];
    rx.on('error', (error: Error) => errors.push(error));

    const refused = new Promise<Error>((resolve) => rx.topic('once/secret').subscribe({ error: resolve }));
    const kept: string[] = [];
    // Both streams open in this turn: one SUBSCRIBE, one SUBACK.
    const subacks = nextPackets(rx.packetsIn$, 'suback');
    rx.topic('open/+').subscribe((m: MqttMessage) => kept.push(m.payload.toString()));
    await subacks;

    const reconnected = once(rx, 'connect');
    const resubscribed = nextPackets(rx.packetsIn$, 'suback');
    dropFromBroker(aedes, rx.options.clientId);
    await reconnected;
    const [suback] = await resubscribed;
    expect(suback).toMatchObject({ granted: [128, 0] });

    const error = await within(refused, 'the topic() stream error');
    expect(error).toBeInstanceOf(SubackError);
    expect(error).toMatchObject({ kind: 'ERR_SUBACK', topic: 'once/secret', reasonCode: 128 });
    expect(errors).toEqual([error]);

    // The accepted filter still routes, and the refused one is not resubscribed on the next drop.
    const delivered = collect(rx.topic('open/+'), 1);
    await publisher.publishAsync('open/1', 'still routed', { qos: 1 });
    await delivered;
    expect(kept).toEqual(['still routed']);

    const again = once(rx, 'connect');
    const nextSubscribe = nextPackets(rx.packetsOut$, 'subscribe');
    dropFromBroker(aedes, rx.options.clientId);
    await again;
    const [subscribe] = await nextSubscribe;
    expect(subscribe).toMatchObject({ subscriptions: [{ topic: 'open/+' }] });
  });
});
