// Shared fixtures for the integration specs: a fresh aedes per test, rxmqtt and MQTT.js clients
// that are all force-closed afterwards, and event-driven waits with deadlines (no sleeps).
import mqtt from 'mqtt';
import { filter, firstValueFrom, type Observable, take, timeout, toArray } from 'rxjs';
import { MqttClient, connect, type ClientOptions, type Packet } from '../../lib/index.js';
import { startAedes, type AedesHandle } from '../helpers/aedes.js';
import { HANG_DEADLINE_MS, once, within } from '../helpers/wait.js';

/** No automatic reconnect and short deadlines: a test that needs more says so. */
export const QUICK: ClientOptions = { reconnectPeriod: 0, connectTimeout: HANG_DEADLINE_MS, endTimeout: 3000 };

export type Transport = 'in-memory' | 'tcp';
export const TRANSPORTS: Transport[] = ['in-memory', 'tcp'];

export interface Fixture {
  aedes: AedesHandle;
  /** An rxmqtt client (connecting) over `transport`; closed after the test. */
  rx(transport?: Transport, options?: ClientOptions): MqttClient;
  /** An MQTT.js client (connecting); closed after the test. */
  js(transport?: Transport, options?: mqtt.IClientOptions): mqtt.MqttClient;
  /** Registers anything else to close after the test. */
  defer(teardown: () => unknown): void;
}

/**
 * Starts a fresh aedes before each test of the calling `describe`, and after each test ends every
 * client it made (force) and closes the broker. Returns an accessor for the current fixture.
 */
export function useAedes(): () => Fixture {
  let current: Fixture | undefined;
  let teardowns: Array<() => unknown> = [];
  beforeEach(async () => {
    const aedes = await startAedes();
    teardowns = [];
    const defer = (teardown: () => unknown) => void teardowns.push(teardown);
    current = {
      aedes,
      defer,
      rx(transport = 'in-memory', options = {}) {
        const client =
          transport === 'tcp'
            ? connect(aedes.url, { ...QUICK, ...options })
            : new MqttClient(() => aedes.connectStream(), { ...QUICK, ...options });
        // An unhandled 'error' must not crash a test: rxmqtt logs it when nobody listens anyway.
        defer(() => client.endAsync(true));
        return client;
      },
      js(transport = 'in-memory', options = {}) {
        const opts = { reconnectPeriod: 0, connectTimeout: HANG_DEADLINE_MS, ...options };
        const client =
          transport === 'tcp'
            ? mqtt.connect(aedes.url, opts)
            : new mqtt.MqttClient(() => aedes.connectStream() as never, opts);
        client.on('error', () => undefined);
        defer(() => client.endAsync(true));
        return client;
      },
    };
  });
  afterEach(async () => {
    const pending = teardowns.reverse();
    teardowns = [];
    for (const teardown of pending) await within(Promise.resolve(teardown()), 'teardown').catch(() => undefined);
    await current?.aedes.close();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('useAedes(): fixture used outside a test');
    return current;
  };
}

/** Resolves once the client is connected (at once if it already is). */
export async function connected<C extends { connected: boolean }>(client: C, timeoutMs = HANG_DEADLINE_MS): Promise<C> {
  if (!client.connected) await once(client as never, 'connect', { timeoutMs });
  return client;
}

/** `promise`, or a rejection naming `what` after a generous deadline: every wait in these specs is bounded. */
export { within };

/** The next `n` packets of type `cmd` on a packet stream; subscribe (call) before acting. */
export function nextPackets(packets$: Observable<Packet>, cmd: Packet['cmd'], n = 1, timeoutMs = HANG_DEADLINE_MS): Promise<Packet[]> {
  return firstValueFrom(
    packets$.pipe(
      filter((packet) => packet.cmd === cmd),
      take(n),
      toArray(),
      timeout({ first: timeoutMs }),
    ),
  );
}

/** Records every packet of a stream (e.g. `client.packetsOut$`) until the test ends. */
export function record(fixture: Fixture, packets$: Observable<Packet>): Packet[] {
  const seen: Packet[] = [];
  const subscription = packets$.subscribe((packet) => seen.push(packet));
  fixture.defer(() => subscription.unsubscribe());
  return seen;
}

/** Subscribes `stream$` and resolves once the client has received the SUBACK that opened it. */
export async function subscribed<T>(client: MqttClient, stream$: Observable<T>, next: (value: T) => void = () => undefined, onError?: (error: Error) => void) {
  const suback = nextPackets(client.packetsIn$, 'suback');
  const subscription = stream$.subscribe({ next, error: onError ?? (() => undefined) });
  await suback;
  return subscription;
}

/** Payload bytes that are not valid UTF-8, so a text round trip would corrupt them. */
export const BINARY = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x7f, 0x0a, 0x0d, 0xc3, 0x28]);

/** Destroys the broker's end of a client's connection: to the client, an abrupt network drop. */
export function dropFromBroker(aedes: AedesHandle, clientId: string): void {
  const clients = (aedes.broker as unknown as { clients: Record<string, { conn: { destroy(): void } } | undefined> }).clients;
  const client = clients[clientId];
  if (!client) throw new Error(`aedes has no client ${clientId}`);
  client.conn.destroy();
}
