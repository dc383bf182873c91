/**
 * Shared set-up for the connection specs: an `RxMqttClient` wired to a scripted broker and a
 * virtual clock, with every state and event recorded.
 */
import { RxMqttClient } from '../../lib/client/client.js';
import type { Packet } from '../../lib/protocol/codec.js';
import type { MqttError } from '../../lib/errors.js';
import { resolveOptions } from '../../lib/options/options.js';
import type { ClientOptions } from '../../lib/options/client-options.js';
import type { ClientEvent, ConnectionState } from '../../lib/connection/connection-state.js';
import { scriptedBroker, type ScriptedBroker, type ScriptedBrokerOptions } from '../helpers/scripted-broker.js';
import { flush, VirtualClock } from '../helpers/virtual-clock.js';

export { flush };

export interface Harness {
  client: RxMqttClient;
  broker: ScriptedBroker;
  clock: VirtualClock;
  states: ConnectionState[];
  events: ClientEvent[];
  /** The event types in order ('error' events as 'error:<kind>'). */
  eventLog(): string[];
  /** The errors reported as 'error' events. */
  errors(): MqttError[];
  /** The state statuses in order. */
  statuses(): string[];
}

export interface HarnessOptions {
  client?: ClientOptions;
  broker?: ScriptedBrokerOptions;
  /** Call `client.connect()` and flush. @default true */
  connect?: boolean;
}

/** A client with a scripted broker and virtual time; connects (and flushes) unless told not to. */
export async function harness({ client: clientOptions = {}, broker: brokerOptions = {}, connect = true }: HarnessOptions = {}): Promise<Harness> {
  const clock = new VirtualClock();
  const broker = scriptedBroker({ protocolVersion: clientOptions.protocolVersion ?? 4, ...brokerOptions });
  const options = resolveOptions(undefined, { clientId: 'scripted', scheduler: clock.scheduler, ...clientOptions });
  const client = new RxMqttClient(options, broker.factory);
  const states: ConnectionState[] = [];
  const events: ClientEvent[] = [];
  client.state$.subscribe((state) => states.push(state));
  client.events$.subscribe((event) => events.push(event));
  const h: Harness = {
    client,
    broker,
    clock,
    states,
    events,
    eventLog: () => events.map((e) => (e.type === 'error' ? `error:${(e.error as MqttError).kind ?? e.error.name}` : e.type)),
    errors: () => events.flatMap((e) => (e.type === 'error' ? [e.error as MqttError] : [])),
    statuses: () => states.map((s) => s.status),
  };
  if (connect) {
    client.connect();
    await flush();
  }
  return h;
}

/** A harness whose broker accepts every CONNECT (no session present). */
export function connected(options: HarnessOptions = {}): Promise<Harness> {
  return harness({ ...options, broker: { autoConnack: true, ...options.broker } });
}

/** Fields mqtt-packet's parser sets on every packet from the fixed header; meaningful on PUBLISH only. */
const HEADER_FIELDS = ['dup', 'qos', 'retain', 'topic', 'payload'] as const;

/**
 * Decoded packets made comparable with `toEqual`: no `length`, no header fields on packets other
 * than PUBLISH, and PUBLISH payloads as strings.
 */
export function strip(packets: Packet[]): Record<string, unknown>[] {
  return packets.map((packet) => {
    const out: Record<string, unknown> = { ...packet };
    delete out.length;
    if (packet.cmd === 'publish') {
      out.payload = Buffer.isBuffer(packet.payload) ? packet.payload.toString() : packet.payload;
    } else {
      for (const field of HEADER_FIELDS) delete out[field];
    }
    return out;
  });
}
