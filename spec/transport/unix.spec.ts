// mqtt+unix:// against aedes listening on a Unix domain socket in a temp directory.
import { Aedes } from 'aedes';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom, take, timeout } from 'rxjs';
import { connect, type ClientOptions, type MqttClient } from '../../lib/index.js';
import { collect, HANG_DEADLINE_MS, once } from '../helpers/wait.js';

const QUICK: ClientOptions = { reconnectPeriod: 0, connectTimeout: HANG_DEADLINE_MS, endTimeout: 3000 };

describe('mqtt+unix:// transport', () => {
  let dir: string;
  let path: string;
  let broker: Aedes;
  let server: Server;
  let sockets: Set<Socket>;
  let clients: MqttClient[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rxmqtt-unix-'));
    path = join(dir, 'aedes.sock');
    broker = await Aedes.createBroker();
    sockets = new Set();
    server = createServer((socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      broker.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.endAsync(true);
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  function client(url: string | undefined, options: ClientOptions = {}) {
    const c = url === undefined ? connect({ ...QUICK, ...options }) : connect(url, { ...QUICK, ...options });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  }

  it('connects with the options unixSocket: true and path, as MQTT.js reads them', async () => {
    const c = client(undefined, { unixSocket: true, path });
    await once(c, 'connect');
    expect(c.options).toMatchObject({ protocol: 'mqtt', unixSocket: true, path });
  });

  it('connects to the socket named by the URL path and round-trips a QoS 1 message', async () => {
    const c = client(`mqtt+unix://${path}`);
    await once(c, 'connect');
    const suback = firstValueFrom(c.packetsIn$.pipe(filter((p) => p.cmd === 'suback'), take(1), timeout(HANG_DEADLINE_MS)));
    const message = collect(c.topic('unix/t', { qos: 1 }), 1);
    await suback;
    await c.publishAsync('unix/t', 'over a unix socket', { qos: 1 });
    const [m] = await message;
    expect([m.topic, m.payload.toString(), m.qos]).toEqual(['unix/t', 'over a unix socket', 1]);
  });

  it('reports a missing socket file as an error with its system code', async () => {
    const c = client(`mqtt+unix://${join(dir, 'missing.sock')}`);
    const [error] = await once<[Error & { errno?: string }]>(c, 'error');
    expect(error.errno).toBe('ENOENT');
  });

  it('throws at connect() when the URL has no socket path', () => {
    expect(() => connect('mqtt+unix://', QUICK)).toThrow(/needs the socket path/);
  });
});
