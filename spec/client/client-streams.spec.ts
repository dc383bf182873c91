/**
 * ClientStreams, where a client's connection reports to, called as the connection calls it: what
 * it makes lazily (an idle client holds no Subject and no routes), what each hook reaches, and in
 * which order.
 */
import { Subject } from 'rxjs';
import { ClientStreams } from '../../lib/client/client-streams.js';
import type { ClientEvent, ConnectionState } from '../../lib/connection/connection-state.js';
import { DecodeError, SubackError } from '../../lib/errors.js';
import type { IPublishPacket, Packet } from '../../lib/protocol/codec.js';
import type { ClientHooks } from '../../lib/client/client-types.js';
import type { CommandRequest, Connection } from '../../lib/connection/connection.js';
import { RxMqttClient } from '../../lib/client/client.js';
import { resolveOptions } from '../../lib/options/options.js';
import { scriptedBroker } from '../helpers/scripted-broker.js';
import { VirtualClock } from '../helpers/virtual-clock.js';

const publish: IPublishPacket = { cmd: 'publish', topic: 'a/b', payload: Buffer.from('x'), qos: 0, retain: false, dup: false };
const pingresp: Packet = { cmd: 'pingresp' };

/** The Subjects an object holds in its own fields. */
function subjects(holder: object): number {
  return Object.values(holder).filter((value) => value instanceof Subject).length;
}

function setup(hooks: ClientHooks = {}) {
  const subscribed: string[] = [];
  // What the routes use of the connection: submit (SUBSCRIBE/UNSUBSCRIBE) and the session's CONNACK.
  const connection = {
    submit: (request: CommandRequest) => request.type === 'subscribe' && subscribed.push(...request.subscriptions.map((s) => s.topic)),
    session: {},
  } as unknown as Connection;
  // MQTT 3.1.1: no Subscription Identifiers, messages are routed by topic.
  const streams = new ClientStreams(hooks, resolveOptions(undefined, { clientId: 'streams' }));
  streams.attach(connection);
  return { streams, subscribed };
}

describe('ClientStreams', () => {
  it('makes no Subject and no routes while nothing reads a stream, whatever the connection reports', () => {
    const { streams } = setup();
    streams.onState({ status: 'connecting', attempt: 1 } as ConnectionState);
    streams.onEvent({ type: 'reconnect' } as ClientEvent);
    streams.onMessage(publish);
    streams.onPacketIn(pingresp);
    streams.onPacketOut(pingresp);
    streams.onResubscribeFailed(new SubackError('a/#', 0x87));
    streams.decodeFailed(new DecodeError('a/b', new SyntaxError('x')));
    streams.onEvent({ type: 'end' } as ClientEvent);
    expect(subjects(streams)).toBe(0);
    expect(streams.routesIfAny).toBeUndefined();
    expect(streams.state).toEqual({ status: 'connecting', attempt: 1 });
  });

  it('leaves a connected client nobody reads from without a Subject', async () => {
    const clock = new VirtualClock();
    const broker = scriptedBroker({ autoConnack: true });
    const client = new RxMqttClient(resolveOptions(undefined, { clientId: 'idle', keepalive: 0, scheduler: clock.scheduler }), broker.factory);
    client.connect();
    await clock.advance(10);
    expect(client.state.status).toBe('connected');
    // The client's own fields, and what they hold, one level down (ClientStreams among them).
    const held = [client, ...Object.values(client)].filter((value): value is object => typeof value === 'object' && value !== null);
    expect(held.reduce((count, holder) => count + subjects(holder), 0)).toBe(0);
    await client.end({ force: true });
  });

  it('makes each Subject on the first read of its stream, and returns the same Observable every time', () => {
    const { streams } = setup();
    expect(streams.messages$).toBe(streams.messages$);
    expect(streams.packetsIn$).toBe(streams.packetsIn$);
    expect(streams.connected$).toBe(streams.connected$);
    // messages$, packetsIn$, and the state Subject behind connected$.
    expect(subjects(streams)).toBe(3);
  });

  it('replays the current state to the first state$ reader, however late', () => {
    const { streams } = setup();
    streams.onState({ status: 'connecting', attempt: 1 } as ConnectionState);
    const seen: string[] = [];
    streams.state$.subscribe((state) => seen.push(state.status));
    streams.connected$.subscribe((up) => seen.push(String(up)));
    streams.onState({ status: 'connected', attempt: 1 } as ConnectionState);
    expect(seen).toEqual(['connecting', 'false', 'connected', 'true']);
  });

  it('passes packets and messages only to streams someone subscribed to', () => {
    const { streams } = setup();
    const packetsIn: Packet[] = [];
    streams.packetsOut$.subscribe(); // read and listened to, but not the one packets go to below
    streams.packetsIn$.subscribe((packet) => packetsIn.push(packet));
    const messages: string[] = [];
    streams.messages$.subscribe((message) => messages.push(message.topic));
    streams.onPacketIn(pingresp);
    streams.onMessage(publish);
    expect(packetsIn).toEqual([pingresp]);
    expect(messages).toEqual(['a/b']);
  });

  it('routes messages, refusals and the end to the topic() routes once a stream made them', async () => {
    const { streams, subscribed } = setup();
    const log: string[] = [];
    streams.observe('a/+').subscribe({ next: (m) => log.push(`next ${m.topic}`), complete: () => log.push('complete') });
    streams.observe('z/#').subscribe({ error: (e: SubackError) => log.push(`error ${e.topic}`) });
    await Promise.resolve(); // the streams' SUBSCRIBE leaves at the end of the turn
    expect(subscribed).toEqual(['a/+', 'z/#']);
    streams.onMessage(publish);
    streams.onResubscribeFailed(new SubackError('z/#', 0x87));
    streams.onEvent({ type: 'end' } as ClientEvent);
    expect(log).toEqual(['next a/b', 'error z/#', 'complete']);
    expect(streams.routesIfAny).toBe(streams.routes);
  });

  it('gives the facade hook each event before events$ subscribers, and reports decode failures on decodeErrors$', () => {
    const log: string[] = [];
    const { streams } = setup({ onEvent: (event) => log.push(`hook ${event.type}`) });
    streams.events$.subscribe((event) => log.push(`events$ ${event.type}`));
    streams.decodeErrors$.subscribe((error) => log.push(`decodeErrors$ ${error.topic}`));
    streams.onEvent({ type: 'offline' } as ClientEvent);
    streams.decodeFailed(new DecodeError('a/b', new SyntaxError('x')));
    expect(log).toEqual(['hook offline', 'events$ offline', 'decodeErrors$ a/b']);
  });

  it("looks the facade's handleMessage and handleAuth up on every call", () => {
    let handler: (() => void) | undefined;
    const { streams } = setup({ handleMessage: () => handler as never, handleAuth: () => handler as never });
    expect(streams.handleMessage()).toBeUndefined();
    handler = () => undefined;
    expect(streams.handleMessage()).toBe(handler);
    expect(streams.handleAuth()).toBe(handler);
  });
});
