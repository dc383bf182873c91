// In-process MQTT broker (aedes) for tests: a TCP listener on a free loopback port plus
// in-memory connections through a duplex pair, all torn down by close().
//
// aedes 1.x is ESM-only and its *default* export is a function that throws a migration error;
// the broker class is the named export `Aedes`, created with `await Aedes.createBroker(opts)`.
import { Aedes, type AedesOptions } from 'aedes';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Duplex } from 'node:stream';

/**
 * One end of an in-memory connection. Bytes written to one side become readable on the other,
 * with backpressure: a write stays pending until the peer's reader asks for more.
 * It behaves like a TCP socket pair: `end()` ends the peer's readable side (and, as
 * allowHalfOpen is false, the peer then ends too), and `destroy()` on one side destroys the
 * other (a dropped connection: the peer sees 'close', not an error).
 */
class PairSide extends Duplex {
  peer!: PairSide;
  private pendingWrite: ((error?: Error | null) => void) | null = null;

  constructor() {
    super({ allowHalfOpen: false });
  }

  override _read(): void {
    // Our reader wants more: release the peer's write that was waiting on backpressure.
    const callback = this.peer.pendingWrite;
    if (callback) {
      this.peer.pendingWrite = null;
      callback();
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.peer.destroyed) {
      callback(Object.assign(new Error('write after the peer was destroyed'), { code: 'EPIPE' }));
      return;
    }
    if (this.peer.push(chunk)) callback();
    else this.pendingWrite = callback;
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.peer.destroyed) this.peer.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.pendingWrite = null;
    if (!this.peer.destroyed) this.peer.destroy();
    callback(error);
  }
}

/**
 * Two connected in-memory duplex streams. Always our own implementation (not
 * `stream.duplexPair`, which only exists from Node 20.17 and does not propagate destroy), so
 * every Node >= 20 behaves the same. See PairSide for the semantics.
 */
export function duplexPair(): [Duplex, Duplex] {
  const a = new PairSide();
  const b = new PairSide();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

export interface AedesHandle {
  broker: Aedes;
  /** The TCP port on 127.0.0.1. */
  port: number;
  /** `mqtt://127.0.0.1:<port>` */
  url: string;
  /** A new in-memory connection to the broker; returns the client end. */
  connectStream(): Duplex;
  /** Closes the broker, every connection (TCP and in-memory) and the TCP server. Idempotent. */
  close(): Promise<void>;
}

/** Starts an aedes broker listening on a free port of 127.0.0.1. */
export async function startAedes(options?: AedesOptions): Promise<AedesHandle> {
  const broker = await Aedes.createBroker(options);
  const connections = new Set<Socket | Duplex>();
  const track = (connection: Socket | Duplex) => {
    connections.add(connection);
    connection.once('close', () => connections.delete(connection));
  };

  const server = createServer((socket) => {
    track(socket);
    broker.handle(socket);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw error;
  }
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const connection of connections) connection.destroy();
      connections.clear();
      await serverClosed;
    })();
    return closing;
  };

  return {
    broker,
    port,
    url: `mqtt://127.0.0.1:${port}`,
    connectStream() {
      if (closing) throw new Error('connectStream() called after close()');
      const [clientEnd, brokerEnd] = duplexPair();
      track(clientEnd);
      track(brokerEnd);
      broker.handle(brokerEnd);
      return clientEnd;
    },
    close,
  };
}
