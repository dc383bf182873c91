// Connection errors with their system codes, and `servers` tried in turn on reconnect, against
// aedes brokers on loopback ports chosen (and closed) by the spec.
import { Aedes } from 'aedes';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { filter, firstValueFrom, fromEvent, timeout } from 'rxjs';
import { connect, type ClientOptions, type MqttClient } from '../../lib/index.js';
import { freePort } from '../helpers/mosquitto.js';
import { collect, HANG_DEADLINE_MS, once } from '../helpers/wait.js';

const QUICK: ClientOptions = { reconnectPeriod: 0, connectTimeout: HANG_DEADLINE_MS, endTimeout: 3000 };

type TransportFailure = Error & { kind?: string; code?: string; errno?: string; cause?: TransportFailure };

interface PortBroker {
  port: number;
  /** Client ids aedes accepted, in order. */
  clients: string[];
  close(): Promise<void>;
}

/** aedes on 127.0.0.1:`port` (0: a free one). */
async function aedesOn(port = 0): Promise<PortBroker> {
  const broker = await Aedes.createBroker();
  const clients: string[] = [];
  broker.on('client', (client) => clients.push(client.id));
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  await listen(server, port);
  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    clients,
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
      })()),
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

describe('connection errors and servers failover', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function client(url: string | undefined, options: ClientOptions = {}) {
    const c = url === undefined ? connect({ ...QUICK, ...options }) : connect(url, { ...QUICK, ...options });
    c.on('error', () => undefined);
    cleanups.push(() => c.endAsync(true));
    return c;
  }
  async function broker(port?: number) {
    const b = await aedesOn(port);
    cleanups.push(() => b.close());
    return b;
  }
  const failure = async (c: MqttClient) => (await once<[TransportFailure]>(c, 'error'))[0];
  const connectedTo = (c: MqttClient) => firstValueFrom(c.state$.pipe(filter((s) => s.status === 'connected'), timeout(HANG_DEADLINE_MS)));

  it('reports ECONNREFUSED for a closed port, then connects to the next server of the list', async () => {
    const dead = await freePort();
    const second = await broker();
    const c = client(undefined, {
      clientId: 'failover-1',
      reconnectPeriod: 20,
      servers: [
        { host: '127.0.0.1', port: dead },
        { host: '127.0.0.1', port: second.port },
      ],
    });
    const error = await failure(c);
    expect([error.kind, error.errno]).toEqual(['ERR_TRANSPORT', 'ECONNREFUSED']);
    expect(await connectedTo(c)).toMatchObject({ status: 'connected', attempt: 2 });
    expect(second.clients).toEqual(['failover-1']);
  });

  it('goes back around the list when the server it is on goes down', async () => {
    const first = await freePort();
    const second = await broker();
    const c = client(undefined, {
      clientId: 'failover-2',
      reconnectPeriod: 20,
      servers: [
        { host: '127.0.0.1', port: first },
        { host: '127.0.0.1', port: second.port },
      ],
    });
    await connectedTo(c);
    const errors: TransportFailure[] = [];
    c.on('error', (error) => errors.push(error as TransportFailure));
    const dropped = once(c, 'close');
    await second.close();
    await dropped;
    // The next attempts alternate: the first port (still closed, or the new broker once it listens), the second (closed now).
    const firstAgain = await broker(first);
    await connectedTo(c);
    expect(firstAgain.clients).toEqual(['failover-2']);
    expect(errors.every((error) => error.errno === 'ECONNREFUSED')).toBe(true);
    expect(c.state).toMatchObject({ status: 'connected' });
    // Attempt 1 failed, 2 reached the second server, then an odd attempt (the first server) connected.
    expect((c.state as { attempt: number }).attempt % 2).toBe(1);
  });

  it('gives a server without a port its protocol default, and refuses an entry without a host', () => {
    expect(() => connect({ ...QUICK, servers: [{ host: '' } as never] })).toThrow(/servers\[0\] needs a host name/);
    expect(() => connect({ ...QUICK, servers: [{ host: 'h', port: 70000 }] })).toThrow(/servers\[0\]\.port/);
  });

  it('connects to a server of the list that names no port on the default port of its protocol', async () => {
    // Nothing listens on 127.0.0.2:8883 in the test environment: the refusal names the port.
    const c = client(undefined, { servers: [{ host: '127.0.0.2', protocol: 'mqtts' } as never] });
    const error = await failure(c);
    expect(error.errno).toBe('ECONNREFUSED');
    expect(error.message).toMatch(/127\.0\.0\.2:8883/);
  });

  it('reports ENOTFOUND for a host name that does not resolve', async () => {
    const error = await failure(client('mqtt://no-such-broker.invalid:1883'));
    expect(error.kind).toBe('ERR_TRANSPORT');
    // RFC 6761: .invalid never resolves; a resolver that cannot be reached at all says EAI_AGAIN.
    expect(['ENOTFOUND', 'EAI_AGAIN']).toContain(error.errno);
  });

  it('reports EADDRINUSE when localPort is taken (the only way a client meets it)', async () => {
    const taken = await broker();
    const error = await failure(client(`mqtt://127.0.0.1:${taken.port}`, { localAddress: '127.0.0.1', localPort: taken.port }));
    expect([error.kind, error.errno]).toEqual(['ERR_TRANSPORT', 'EADDRINUSE']);
  });

  it('reports ECONNRESET when the server resets the connection, and reconnects per the policy', async () => {
    let resets = 0;
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      // Reset (RST, not FIN) once the CONNECT arrived: the client is reading by then.
      socket.once('data', () => {
        resets++;
        socket.resetAndDestroy();
      });
    });
    await listen(server, 0);
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const c = client(`mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`, { reconnectPeriod: 20 });
    const errors = await collect(fromEvent(c, 'error', (error: TransportFailure) => error), 2);
    expect(errors.map((error) => [error.kind, error.errno])).toEqual([
      ['ERR_TRANSPORT', 'ECONNRESET'],
      ['ERR_TRANSPORT', 'ECONNRESET'],
    ]);
    expect(resets).toBeGreaterThanOrEqual(2);
  });

  it('stops after the reconnect policy maxAttempts, with the last ECONNREFUSED as the cause', async () => {
    const dead = await freePort();
    const c = client(`mqtt://127.0.0.1:${dead}`, { reconnectPeriod: 10, reconnect: { initialDelay: 10, maxAttempts: 2, jitter: 0 } });
    const errors = await collect(fromEvent(c, 'error', (error: TransportFailure) => error), 4);
    expect(errors.map((error) => error.errno ?? error.code)).toEqual(['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED', 'ERR_RECONNECT_EXHAUSTED']);
    expect(errors[3].cause?.errno).toBe('ECONNREFUSED');
    await firstValueFrom(c.state$.pipe(filter((s) => s.status === 'offline'), timeout(HANG_DEADLINE_MS)));
  });
});
