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
  const highWaterMark = options.highWaterMark ?? 1024 * 1024;
  const pollMs = options.drainPollMs ?? 10;
  const scheduler = options.scheduler ?? asyncScheduler;
  const protocols = options.protocols ?? ['mqtt'];
  log('opening %s (sub-protocol %s)', redact(options.url), protocols[0]);
  const socket = new Socket(options.url, protocols);
  socket.binaryType = 'arraybuffer';

  const queue: Uint8Array[] = [];
  let queued = 0;
  const inbound: Buffer[] = [];
  let paused = false;
  let ending = false;
  let closed = false;
  let failed = false;
  let poll: Subscription | undefined;

  const finish = (error?: Error) => {
    if (closed) return;
    closed = true;
    poll?.unsubscribe();
    queue.length = 0;
    socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
    handlers.onClose(error);
  };
  const fail = (error: Error) => {
    log('websocket failed: %s', error.message);
    try {
      socket.close(NORMAL_CLOSURE);
    } catch {
      // Already closing: nothing more to do.
    }
    finish(error);
  };
  const room = () => socket.bufferedAmount + queued < highWaterMark;

  const flush = () => {
    poll = undefined;
    if (closed || socket.readyState !== OPEN) return;
    while (queue.length > 0 && socket.bufferedAmount < highWaterMark) {
      const chunk = queue.shift()!;
      queued -= chunk.length;
      socket.send(chunk);
    }
    if (queue.length > 0) poll = scheduler.schedule(flush, pollMs);
    else if (ending) socket.close(NORMAL_CLOSURE);
  };

  const deliver = () => {
    while (!paused && !closed && inbound.length > 0) handlers.onData(inbound.shift()!);
  };

  socket.onopen = () => {
    if (closed) return;
    handlers.onOpen();
    flush();
  };
  socket.onmessage = (event) => {
    if (closed) return;
    const chunk = toBuffer(event.data);
    // [MQTT-6.0.0-1] a frame other than binary closes the network connection.
    if (!chunk) return fail(new TransportError('The broker sent a WebSocket text frame; MQTT needs binary frames'));
    if (paused || inbound.length > 0) inbound.push(chunk);
    else handlers.onData(chunk);
  };
  // Browsers give an error event no detail; the close event that follows carries the code.
  socket.onerror = () => {
    failed = true;
  };
  socket.onclose = (event) => {
    const clean = ending || (event.wasClean && (event.code === NORMAL_CLOSURE || event.code === NO_STATUS) && !failed);
    log('websocket closed (code %d%s)', event.code, clean ? '' : ', not clean');
    if (clean) return finish();
    const reason = event.reason ? `: ${event.reason}` : '';
    finish(Object.assign(new TransportError(`WebSocket closed with code ${event.code}${reason}`), { closeCode: event.code }));
  };

  return {
    write: (chunk) => {
      if (closed || ending) return false;
      if (queue.length === 0 && socket.readyState === OPEN && socket.bufferedAmount < highWaterMark) {
        socket.send(chunk);
      } else {
        queue.push(chunk);
        queued += chunk.length;
        if (!poll && socket.readyState === OPEN) poll = scheduler.schedule(flush, pollMs);
      }
      return room();
    },
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      deliver();
    },
    end: () => {
      if (closed || ending) return;
      ending = true;
      // Frames already sent go out before the close frame; queued ones are flushed first.
      if (socket.readyState !== OPEN) {
        // Nothing opened yet, so nothing to flush: the attempt is simply over.
        socket.close(NORMAL_CLOSURE);
        finish();
      } else if (queue.length === 0) socket.close(NORMAL_CLOSURE);
    },
    destroy: (error) => {
      if (closed) return;
      try {
        socket.close(NORMAL_CLOSURE);
      } catch {
        // A socket that is still connecting may refuse: it is dropped either way.
      }
      finish(error);
    },
  };
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
