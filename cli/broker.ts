/**
 * `rxmqtt broker`: an embedded aedes broker on a TCP port, printing one line per client connect
 * and disconnect, until SIGINT/SIGTERM.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Options } from 'yargs';
import { CliError, EXIT, UsageError } from './errors.js';
import { deferred, onStopSignal } from './session.js';

export interface BrokerFlags {
  port?: number;
  host?: string;
}

export const BROKER_FLAGS = {
  port: { alias: 'p', type: 'number', default: 1883, describe: 'TCP port to listen on (0: any free port)' },
  host: { alias: 'h', type: 'string', default: '127.0.0.1', describe: 'Address to listen on (0.0.0.0: every interface)' },
} as const satisfies Record<string, Options>;

/** The line printed for a broker event. */
export function brokerLine(event: 'listening' | 'connected' | 'disconnected', subject: string): string {
  return event === 'listening' ? `rxmqtt broker listening on mqtt://${subject}` : `client ${event}: ${subject}`;
}

/** Runs `rxmqtt broker`; resolves with the exit code once stopped by a signal. */
export async function runBroker(flags: BrokerFlags): Promise<number> {
  const port = flags.port ?? 1883;
  const host = flags.host ?? '127.0.0.1';
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`-p/--port must be an integer in 0..65535, got ${port}`);
  const { Aedes } = await loadAedes();
  const broker = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
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
    broker.on('client', (client) => print(brokerLine('connected', client.id)));
    broker.on('clientDisconnect', (client) => print(brokerLine('disconnected', client.id)));
    print(brokerLine('listening', address));
    return await stopped.promise;
  } finally {
    removeSignals();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
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

function listen(server: Server, port: number, host: string): Promise<string> {
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
