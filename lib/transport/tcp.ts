import { connect } from 'node:net';
import { streamTransport } from './stream.js';
import type { TransportFactory } from './transport.js';

export interface TcpOptions {
  host: string;
  port: number;
  /** Disable Nagle so a small ack or PUBREL is not held back for 40 ms. @default true */
  noDelay?: boolean;
  /** Bind to this local address first. @default undefined */
  localAddress?: string;
  /** Bind to this local port first (EADDRINUSE when taken). @default undefined */
  localPort?: number;
}

/** Bytes one socket read can return: Node's own default read size. */
const READ_BUFFER_BYTES = 64 * 1024;
let sharedReadBuffer: Buffer | undefined;

/**
 * The buffer every TCP connection of the process reads into (Node's `onread`). Reads run one at a
 * time on the event loop and each is copied out before the next can start, so one buffer serves
 * them all; it is allocated on the first connection.
 */
function readBuffer(): Buffer {
  return (sharedReadBuffer ??= Buffer.allocUnsafe(READ_BUFFER_BYTES));
}

/**
 * TCP transport for `mqtt://` and `tcp://` URLs.
 *
 * Reads go through Node's `onread` into a shared buffer rather than through the socket's 'data'
 * events: with a broker that flushes each packet as it comes (TCP_NODELAY), a read carries one or
 * two small packets, and the Readable machinery plus a fresh 64 KiB allocation per read cost more
 * than the MQTT parsing of what it carries. Each read is copied into a buffer of its own size
 * (the parser keeps slices of it: payloads reach the app), so nothing refers to the shared one.
 * pause() and resume() work as for 'data' (Node documents it for `onread`).
 */
export function tcpTransport(options: TcpOptions): TransportFactory {
  return (handlers) => {
    const { host, port, localAddress, localPort } = options;
    let open = true;
    const socket = connect({
      host,
      port,
      ...(localAddress !== undefined && { localAddress }),
      ...(localPort !== undefined && { localPort }),
      onread: {
        buffer: readBuffer(),
        callback: (bytes: number, buffer: Uint8Array) => {
          if (open) handlers.onData(Buffer.copyBytesFrom(buffer, 0, bytes));
          return true; // false would pause the socket; pausing goes through pause() instead
        },
      },
    });
    socket.setNoDelay(options.noDelay ?? true);
    return streamTransport(
      socket,
      {
        onOpen: handlers.onOpen,
        // 'data' never fires with onread: bytes come through the callback above.
        onData: handlers.onData,
        onClose: (error) => {
          open = false;
          handlers.onClose(error);
        },
      },
      'connect',
    );
  };
}
