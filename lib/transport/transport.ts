/**
 * The one seam between rxmqtt and a byte pipe. A transport moves bytes and reports open/close;
 * it knows nothing of MQTT. Adapters for TCP, streams (and later TLS, WebSocket...) implement it.
 */
import type { Duplex } from 'node:stream';
/** Called as methods of the handlers object (a transport may not detach them). */
export interface TransportHandlers {
  /** The pipe can carry bytes (for streams: right away; writes before that are buffered). */
  onOpen(): void;
  /** Bytes from the broker, in order; chunk boundaries need not match packet boundaries. */
  onData(chunk: Buffer): void;
  /** The pipe is gone; called exactly once. `error` is set when it failed rather than ended. */
  onClose(error?: Error): void;
}

/**
 * One open (or opening) byte pipe to the broker, made by a `TransportFactory` per connection
 * attempt. The client writes encoded MQTT packets and reads bytes through the handlers it gave the
 * factory. Implement it to run MQTT over a pipe rxmqtt has no adapter for.
 */
export interface Transport {
  /**
   * The duplex underneath, where there is one (TCP, TLS, Unix socket, Node WebSocket, a stream
   * builder's): what MQTT.js exposes as `client.stream`. Absent for the browser and mini-program
   * sockets, and for a transport that failed to open.
   */
  readonly stream?: Duplex;
  /** Queues bytes; returns false when the pipe asks the writer to slow down. */
  write(chunk: Buffer): boolean;
  /**
   * Queues several chunks, in order, as one write (no copy into one buffer); returns false when
   * the pipe asks the writer to slow down. Optional: without it, the chunks are joined for write().
   */
  writev?(chunks: Buffer[]): boolean;
  /** Stops delivering onData until resume() (inbound backpressure). */
  pause(): void;
  /** Delivers onData again after pause(), starting with what arrived meanwhile. */
  resume(): void;
  /** Flushes what was written, then closes. */
  end(): void;
  /** Closes at once. */
  destroy(error?: Error): void;
}

/** Where to connect when it is not the factory's own address (a `beforeConnect` hook chose another). */
export interface TransportTarget {
  /** The broker's host name or IP address. */
  host: string;
  /** The broker's port. */
  port: number;
  /** `mqtt`, `mqtts`...; the client's protocol when absent. */
  protocol?: string;
}

/**
 * Opens a transport. Called once per connection attempt, so a reconnect gets a fresh pipe. With
 * `target`, connect there instead; factories that cannot choose (stream builders) ignore it.
 */
export type TransportFactory = (handlers: TransportHandlers, target?: TransportTarget) => Transport;
