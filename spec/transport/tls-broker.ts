// aedes behind a `tls.createServer` on a free loopback port, for the TLS transport specs.
// Records what each handshake carried (SNI server name, ALPN, client certificate) and the TLS
// errors the server saw, so a spec can tell a refused handshake from one that got through.
import { Aedes } from 'aedes';
import type { AddressInfo } from 'node:net';
import { createServer, type TLSSocket, type TlsOptions } from 'node:tls';

export interface TlsHandshake {
  /** The SNI name the client sent; false when it sent none. */
  servername: string | false;
  /** The ALPN protocol the server selected; false when none was offered or matched. */
  alpnProtocol: string | false;
  /** Whether the client's certificate verified against the server's `ca`. */
  authorized: boolean;
  /** The subject CN of the client certificate, when one was sent. */
  clientCN?: string;
}

export interface TlsBroker {
  broker: Aedes;
  port: number;
  /** Every handshake that completed, in order. */
  handshakes: TlsHandshake[];
  /** The codes of handshakes the server saw fail (`tlsClientError`). */
  clientErrors: string[];
  /** MQTT clients aedes accepted (a CONNECT got through). */
  mqttClients: string[];
  close(): Promise<void>;
}

export async function startTlsBroker(options: TlsOptions): Promise<TlsBroker> {
  const broker = await Aedes.createBroker();
  const handshakes: TlsHandshake[] = [];
  const clientErrors: string[] = [];
  const mqttClients: string[] = [];
  const sockets = new Set<TLSSocket>();
  broker.on('client', (client) => mqttClients.push(client.id));
  const server = createServer(options, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // A client that drops the connection is no failure of the spec.
    socket.on('error', () => undefined);
    const peer = socket.getPeerCertificate();
    const cn = peer && 'subject' in peer ? peer.subject?.CN : undefined;
    handshakes.push({
      servername: (socket as TLSSocket & { servername: string | false }).servername,
      alpnProtocol: socket.alpnProtocol ?? false,
      authorized: socket.authorized,
      ...(cn !== undefined && { clientCN: Array.isArray(cn) ? cn.join(',') : cn }),
    });
    broker.handle(socket);
  });
  server.on('tlsClientError', (error: Error & { code?: string }) => clientErrors.push(error.code ?? error.message));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    broker,
    port,
    handshakes,
    clientErrors,
    mqttClients,
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
      })()),
  };
}
