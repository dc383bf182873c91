/**
 * `rxmqtt broker`: an embedded aedes broker on a TCP port (and, with --ws-port, a WebSocket port
 * beside it, for browsers), printing one line per client connect and disconnect, until
 * SIGINT/SIGTERM.
 */
import type { Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Options } from 'yargs';
import { CliError, EXIT, UsageError } from './errors.js';
import { deferred, onStopSignal } from './session.js';

export interface BrokerFlags {
  port?: number;
  host?: string;
  wsPort?: number;
}

export const BROKER_FLAGS = {
  port: { alias: 'p', type: 'number', default: 1883, describe: 'TCP port to listen on (0: any free port)' },
  host: { alias: 'h', type: 'string', default: '127.0.0.1', describe: 'Address to listen on (0.0.0.0: every interface)' },
  'ws-port': { type: 'number', requiresArg: true, describe: 'Also accept MQTT over WebSocket (ws://, any path) on this port (0: any free port)' },
} as const satisfies Record<string, Options>;

/**
 * The line printed for a broker event. `subject` is the client id, or for `listening` the TCP
 * `host:port` (and `wsAddress` the WebSocket one, on the same line: one line says it is ready).
 */
export function brokerLine(event: 'listening' | 'connected' | 'disconnected', subject: string, wsAddress?: string): string {
  if (event !== 'listening') return `client ${event}: ${subject}`;
  return `rxmqtt broker listening on mqtt://${subject}${wsAddress === undefined ? '' : ` and ws://${wsAddress}`}`;
}

function checkPort(flag: string, port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${flag} must be an integer in 0..65535, got ${port}`);
}

/** Runs `rxmqtt broker`; resolves with the exit code once stopped by a signal. */
export async function runBroker(flags: BrokerFlags): Promise<number> {
  const port = flags.port ?? 1883;
  const host = flags.host ?? '127.0.0.1';
  checkPort('-p/--port', port);
  if (flags.wsPort !== undefined) checkPort('--ws-port', flags.wsPort);
  const { Aedes } = await loadAedes();
  const broker = await Aedes.createBroker();
  const sockets = new Set<Socket | Duplex>();
  const handle = (socket: Socket | Duplex) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  };
  const server = createServer(handle);
  let wsServer: HttpServer | undefined;
  const stopped = deferred<number>();
  const removeSignals = onStopSignal(() => stopped.resolve(EXIT.ok));
  // A closed stdout (`| head -n 1`) stops the broker too: nobody is watching any more.
  const onStdoutError = () => stopped.resolve(EXIT.ok);
  process.stdout.on('error', onStdoutError);
  const print = (line: string) => {
    if (!process.stdout.destroyed) process.stdout.write(line + '\n');
  };
  try {
    const address = await listen(server, port, host);
    let wsAddress: string | undefined;
    if (flags.wsPort !== undefined) {
      wsServer = await webSocketServer(handle);
      wsAddress = await listen(wsServer, flags.wsPort, host);
    }
    broker.on('client', (client) => print(brokerLine('connected', client.id)));
    broker.on('clientDisconnect', (client) => print(brokerLine('disconnected', client.id)));
    print(brokerLine('listening', address, wsAddress));
    return await stopped.promise;
  } finally {
    removeSignals();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    wsServer?.closeAllConnections();
    await new Promise<void>((resolve) => (wsServer ? wsServer.close(() => resolve()) : resolve()));
  }
}

/**
 * An HTTP server that upgrades every request to a WebSocket and hands aedes a byte stream of its
 * binary frames. Any path is accepted (MQTT.js and browsers use `/mqtt`, others `/`). ws and
 * node:http load only when --ws-port is given.
 */
async function webSocketServer(handle: (stream: Duplex) => void): Promise<HttpServer> {
  const [{ createServer: createHttpServer }, { WebSocketServer, createWebSocketStream }] = await Promise.all([import('node:http'), import('ws')]);
  const server = createHttpServer((_request, response) => response.writeHead(426, { Upgrade: 'websocket' }).end('MQTT over WebSocket only\n'));
  // [MQTT-6.0.0-4] the sub-protocol the server selects is "mqtt" (MQTT 3.1 clients offer only "mqttv3.1").
  const handleProtocols = (offered: Set<string>) => (offered.has('mqtt') ? 'mqtt' : (offered.values().next().value ?? false));
  const wss = new WebSocketServer({ server, handleProtocols });
  wss.on('connection', (socket) => {
    const stream = createWebSocketStream(socket);
    // A browser tab closed mid-frame is the client's business, not a broker crash.
    stream.on('error', () => socket.terminate());
    handle(stream);
  });
  return server;
}

/** The one line printed (after `rxmqtt: `) when `rxmqtt broker` runs without aedes installed. */
const AEDES_MISSING = 'the broker command needs the aedes package: run npm install aedes (npm install -g aedes beside a global rxmqtt)';

/**
 * aedes is an optional peer dependency, so that an app using the library never installs a broker;
 * it is only loaded here, and `sub` and `pub` never pay for it. (Its default export throws: the
 * named `Aedes` is the API.)
 */
async function loadAedes(): Promise<typeof import('aedes')> {
  try {
    return await import('aedes');
  } catch (error) {
    // Only aedes itself missing is the user's to fix; a broken aedes install keeps its own error.
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'ERR_MODULE_NOT_FOUND' && message.includes("'aedes'")) throw new UsageError(AEDES_MISSING);
    throw error;
  }
}

function listen(server: Server | HttpServer, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new CliError(`Cannot listen on ${host}:${port}: ${error.code ?? error.message}`)),
    );
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve(`${shown}:${address.port}`);
    });
  });
}
