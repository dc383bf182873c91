/**
 * WebSocket transport for browsers, over the global `WebSocket`: the only socket code in the
 * browser bundle. MQTT rides in binary frames ([MQTT-6.0.0-1]) under the `mqtt` sub-protocol
 * (`mqttv3.1` for MQTT 3.1), as MQTT.js does.
 *
 * A browser WebSocket has no write callback and no 'drain' event: `send()` always accepts and
 * grows `bufferedAmount`. So this transport keeps its own queue: writes wait there while the
 * socket opens, and while `bufferedAmount` is above the high-water mark; a timer on the injected
 * scheduler polls `bufferedAmount` until the socket has room again.
 */
import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { TransportError } from '../errors.js';
import { createLogger } from '../log.js';
import type { Transport, TransportFactory, TransportHandlers } from './transport.js';

const log = createLogger('transport');

/** The members of the DOM `WebSocket` this transport uses (so tests can pass a fake). */
export interface BrowserWebSocket {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  readonly protocol: string;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export type BrowserWebSocketConstructor = new (url: string, protocols?: string | string[]) => BrowserWebSocket;

export interface BrowserWsOptions {
  /** The full `ws://` or `wss://` URL. */
  url: string;
  /** Offered sub-protocols. @default ['mqtt'] */
  protocols?: string[];
  /** The WebSocket class. @default globalThis.WebSocket */
  WebSocket?: BrowserWebSocketConstructor;
  /** Above this many buffered bytes, writes wait in the transport and `write()` returns false. @default 1048576 (1 MiB) */
  highWaterMark?: number;
  /** How often `bufferedAmount` is polled while writes wait for room. @default 10 */
  drainPollMs?: number;
  /** Times the drain polls. @default asyncScheduler */
  scheduler?: SchedulerLike;
}

const OPEN = 1;
const NORMAL_CLOSURE = 1000;
const NO_STATUS = 1005;

/**
 * A factory opening a browser WebSocket per connection attempt.
 *
 * ```ts
 * const factory = browserWsTransport({ url: 'wss://broker.example/mqtt' });
 * ```
 *
 * @param options the URL and tuning; see `BrowserWsOptions`
 * @returns a transport factory for the client
 */
export function browserWsTransport(options: BrowserWsOptions): TransportFactory {
  return (handlers) => openBrowserWs(options, handlers);
}

/** Opens one socket and adapts it to the Transport interface. */
export function openBrowserWs(options: BrowserWsOptions, handlers: TransportHandlers): Transport {
  const Socket = options.WebSocket ?? (globalThis as { WebSocket?: BrowserWebSocketConstructor }).WebSocket;
  if (!Socket) throw new TransportError('No WebSocket implementation: this runtime has no global WebSocket');
  const protocols = options.protocols ?? ['mqtt'];
  log('opening %s (sub-protocol %s)', redact(options.url), protocols[0]);
  return new BrowserWsTransport(new Socket(options.url, protocols), handlers, options);
}

/** One WebSocket as a Transport: the write queue, inbound pause, and the close that ends it. */
class BrowserWsTransport implements Transport {
  private readonly highWaterMark: number;
  private readonly pollMs: number;
  private readonly scheduler: SchedulerLike;
  /** Writes waiting for the socket to open or for `bufferedAmount` to fall. */
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  /** Frames received while paused. */
  private readonly inbound: Buffer[] = [];
  private paused = false;
  private ending = false;
  private closed = false;
  /** An error event came: the close that follows is a failure, whatever its code. */
  private failed = false;
  private poll?: Subscription;

  constructor(
    private readonly socket: BrowserWebSocket,
    private readonly handlers: TransportHandlers,
    options: BrowserWsOptions,
  ) {
    this.highWaterMark = options.highWaterMark ?? 1024 * 1024;
    this.pollMs = options.drainPollMs ?? 10;
    this.scheduler = options.scheduler ?? asyncScheduler;
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => this.onOpen();
    socket.onmessage = (event) => this.onMessage(event.data);
    // Browsers give an error event no detail; the close event that follows carries the code.
    socket.onerror = () => {
      this.failed = true;
    };
    socket.onclose = (event) => this.onClose(event);
  }

  write(chunk: Buffer): boolean {
    if (this.closed || this.ending) return false;
    const socket = this.socket;
    if (this.queue.length === 0 && socket.readyState === OPEN && socket.bufferedAmount < this.highWaterMark) {
      socket.send(chunk);
    } else {
      this.queue.push(chunk);
      this.queued += chunk.length;
      if (!this.poll && socket.readyState === OPEN) this.poll = this.scheduler.schedule(() => this.flush(), this.pollMs);
    }
    return socket.bufferedAmount + this.queued < this.highWaterMark;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    while (!this.paused && !this.closed && this.inbound.length > 0) this.handlers.onData(this.inbound.shift()!);
  }

  end(): void {
    if (this.closed || this.ending) return;
    this.ending = true;
    if (this.socket.readyState !== OPEN) {
      // Nothing opened yet, so nothing to flush: the attempt is simply over.
      this.closeSocket();
      this.finish();
    } else if (this.queue.length === 0) {
      // Frames already sent go out before the close frame; queued ones are flushed first.
      this.closeSocket();
    }
  }

  destroy(error?: Error): void {
    if (this.closed) return;
    this.closeSocket();
    this.finish(error);
  }

  private onOpen(): void {
    if (this.closed) return;
    this.handlers.onOpen();
    this.flush();
  }

  private onMessage(data: unknown): void {
    if (this.closed) return;
    const chunk = toBuffer(data);
    // [MQTT-6.0.0-1] a frame other than binary closes the network connection.
    if (!chunk) return this.fail(new TransportError('The broker sent a WebSocket text frame; MQTT needs binary frames'));
    if (this.paused || this.inbound.length > 0) this.inbound.push(chunk);
    else this.handlers.onData(chunk);
  }

  private onClose(event: { code: number; reason: string; wasClean: boolean }): void {
    const clean = this.ending || (event.wasClean && (event.code === NORMAL_CLOSURE || event.code === NO_STATUS) && !this.failed);
    log('websocket closed (code %d%s)', event.code, clean ? '' : ', not clean');
    if (clean) return this.finish();
    const reason = event.reason ? `: ${event.reason}` : '';
    this.finish(Object.assign(new TransportError(`WebSocket closed with code ${event.code}${reason}`), { closeCode: event.code }));
  }

  /** Sends queued writes while the socket has room; polls again while some wait. */
  private flush(): void {
    this.poll = undefined;
    const socket = this.socket;
    if (this.closed || socket.readyState !== OPEN) return;
    while (this.queue.length > 0 && socket.bufferedAmount < this.highWaterMark) {
      const chunk = this.queue.shift()!;
      this.queued -= chunk.length;
      socket.send(chunk);
    }
    if (this.queue.length > 0) this.poll = this.scheduler.schedule(() => this.flush(), this.pollMs);
    else if (this.ending) this.closeSocket();
  }

  private fail(error: Error): void {
    log('websocket failed: %s', error.message);
    this.closeSocket();
    this.finish(error);
  }

  private closeSocket(): void {
    try {
      this.socket.close(NORMAL_CLOSURE);
    } catch {
      // Already closing: nothing more to do.
    }
  }

  /** Reports the close exactly once and forgets the socket's events. */
  private finish(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.poll?.unsubscribe();
    this.queue.length = 0;
    const socket = this.socket;
    socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
    this.handlers.onClose(error);
  }
}

/** A binary frame as a Buffer view (no copy); undefined for a text frame. */
function toBuffer(data: unknown): Buffer | undefined {
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

/** The URL without its query or credentials: a signed URL carries a token. */
function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//').replace(/\?.*$/, '');
}
