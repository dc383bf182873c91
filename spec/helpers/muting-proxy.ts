/**
 * A TCP proxy in front of a broker that can mute one direction: what one side sends is dropped
 * while the other direction still flows. Muting the broker's side holds its acks back; muting the
 * client's side drops what the client sent after it left the client's process.
 */
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export type ProxyDirection = 'toClient' | 'toBroker';

export interface MutingProxy {
  port: number;
  /** From now on, drop what flows in `direction`. */
  mute(direction: ProxyDirection): void;
  /** Resolves once `count` bytes flowing in `direction` were dropped. */
  dropped(direction: ProxyDirection, count: number): Promise<void>;
  close(): Promise<void>;
}

export async function mutingProxy(brokerPort: number): Promise<MutingProxy> {
  const muted = { toClient: false, toBroker: false };
  const droppedBytes = { toClient: 0, toBroker: 0 };
  let wake: () => void = () => undefined;
  const sockets = new Set<Socket>();
  const forward = (direction: ProxyDirection, to: Socket) => (chunk: Buffer) => {
    if (!muted[direction]) return void to.write(chunk);
    droppedBytes[direction] += chunk.length;
    wake();
  };
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: brokerPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', forward('toBroker', upstream));
    upstream.on('data', forward('toClient', client));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    mute: (direction) => void (muted[direction] = true),
    dropped: (direction, count) =>
      new Promise((resolve) => {
        wake = () => droppedBytes[direction] >= count && resolve();
        wake();
      }),
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
