// aedes behind a WebSocket server (plain or TLS) on a free loopback port, for the transport specs.
// Records what each handshake asked for (URL, sub-protocol) and can refuse a handshake.
import { Aedes } from 'aedes';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer, type WebSocket } from 'ws';

export interface Handshake {
  url: string;
  protocol: string;
}

export interface WsBroker {
  broker: Aedes;
  port: number;
  /** Every handshake the server accepted, in order. */
  handshakes: Handshake[];
  /** How many binary and text frames the server received (MQTT must ride in binary ones). */
  frames: { binary: number; text: number };
  /** Closes every open WebSocket at the TCP level: to the client, a network drop. */
  dropAll(): void;
  close(): Promise<void>;
}

export interface WsBrokerOptions {
  /** Serve wss:// with these TLS options (key and cert at least; ca and requestCert to ask for client certificates). */
  tls?: HttpsOptions;
  /** Refuse (401) a handshake this returns false for. */
  accept?: (request: IncomingMessage) => boolean;
  /** Listen on this port (to restart a broker where its clients reconnect). @default a free port */
  port?: number;
}

export async function startWsBroker(options: WsBrokerOptions = {}): Promise<WsBroker> {
  const broker = await Aedes.createBroker();
  const server: Server = options.tls ? createHttpsServer(options.tls) : createHttpServer();
  const handshakes: Handshake[] = [];
  const frames = { binary: 0, text: 0 };
  const sockets = new Set<WebSocket>();
  const streams = new Set<Duplex>();
  const wss = new WebSocketServer({
    server,
    verifyClient: options.accept ? (info: { req: IncomingMessage }) => options.accept!(info.req) : undefined,
  });
  wss.on('connection', (socket, request) => {
    handshakes.push({ url: request.url ?? '', protocol: socket.protocol });
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('message', (_data, isBinary) => void (isBinary ? frames.binary++ : frames.text++));
    const stream = createWebSocketStream(socket);
    streams.add(stream);
    stream.on('error', () => undefined);
    stream.once('close', () => streams.delete(stream));
    broker.handle(stream);
  });
  // A TLS handshake the client aborts (bad certificate) is no test failure on the server side.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    broker,
    port,
    handshakes,
    frames,
    dropAll: () => {
      for (const socket of sockets) socket.terminate();
    },
    close: () =>
      (closing ??= (async () => {
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        for (const socket of sockets) socket.terminate();
        for (const stream of streams) stream.destroy();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        server.closeAllConnections?.();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })()),
  };
}
