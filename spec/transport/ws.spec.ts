// ws:// against aedes behind a real WebSocket server: sub-protocol, URL, round trips,
// transformWsUrl (sync, async, rejecting), createWebsocket, wsOptions and reconnects.
import type { IncomingMessage } from 'node:http';
import { filter, firstValueFrom, take, timeout } from 'rxjs';
import { WebSocket } from 'ws';
import { connect, type ClientOptions, type MqttClient, type MqttMessage } from '../../lib/index.js';
import { collect, HANG_DEADLINE_MS, once } from '../helpers/wait.js';
import { startWsBroker, type WsBroker } from './ws-broker.js';

const QUICK: ClientOptions = { reconnectPeriod: 0, connectTimeout: HANG_DEADLINE_MS, endTimeout: 3000 };

describe('ws:// transport', () => {
  let server: WsBroker | undefined;
  let clients: MqttClient[] = [];
  let unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);

  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.endAsync(true);
    await server?.close();
    server = undefined;
    process.off('unhandledRejection', onUnhandled);
  });

  async function start(accept?: (request: IncomingMessage) => boolean) {
    server = await startWsBroker({ accept });
    return server;
  }
  function client(url: string, options: ClientOptions = {}) {
    const c = connect(url, { ...QUICK, ...options });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  }
  const nextSuback = (c: MqttClient) => firstValueFrom(c.packetsIn$.pipe(filter((p) => p.cmd === 'suback'), take(1), timeout(HANG_DEADLINE_MS)));
  const connected = async (c: MqttClient) => {
    if (!c.connected) await once(c, 'connect');
    return c;
  };

  it('exposes the WebSocket duplex as client.stream, also behind an async transformWsUrl; destroying it drops the connection', async () => {
    const { port } = await start();
    const c = await connected(client(`ws://127.0.0.1:${port}`, { transformWsUrl: async (url) => url, reconnectPeriod: 1 }));
    const first = c.stream;
    expect(typeof first.pipe).toBe('function');
    const closed = once(c, 'close');
    first.destroy();
    await closed;
    await once(c, 'connect');
    expect(c.stream).not.toBe(first);
  });

  it('connects with the mqtt sub-protocol to path / by default and round-trips QoS 0, 1 and 2 in binary frames', async () => {
    const { port, handshakes, frames } = await start();
    const c = await connected(client(`ws://127.0.0.1:${port}`));
    expect(handshakes).toEqual([{ url: '/', protocol: 'mqtt' }]);

    const suback = nextSuback(c);
    const messages = collect(c.topic('ws/+', { qos: 2 }), 3).then((list: MqttMessage[]) => list.map((m) => [m.topic, m.payload.toString(), m.qos]));
    await suback;
    await c.publishAsync('ws/0', 'zero', { qos: 0 });
    await c.publishAsync('ws/1', 'one', { qos: 1 });
    await c.publishAsync('ws/2', 'two', { qos: 2 });
    expect(await messages).toEqual([
      ['ws/0', 'zero', 0],
      ['ws/1', 'one', 1],
      ['ws/2', 'two', 2],
    ]);
    // CONNECT, SUBSCRIBE, 3 PUBLISH, PUBREL, PUBREC...: each in a binary frame, none in a text one.
    expect(frames.binary).toBeGreaterThanOrEqual(6);
    expect(frames.text).toBe(0);
  });

  it('requests the URL path and query, and offers mqttv3.1 for MQTT 3.1', async () => {
    const { port, handshakes } = await start();
    await connected(client(`ws://127.0.0.1:${port}/mqtt?room=1`, { protocolVersion: 3 }));
    expect(handshakes).toEqual([{ url: '/mqtt?room=1', protocol: 'mqttv3.1' }]);
  });

  it('passes wsOptions to the WebSocket constructor (extra handshake headers)', async () => {
    const { port } = await start((request) => request.headers['x-token'] === 'letmein');
    const refused = client(`ws://127.0.0.1:${port}`);
    const [error] = await once<[Error & { kind?: string; code?: string }]>(refused, 'error');
    expect(error.kind).toBe('ERR_TRANSPORT');
    expect(error.message).toMatch(/401/);
    await connected(client(`ws://127.0.0.1:${port}`, { wsOptions: { headers: { 'x-token': 'letmein' } } }));
  });

  it('applies a synchronous transformWsUrl on every connect, with the options and the client', async () => {
    const { port, handshakes, dropAll } = await start((request) => /token=\d+/.test(request.url ?? ''));
    const calls: Array<[string, unknown, unknown]> = [];
    const c = client(`ws://127.0.0.1:${port}/mqtt`, {
      reconnectPeriod: 20,
      transformWsUrl: (url, options, owner) => {
        calls.push([url, options.clientId, owner]);
        return `${url}?token=${calls.length}`;
      },
    });
    await connected(c);
    const again = once(c, 'connect');
    dropAll();
    await again;
    expect(calls).toEqual([
      [`ws://127.0.0.1:${port}/mqtt`, c.options.clientId, c],
      [`ws://127.0.0.1:${port}/mqtt`, c.options.clientId, c],
    ]);
    expect(handshakes.map((h) => h.url)).toEqual(['/mqtt?token=1', '/mqtt?token=2']);
  });

  it('sends the credentials transformWsUrl set on client.options in the CONNECT of each reconnect (the MQTT.js token refresh)', async () => {
    const { port, dropAll } = await start();
    const seen: Array<[string, string | undefined, string | undefined]> = [];
    server!.broker.authenticate = (connecting, username, password, done) => {
      seen.push([connecting.id, username, password?.toString()]);
      done(null, true);
    };
    let token = 0;
    const c = client(`ws://127.0.0.1:${port}/mqtt`, {
      reconnectPeriod: 20,
      clientId: 'device-1',
      username: 'device',
      password: 'token-0',
      transformWsUrl: (url, _options, owner) => {
        const options = (owner as MqttClient).options;
        options.password = `token-${++token}`;
        if (token === 2) {
          // The MQTT.js README's example renames the client too.
          options.username = 'device-renamed';
          options.clientId = 'device-2';
        }
        return url;
      },
    });
    await connected(c);
    const again = once(c, 'connect');
    dropAll();
    await again;
    expect(seen).toEqual([
      ['device-1', 'device', 'token-1'],
      ['device-2', 'device-renamed', 'token-2'],
    ]);
  });

  it('hands transformWsUrl client.options itself, as MQTT.js does: a password set on its options argument goes into the CONNECT', async () => {
    const { port } = await start();
    const seen: Array<string | undefined> = [];
    server!.broker.authenticate = (_connecting, _username, password, done) => {
      seen.push(password?.toString());
      done(null, true);
    };
    const handed: unknown[] = [];
    const c = client(`ws://127.0.0.1:${port}/mqtt`, {
      username: 'device',
      password: 'stale',
      transformWsUrl: (url, options, owner) => {
        handed.push(options === (owner as MqttClient).options);
        options.password = 'fresh';
        return url;
      },
    });
    await connected(c);
    expect(handed).toEqual([true]);
    expect(seen).toEqual(['fresh']);
  });

  it('waits for an asynchronous transformWsUrl (MQTT.js cannot) and sends what was written meanwhile', async () => {
    const { port, handshakes } = await start((request) => request.url === '/signed?sig=ok');
    let release!: (url: string) => void;
    const c = client(`ws://127.0.0.1:${port}`, {
      transformWsUrl: () => new Promise<string>((resolve) => (release = resolve)),
    });
    // Queued before the URL is known: the deferred transport buffers, then flushes after open.
    const published = c.publishAsync('async/t', 'early', { qos: 1 });
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    release(`ws://127.0.0.1:${port}/signed?sig=ok`);
    await connected(c);
    await published;
    expect(handshakes).toEqual([{ url: '/signed?sig=ok', protocol: 'mqtt' }]);
  });

  it('awaits an asynchronous transformWsUrl again on every reconnect', async () => {
    const { port, handshakes, dropAll } = await start((request) => /token=\d+/.test(request.url ?? ''));
    let calls = 0;
    const c = client(`ws://127.0.0.1:${port}/mqtt`, {
      reconnectPeriod: 20,
      transformWsUrl: async (url) => {
        const token = ++calls;
        await new Promise((resolve) => setImmediate(resolve));
        return `${url}?token=${token}`;
      },
    });
    await connected(c);
    for (let drop = 1; drop <= 2; drop++) {
      const again = once(c, 'connect');
      dropAll();
      await again;
    }
    expect(handshakes.map((h) => h.url)).toEqual(['/mqtt?token=1', '/mqtt?token=2', '/mqtt?token=3']);
  });

  it('reports a rejecting transformWsUrl as an error and retries per the reconnect policy', async () => {
    const { port } = await start();
    let calls = 0;
    const c = client(`ws://127.0.0.1:${port}`, {
      reconnectPeriod: 20,
      transformWsUrl: async (url) => {
        calls += 1;
        if (calls === 1) throw Object.assign(new Error('signer down'), { code: 'ESIGNER' });
        return url;
      },
    });
    const [error] = await once<[Error & { kind?: string; code?: string; cause?: Error & { kind?: string; code?: string; cause?: unknown } }]>(c, 'error');
    expect(error.kind).toBe('ERR_TRANSPORT');
    expect(error.message).toMatch(/transformWsUrl failed: signer down/);
    expect(error.cause?.code).toBe('ERR_TRANSFORM_WS_URL');
    expect((error.cause?.cause as { code?: string }).code).toBe('ESIGNER');
    await connected(c);
    expect(calls).toBe(2);
    expect(unhandled).toEqual([]);
  });

  it('treats a transformWsUrl that throws synchronously like a rejection', async () => {
    const { port } = await start();
    const c = client(`ws://127.0.0.1:${port}`, {
      transformWsUrl: () => {
        throw new Error('no url');
      },
    });
    const [error] = await once<[Error]>(c, 'error');
    expect(error.message).toMatch(/transformWsUrl failed: no url/);
    expect(unhandled).toEqual([]);
  });

  it('uses createWebsocket instead of the constructor when given', async () => {
    const { port, handshakes } = await start();
    const calls: Array<[string, string[], unknown]> = [];
    const c = client(`ws://127.0.0.1:${port}/mqtt`, {
      clientId: 'made-by-hand',
      createWebsocket: (url, protocols, options) => {
        calls.push([url, protocols, options.clientId]);
        return new WebSocket(url, [...protocols, 'custom'], { headers: { 'x-made-by': 'createWebsocket' } });
      },
    });
    await connected(c);
    expect(calls).toEqual([[`ws://127.0.0.1:${port}/mqtt`, ['mqtt'], 'made-by-hand']]);
    expect(handshakes).toEqual([{ url: '/mqtt', protocol: 'mqtt' }]);
  });

  it('reports a createWebsocket that throws as an error of the attempt, heard by a listener added after connect()', async () => {
    const { port } = await start();
    const c = client(`ws://127.0.0.1:${port}`, {
      createWebsocket: () => {
        throw Object.assign(new Error('no sockets today'), { code: 'ENOSOCK' });
      },
    });
    const [error] = await once<[Error & { kind?: string; code?: string; errno?: string }]>(c, 'error');
    expect([error.kind, error.errno]).toEqual(['ERR_TRANSPORT', 'ENOSOCK']);
    expect(error.message).toMatch(/no sockets today/);
  });

  it('reconnects after the server drops the socket and resubscribes', async () => {
    const { port, dropAll } = await start();
    const c = await connected(client(`ws://127.0.0.1:${port}`, { reconnectPeriod: 20 }));
    const suback = nextSuback(c);
    const message = collect(c.topic('drop/t'), 1);
    await suback;
    const closed = once(c, 'close');
    const reconnected = once(c, 'connect');
    dropAll();
    await closed;
    await reconnected;
    await c.publishAsync('drop/t', 'after', { qos: 1 });
    expect((await message)[0].payload.toString()).toBe('after');
  });
});
