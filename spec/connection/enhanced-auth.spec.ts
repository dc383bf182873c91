/**
 * MQTT 5 enhanced authentication (4.12) end to end over a scripted broker: the AUTH challenge
 * loop before CONNACK through `handleAuth`, re-authentication on a live connection, and how each
 * failure surfaces (AuthError, ProtocolError, DISCONNECT reason codes). mosquitto has no enhanced
 * authentication without plugins, so the broker side is scripted.
 */
import { once } from 'node:events';
import { firstValueFrom } from 'rxjs';
import type { IAuthPacket, Packet } from '../../lib/protocol/codec.js';
import { asTransportFactory, MqttClient } from '../../lib/compat/compat.js';
import { AuthError, ProtocolError, TimeoutError } from '../../lib/errors.js';
import { connectOptionsError, resolveOptions } from '../../lib/options/options.js';
import type { ClientOptions } from '../../lib/options/client-options.js';
import type { HandleAuth } from '../../lib/options/handlers.js';
import { accepting, scriptedBroker } from '../helpers/scripted-broker.js';
import { flush, VirtualClock } from '../helpers/virtual-clock.js';
import { harness } from './harness.js';

const METHOD = 'SCRAM-SHA-256';
const v5 = { protocolVersion: 5 as const, reconnectPeriod: 0, keepalive: 0 };
const withMethod: ClientOptions = { ...v5, properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('client-first') } };

function serverAuth(reasonCode: number, data?: string, method = METHOD): IAuthPacket {
  const properties: IAuthPacket['properties'] = { authenticationMethod: method };
  if (data !== undefined) properties.authenticationData = Buffer.from(data);
  return { cmd: 'auth', reasonCode, properties };
}

/** The AUTH packets the client sent: [reason code, method, data]. */
function auths(packets: Packet[]): [number, string | undefined, string | undefined][] {
  return packets.flatMap((p) => (p.cmd === 'auth' ? [[p.reasonCode, p.properties?.authenticationMethod, p.properties?.authenticationData?.toString()]] : []));
}

/** A SCRAM-like handler: answers `server-first` with `client-final`, anything else with `client-<data>`; asynchronously, as a real one would. */
const scramLike: HandleAuth = (packet, callback) => {
  const challenge = packet.properties?.authenticationData?.toString();
  const answer = challenge === 'server-first' ? 'client-final' : `client-${challenge}`;
  void Promise.resolve().then(() => callback(null, { reasonCode: 0x18, properties: { authenticationData: Buffer.from(answer) } }));
};

const connackWithMethod = accepting({ properties: { authenticationMethod: METHOD } });

describe('enhanced authentication while connecting', () => {
  it('completes a two-step SCRAM-like challenge loop through handleAuth, then connects', async () => {
    const h = await harness({ client: { ...withMethod, handleAuth: scramLike }, broker: { protocolVersion: 5 } });
    const received: string[] = [];
    h.client.packetsIn$.subscribe((p) => received.push(p.cmd));
    const broker = h.broker.last;
    expect(broker.packets('connect')[0]?.properties).toMatchObject({ authenticationMethod: METHOD });
    broker.reply(serverAuth(0x18, 'server-first'));
    await flush();
    broker.reply(serverAuth(0x18, 'server-final'));
    await flush();
    expect(auths(broker.received)).toEqual([
      [0x18, METHOD, 'client-final'],
      [0x18, METHOD, 'client-server-final'],
    ]);
    broker.reply(connackWithMethod);
    await flush();
    expect(h.client.state.status).toBe('connected');
    // AUTH packets reach packetsIn$ (the facade's 'packetreceive') like any other.
    expect(received).toEqual(['auth', 'auth', 'connack']);
    expect(h.errors()).toEqual([]);
  });

  it('fails the attempt with an AuthError and DISCONNECT 0x80 when handleAuth reports an error', async () => {
    const refusal = new Error('no such user');
    const h = await harness({ client: { ...withMethod, handleAuth: (_p, cb) => cb(refusal) }, broker: { protocolVersion: 5 } });
    h.broker.last.reply(serverAuth(0x18, 'server-first'));
    await flush();
    expect(h.broker.last.packets('disconnect')).toEqual([expect.objectContaining({ reasonCode: 0x80 })]);
    expect(h.broker.last.commands).toEqual(['connect', 'disconnect']);
    const [error] = h.errors();
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: 'ERR_AUTH', reasonCode: 0x80, cause: refusal });
    expect(h.client.state).toMatchObject({ status: 'offline', cause: error });
  });

  it('fails at once with an AuthError and DISCONNECT 0x83 when no handleAuth is configured, instead of waiting for connectTimeout', async () => {
    const h = await harness({ client: { ...withMethod, connectTimeout: 30_000 }, broker: { protocolVersion: 5 } });
    h.broker.last.reply(serverAuth(0x18, 'server-first'));
    await flush();
    expect(h.clock.now).toBe(0);
    expect(h.errors()).toEqual([expect.objectContaining({ code: 'ERR_AUTH', reasonCode: 0x83 })]);
    expect(h.broker.last.packets('disconnect')).toEqual([expect.objectContaining({ reasonCode: 0x83 })]);
    expect(h.client.state.status).toBe('offline');
  });

  it('lets connectTimeout cover a handler that never answers, and drops its late answer', async () => {
    const callbacks: Parameters<HandleAuth>[1][] = [];
    const handleAuth: HandleAuth = (_p, cb) => void callbacks.push(cb);
    const h = await harness({ client: { ...withMethod, connectTimeout: 5000, reconnectPeriod: 1000, handleAuth }, broker: { protocolVersion: 5 } });
    h.broker.last.reply(serverAuth(0x18, 'server-first'));
    await h.clock.advance(5000);
    expect(h.errors().map((e) => e.code)).toEqual(['ERR_CONNECT_TIMEOUT']);
    await h.clock.advance(1000);
    expect(h.broker.connections).toHaveLength(2);
    // The second connection has a challenge of its own waiting: the first one's answer must not fill it.
    h.broker.last.reply(serverAuth(0x18, 'server-first'));
    callbacks[0]!(null, { properties: { authenticationData: Buffer.from('too late') } });
    await flush();
    expect(h.broker.connections.map((c) => auths(c.received))).toEqual([[], []]);
    callbacks[1]!(null, { properties: { authenticationData: Buffer.from('in time') } });
    await flush();
    expect(auths(h.broker.last.received)).toEqual([[0x18, METHOD, 'in time']]);
  });

  it('treats an AUTH after a CONNECT without Authentication Method as a protocol error 0x82 [MQTT-4.12.0-6]', async () => {
    const h = await harness({ client: { ...v5, handleAuth: scramLike }, broker: { protocolVersion: 5 } });
    h.broker.last.reply(serverAuth(0x18, 'server-first'));
    await flush();
    expect(h.errors()).toEqual([expect.any(ProtocolError)]);
    expect(h.errors()[0]?.reasonCode).toBe(0x82);
    expect(h.broker.last.commands).toEqual(['connect', 'disconnect']);
    expect(h.broker.last.packets('disconnect')[0]?.reasonCode).toBe(0x82);
  });

  it('treats an AUTH naming another Authentication Method as a protocol error [MQTT-4.12.0-5]', async () => {
    const h = await harness({ client: { ...withMethod, handleAuth: scramLike }, broker: { protocolVersion: 5 } });
    h.broker.last.reply(serverAuth(0x18, 'server-first', 'PLAIN'));
    await flush();
    expect(h.errors().map((e) => [e.kind, e.code, e.reasonCode])).toEqual([['ERR_PROTOCOL', 0x82, 0x82]]);
    expect(auths(h.broker.last.received)).toEqual([]);
  });

  it('puts authPacket method and data into the CONNECT and sends no AUTH after it (only a server sends Success)', async () => {
    const authPacket = { properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('token') } };
    const h = await harness({ client: { ...v5, authPacket }, broker: { protocolVersion: 5, autoConnack: connackWithMethod } });
    await flush();
    expect(h.broker.last.packets('connect')[0]?.properties).toMatchObject({ authenticationMethod: METHOD, authenticationData: Buffer.from('token') });
    expect(h.broker.last.commands).toEqual(['connect']);
    expect(h.client.state.status).toBe('connected');
  });
});

describe('enhanced authentication options', () => {
  it('lets properties.authenticationMethod win over authPacket, its data included', async () => {
    const authPacket = { properties: { authenticationMethod: 'OTHER', authenticationData: Buffer.from('other') } };
    const h = await harness({ client: { ...withMethod, authPacket }, broker: { protocolVersion: 5 } });
    expect(h.broker.last.packets('connect')[0]?.properties).toMatchObject({ authenticationMethod: METHOD, authenticationData: Buffer.from('client-first') });
  });

  it('builds no CONNECT from Authentication Data without an Authentication Method (3.1.2.11.10), on MQTT 5 only', () => {
    // Reported on 'error' when connecting, as MQTT.js does (spec/compat/compat-errors.spec.ts).
    const properties = { authenticationData: Buffer.from('x') };
    expect(connectOptionsError(resolveOptions(undefined, { protocolVersion: 5, properties }))).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    // An authPacket without a method is ignored: its data goes nowhere.
    expect(connectOptionsError(resolveOptions(undefined, { protocolVersion: 5, authPacket: { properties } }))).toBeUndefined();
    expect(connectOptionsError(resolveOptions(undefined, { protocolVersion: 5, properties: { ...properties, authenticationMethod: METHOD } }))).toBeUndefined();
    expect(connectOptionsError(resolveOptions(undefined, { protocolVersion: 4, properties }))).toBeUndefined();
  });

  it('refuses a handleAuth that is not a function', () => {
    expect(() => resolveOptions(undefined, { handleAuth: 'yes' as unknown as HandleAuth })).toThrow(/handleAuth must be a function/);
  });
});

describe('re-authentication on a live connection (4.12.1)', () => {
  async function live(options: ClientOptions = {}) {
    const h = await harness({ client: { ...withMethod, handleAuth: scramLike, ...options }, broker: { protocolVersion: 5, autoConnack: connackWithMethod } });
    await flush();
    expect(h.client.state.status).toBe('connected');
    return h;
  }

  it('sends AUTH 0x19 with the CONNECT method, answers the challenge, and resolves with the server Success', async () => {
    const h = await live();
    const done = h.client.reauthenticate({ authenticationData: Buffer.from('fresh') });
    await flush();
    const broker = h.broker.last;
    expect(auths(broker.received)).toEqual([[0x19, METHOD, 'fresh']]);
    broker.reply(serverAuth(0x18, 'nonce'));
    await flush();
    expect(auths(broker.received).slice(1)).toEqual([[0x18, METHOD, 'client-nonce']]);
    // Traffic goes on under the previous authentication meanwhile.
    const published = firstValueFrom(h.client.publish$('t', 'during', { qos: 1 }));
    await flush();
    broker.reply({ cmd: 'puback', messageId: 1 });
    await expect(published).resolves.toMatchObject({ messageId: 1 });
    const success = serverAuth(0x00);
    broker.reply(success);
    await expect(done).resolves.toMatchObject({ cmd: 'auth', reasonCode: 0x00, properties: { authenticationMethod: METHOD } });
    expect(h.client.state.status).toBe('connected');
  });

  it('rejects with an AuthError and sends nothing when the CONNECT had no Authentication Method [MQTT-4.12.0-7]', async () => {
    const h = await harness({ client: v5, broker: { protocolVersion: 5, autoConnack: true } });
    await flush();
    const sentBefore = h.broker.last.received.length;
    await expect(h.client.reauthenticate({ authenticationData: Buffer.from('x') })).rejects.toMatchObject({ code: 'ERR_AUTH' });
    await flush();
    expect(h.broker.last.received).toHaveLength(sentBefore);
    expect(h.client.state.status).toBe('connected');
  });

  it('rejects with an AuthError carrying 0x87 when the server answers with DISCONNECT Not authorized', async () => {
    const h = await live();
    const done = h.client.reauthenticate({ authenticationData: Buffer.from('stale') });
    await flush();
    h.broker.last.reply({ cmd: 'disconnect', reasonCode: 0x87 });
    await expect(done).rejects.toBeInstanceOf(AuthError);
    await expect(done).rejects.toMatchObject({ code: 'ERR_AUTH', reasonCode: 0x87 });
  });

  it('rejects a second call while one is under way, and sends it nowhere', async () => {
    const h = await live();
    const first = h.client.reauthenticate();
    await expect(h.client.reauthenticate()).rejects.toThrow(/already in progress/);
    await flush();
    expect(auths(h.broker.last.received)).toHaveLength(1);
    h.broker.last.reply(serverAuth(0x00));
    await expect(first).resolves.toMatchObject({ reasonCode: 0x00 });
  });

  it('disconnects with 0x80 and rejects when handleAuth refuses a re-authentication challenge [MQTT-4.12.1-2]', async () => {
    const h = await live({ handleAuth: (_p, cb) => cb(new Error('expired')) });
    const done = h.client.reauthenticate();
    await flush();
    h.broker.last.reply(serverAuth(0x18, 'nonce'));
    await expect(done).rejects.toMatchObject({ code: 'ERR_AUTH', reasonCode: 0x80 });
    expect(h.broker.last.packets('disconnect')).toEqual([expect.objectContaining({ reasonCode: 0x80 })]);
    expect(h.client.state.status).toBe('offline');
  });

  it('fails with a TimeoutError after reauthTimeout without AUTH Success, and closes with DISCONNECT 0x80 [MQTT-4.12.1-2]', async () => {
    const h = await live({ reauthTimeout: 2000, connectTimeout: 30_000 });
    const outcome = h.client.reauthenticate().catch((error: unknown) => error);
    await flush();
    h.broker.last.reply(serverAuth(0x18, 'nonce')); // a challenge, answered, then silence
    await h.clock.advance(1999);
    expect(h.broker.last.packets('disconnect')).toEqual([]);
    expect(h.client.state.status).toBe('connected');
    await h.clock.advance(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ kind: 'ERR_REAUTH_TIMEOUT', code: 'ERR_REAUTH_TIMEOUT' });
    expect(h.broker.last.packets('disconnect')).toEqual([expect.objectContaining({ reasonCode: 0x80 })]);
    expect(h.broker.last.status).toBe('closed');
    expect(h.client.state).toMatchObject({ status: 'offline', cause: error });
  });

  it('waits connectTimeout for a re-authentication when reauthTimeout is not set', async () => {
    const h = await live({ connectTimeout: 7000 });
    const outcome = h.client.reauthenticate().catch((error: unknown) => error);
    await h.clock.advance(6999);
    expect(h.client.state.status).toBe('connected');
    await h.clock.advance(1);
    expect(await outcome).toMatchObject({ kind: 'ERR_REAUTH_TIMEOUT' });
  });

  it('cancels the reauthTimeout timer when the server ends the re-authentication in time', async () => {
    const h = await live({ reauthTimeout: 2000 });
    const done = h.client.reauthenticate();
    await flush();
    h.broker.last.reply(serverAuth(0x00));
    await expect(done).resolves.toMatchObject({ reasonCode: 0x00 });
    await h.clock.advance(10_000);
    expect(h.broker.last.packets('disconnect')).toEqual([]);
    expect(h.client.state.status).toBe('connected');
  });

  it('refuses a reauthTimeout that is not a positive integer', () => {
    expect(() => resolveOptions(undefined, { reauthTimeout: 0 })).toThrow(/reauthTimeout must be an integer/);
  });

  it('rejects with ClientClosedError once end() was called, and sends nothing', async () => {
    const h = await live();
    void h.client.end();
    await expect(h.client.reauthenticate()).rejects.toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
    expect(auths(h.broker.last.received)).toEqual([]);
  });

  it('rejects a pending re-authentication when the connection drops, and allows a new one on the next connection', async () => {
    const h = await live({ reconnectPeriod: 1000 });
    const done = h.client.reauthenticate$();
    const outcome = firstValueFrom(done).catch((error: unknown) => error);
    await flush();
    h.broker.last.close();
    expect(await outcome).toMatchObject({ code: 'ERR_AUTH', message: expect.stringMatching(/interrupted/) });
    await h.clock.advance(1000);
    expect(h.client.state.status).toBe('connected');
    const again = h.client.reauthenticate();
    await flush();
    h.broker.last.reply(serverAuth(0x00));
    await expect(again).resolves.toMatchObject({ reasonCode: 0x00 });
  });
});

describe('the MQTT.js facade', () => {
  function facade(options: ClientOptions = {}) {
    const clock = new VirtualClock();
    const broker = scriptedBroker({ protocolVersion: 5 });
    const client = new MqttClient(asTransportFactory(broker.factory), { clientId: 'compat', scheduler: clock.scheduler, ...withMethod, ...options });
    return { client, broker };
  }

  it('answers challenges with an overridden client.handleAuth and emits AUTH on packetreceive', async () => {
    const { client, broker } = facade();
    client.handleAuth = scramLike;
    const received: string[] = [];
    client.on('packetreceive', (packet: Packet) => received.push(packet.cmd));
    const connected = once(client, 'connect');
    await flush();
    broker.last.reply(serverAuth(0x18, 'server-first'));
    await flush();
    expect(auths(broker.last.received)).toEqual([[0x18, METHOD, 'client-final']]);
    broker.last.reply(connackWithMethod);
    await connected;
    expect(received).toEqual(['auth', 'connack']);

    const viaCallback = new Promise<IAuthPacket | undefined>((resolve, reject) =>
      client.reauthenticate({ authenticationData: Buffer.from('cb') }, (error, packet) => (error ? reject(error) : resolve(packet))),
    );
    await flush();
    broker.last.reply(serverAuth(0x00));
    await expect(viaCallback).resolves.toMatchObject({ reasonCode: 0x00 });
    const viaPromise = client.reauthenticateAsync({ authenticationData: Buffer.from('async') });
    await flush();
    broker.last.reply(serverAuth(0x00));
    await expect(viaPromise).resolves.toMatchObject({ reasonCode: 0x00 });
    expect(auths(broker.last.received).map(([code, , data]) => [code, data])).toEqual([[0x18, 'client-final'], [0x19, 'cb'], [0x19, 'async']]);
    await client.endAsync();
  });

  it("rejects a connect (as connectAsync does on 'error') with the AuthError when handleAuth fails", async () => {
    const { client, broker } = facade();
    client.handleAuth = (_packet, callback) => callback(new Error('bad proof'));
    const connecting = once(client, 'connect');
    await flush();
    broker.last.reply(serverAuth(0x18, 'server-first'));
    await expect(connecting).rejects.toMatchObject({ name: 'AuthError', code: 'ERR_AUTH', reasonCode: 0x80 });
    expect(broker.last.packets('disconnect')[0]?.reasonCode).toBe(0x80);
  });

  it('uses the handleAuth option when the method is not overridden', async () => {
    const { client, broker } = facade({ handleAuth: scramLike });
    const connected = once(client, 'connect');
    await flush();
    broker.last.reply(serverAuth(0x18, 'server-first'));
    await flush();
    broker.last.reply(connackWithMethod);
    await connected;
    expect(auths(broker.last.received)).toEqual([[0x18, METHOD, 'client-final']]);
    await client.endAsync();
  });
});
