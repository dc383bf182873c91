import type { Duplex } from 'node:stream';
import { createLogger } from '../log.js';
import type { Transport, TransportHandlers } from './transport.js';

const log = createLogger('transport');

/** Where the shared stream listeners below find the transport of the stream they were called on. */
const kTransport = Symbol('rxmqtt.streamTransport');

type CarryingStream = Duplex & { [kTransport]: StreamTransport };

/**
 * Adapts any Node duplex stream (a net.Socket, a TLS socket, an in-memory pair, the stream an
 * MQTT.js `streamBuilder` returns) to the Transport interface.
 *
 * @param stream the duplex to carry MQTT bytes
 * @param handlers where bytes and lifecycle events go
 * @param openEvent the event that says the stream is usable; undefined means it already is
 */
export function streamTransport(stream: Duplex, handlers: TransportHandlers, openEvent?: string): Transport {
  return new StreamTransport(stream, handlers, openEvent);
}

/**
 * One stream's transport. Its methods are on the prototype and its stream listeners are shared
 * module functions (called with the stream as `this`), not closures per connection: an idle
 * client keeps one of these, and thousands of idle clients in one process pay for no function
 * objects here (about 0.6 KB each before).
 */
class StreamTransport implements Transport {
  private closed = false;

  constructor(
    readonly stream: Duplex,
    private readonly handlers: TransportHandlers,
    openEvent: string | undefined,
  ) {
    (stream as CarryingStream)[kTransport] = this;
    stream.on('data', onData);
    stream.on('error', onError);
    stream.on('close', onClose);
    stream.on('end', onEnd);
    if (openEvent) stream.once(openEvent, onOpen);
    else queueMicrotask(() => this.opened());
  }

  opened(): void {
    if (!this.closed) this.handlers.onOpen();
  }

  received(chunk: Buffer): void {
    this.handlers.onData(chunk);
  }

  close(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.removeListener('data', onData);
    this.handlers.onClose(error);
  }

  write(chunk: Buffer): boolean {
    return !this.closed && this.stream.write(chunk);
  }

  writev(chunks: Buffer[]): boolean {
    if (this.closed) return false;
    const stream = this.stream;
    // Corked writes reach the stream's _writev as one vector when uncorked (one syscall for a socket).
    stream.cork();
    let room = true;
    for (let i = 0; i < chunks.length; i++) room = stream.write(chunks[i]);
    stream.uncork();
    return room;
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  end(): void {
    if (!this.closed) this.stream.end();
  }

  destroy(error?: Error): void {
    this.stream.destroy();
    this.close(error);
  }
}

function onData(this: CarryingStream, chunk: Buffer): void {
  this[kTransport].received(chunk);
}

function onOpen(this: CarryingStream): void {
  this[kTransport].opened();
}

function onError(this: CarryingStream, error: Error): void {
  log('stream error %s', (error as NodeJS.ErrnoException).code ?? error.message);
  this[kTransport].close(error);
}

function onClose(this: CarryingStream): void {
  this[kTransport].close();
}

function onEnd(this: CarryingStream): void {
  // The broker half-closed: MQTT has no use for a half-open pipe.
  this.destroy();
  this[kTransport].close();
}
