/**
 * The core the mini-program adapters (`wx.ts`, `ali.ts`) share: a Transport over a socket API
 * that moves whole binary messages through callbacks instead of a stream. Imports neither `ws`
 * nor `net`, so a mini-program bundle that only uses these adapters carries no Node socket code.
 *
 * What it adds to the platform socket: writes before the socket opens are held and sent, in
 * order, once it does; `end()` waits for the sends the platform has not confirmed yet; inbound
 * messages are held while paused (the platform APIs cannot stop reading, so a pause can only
 * stop delivering); the close is reported exactly once, whichever of error, close or our own
 * `end()`/`destroy()` comes first.
 */
import { TransportError } from '../errors.js';
import { createLogger } from '../log.js';
import type { Transport, TransportHandlers } from './transport.js';

const log = createLogger('transport');

/** One platform socket as the core sees it. */
export interface MessageSocket {
  /** Sends one binary message; `done` when the platform accepted it or refused it (with an error). */
  send(data: Buffer, done: (error?: Error) => void): void;
  /** Closes the socket normally (code 1000). */
  close(): void;
}

/** What an adapter reports from its platform socket. */
export interface MessageSocketEvents {
  onOpen(): void;
  onMessage(data: Buffer): void;
  /** The socket closed, or failed when `error` is set; later events are ignored. */
  onClose(error?: Error): void;
}

/** Opens a platform socket to `url` and routes its callbacks to `events`. May throw. */
export type OpenMessageSocket = (url: string, events: MessageSocketEvents) => MessageSocket;

/** The URL and sub-protocol settings both mini-program adapters take (MQTT.js names). */
export interface MiniProgramTransportOptions {
  /** `wx`/`wxs` or `ali`/`alis`: the `s` means a `wss://` socket. */
  protocol: string;
  /** The broker's host name or IP address (an IPv6 address is bracketed in the URL). */
  host: string;
  /** The broker's port; the scheme's default is left out of the URL. @default 443 for the secure schemes, 80 for the others */
  port?: number;
  /** The URL path (and query); as MQTT.js, `/` when the URL has none (not `/mqtt`). @default '/' */
  path?: string;
  /** With `protocolVersion` 3, `'MQIsdp'` (MQTT 3.1) selects the `mqttv3.1` sub-protocol. @default 'MQTT' */
  protocolId?: 'MQTT' | 'MQIsdp';
  /** The MQTT version; only MQTT 3.1 (`3` with `'MQIsdp'`) changes the sub-protocol. */
  protocolVersion?: 3 | 4 | 5;
  /**
   * Rewrites the socket URL before every (re)connect, as for ws://. May return a Promise; a throw
   * or rejection fails the attempt (`ERR_TRANSFORM_WS_URL`), retried per the reconnect policy.
   * @default undefined
   */
  transformWsUrl?: (url: string, options: never, client: never) => string | PromiseLike<string>;
  /** The client options handed to `transformWsUrl`. */
  clientOptions?: Record<string, unknown>;
  /** The client handed to `transformWsUrl` (read at each attempt: the client exists after the factory). */
  client?: () => unknown;
}

/**
 * The WebSocket URL a mini-program scheme stands for: `wxs://h:8084/mqtt` -> `wss://h:8084/mqtt`.
 * The scheme's default port is left out, as MQTT.js does (platforms match URLs against a domain
 * allow-list, where `wss://h` and `wss://h:443` may not count as the same entry).
 */
export function miniProgramUrl(options: MiniProgramTransportOptions): string {
  const secure = options.protocol.endsWith('s');
  const scheme = secure ? 'wss' : 'ws';
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const port = options.port === undefined || options.port === (secure ? 443 : 80) ? '' : `:${options.port}`;
  return `${scheme}://${host}${port}${options.path ?? '/'}`;
}

/** The WebSocket sub-protocol: `mqttv3.1` for MQTT 3.1, `mqtt` otherwise (as MQTT.js). */
export function subProtocolOf(options: Pick<MiniProgramTransportOptions, 'protocolId' | 'protocolVersion'>): string {
  return options.protocolId === 'MQIsdp' && options.protocolVersion === 3 ? 'mqttv3.1' : 'mqtt';
}

/** The bytes of a Buffer as an ArrayBuffer of their own (a Buffer is often a slice of a shared pool). */
export function toArrayBuffer(chunk: Buffer): ArrayBuffer {
  const { buffer, byteOffset, byteLength } = chunk;
  if (byteOffset === 0 && byteLength === buffer.byteLength && buffer instanceof ArrayBuffer) return buffer;
  return buffer.slice(byteOffset, byteOffset + byteLength) as ArrayBuffer;
}

/** The `errMsg` of a platform failure result, or what else describes it. */
export function errMsgOf(result: unknown): string {
  if (result && typeof result === 'object') {
    const { errMsg, errorMessage, message } = result as { errMsg?: unknown; errorMessage?: unknown; message?: unknown };
    const text = errMsg ?? errorMessage ?? message;
    if (typeof text === 'string' && text) return text;
  }
  return typeof result === 'string' && result ? result : 'unknown error';
}

/**
 * Opens one connection attempt: resolves the URL (through `transformWsUrl`, a microtask later so
 * that the client exists), then opens the platform socket with `open`.
 *
 * @param options where to connect (see `MiniProgramTransportOptions`)
 * @param open opens the platform socket
 * @param handlers the connection's handlers
 * @returns the transport, usable at once (writes are held until the socket opens)
 */
export function messageSocketTransport(options: MiniProgramTransportOptions, open: OpenMessageSocket, handlers: TransportHandlers): Transport {
  const url = miniProgramUrl(options);
  const transform = options.transformWsUrl;
  if (!transform) return new MessageSocketTransport(url, open, handlers);
  const transformed = Promise.resolve().then(() => transform(url, (options.clientOptions ?? {}) as never, options.client?.() as never));
  return new MessageSocketTransport(transformed, open, handlers);
}

type Phase = 'connecting' | 'open' | 'ending' | 'closed';

class MessageSocketTransport implements Transport {
  private phase: Phase = 'connecting';
  private socket: MessageSocket | undefined;
  /** Written before the socket opened. */
  private readonly pending: Buffer[] = [];
  /** Received while paused; undefined when not paused. */
  private inbox: Buffer[] | undefined;
  /** Sends the platform has not confirmed yet. */
  private sending = 0;
  /** Inside the platform's connectSocket, which may be inside the client's constructor. */
  private opening = false;
  private readonly events: MessageSocketEvents = {
    onOpen: () => this.opened(),
    onMessage: (data) => this.received(data),
    onClose: (error) => {
      if (error) this.closeSocket();
      this.close(error);
    },
  };

  constructor(
    url: string | Promise<string>,
    private readonly open: OpenMessageSocket,
    private readonly handlers: TransportHandlers,
  ) {
    if (typeof url === 'string') this.start(url);
    else url.then((resolved) => this.start(resolved), (error: unknown) => this.transformFailed(error));
  }

  write(chunk: Buffer): boolean {
    if (this.phase === 'connecting') {
      this.pending.push(chunk);
      return true;
    }
    if (this.phase !== 'open') return false;
    this.send(chunk);
    return true;
  }

  pause(): void {
    this.inbox ??= [];
  }

  resume(): void {
    const queued = this.inbox;
    this.inbox = undefined;
    if (!queued) return;
    for (let i = 0; i < queued.length; i++) {
      if (this.phase === 'closed') return;
      // Paused again by a handler: keep the rest, ahead of anything newer.
      const again = this.inbox as Buffer[] | undefined;
      if (again) return void again.unshift(...queued.slice(i));
      this.handlers.onData(queued[i]);
    }
  }

  end(): void {
    if (this.phase === 'closed' || this.phase === 'ending') return;
    // Unconfirmed sends first; before the socket opened there is nothing to flush.
    if (this.phase === 'open' && this.sending > 0) {
      this.phase = 'ending';
      return;
    }
    this.closeSocket();
    this.close();
  }

  destroy(error?: Error): void {
    this.closeSocket();
    this.close(error);
  }

  private start(url: string): void {
    if (this.phase === 'closed') return;
    if (typeof url !== 'string') return this.transformFailed(new TypeError(`transformWsUrl must return a string URL, got ${typeof url}`));
    this.opening = true;
    try {
      this.socket = this.open(url, this.events);
    } catch (error) {
      this.close(new TransportError(`Cannot open the socket: ${error instanceof Error ? error.message : String(error)}`, error));
      return;
    } finally {
      this.opening = false;
    }
    // Closed while opening (a synchronous `fail`): the socket is not ours to keep.
    if ((this.phase as Phase) === 'closed') this.closeSocket();
  }

  private transformFailed(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    log('transformWsUrl failed: %s', message);
    this.close(Object.assign(new Error(`transformWsUrl failed: ${message}`, { cause: error }), { code: 'ERR_TRANSFORM_WS_URL' }));
  }

  private opened(): void {
    if (this.phase !== 'connecting') return;
    // A platform that reports the open from inside connectSocket: wait until we hold the socket.
    if (!this.socket) return void queueMicrotask(() => this.opened());
    this.phase = 'open';
    for (const chunk of this.pending.splice(0)) if (this.phase === 'open') this.send(chunk);
    if (this.phase === 'open') this.handlers.onOpen();
  }

  private received(data: Buffer): void {
    if (this.phase === 'closed') return;
    if (this.inbox) this.inbox.push(data);
    else this.handlers.onData(data);
  }

  private send(chunk: Buffer): void {
    this.sending++;
    try {
      this.socket!.send(chunk, (error) => this.settle(error));
    } catch (error) {
      this.settle(new TransportError(`Send failed: ${error instanceof Error ? error.message : String(error)}`, error));
    }
  }

  private settle(error?: Error): void {
    this.sending--;
    if (this.phase === 'closed') return;
    if (error) return this.destroy(error);
    if (this.phase === 'ending' && this.sending === 0) {
      this.closeSocket();
      this.close();
    }
  }

  private closeSocket(): void {
    const socket = this.socket;
    this.socket = undefined;
    try {
      socket?.close();
    } catch (error) {
      // Already closed on the platform side: nothing left to release.
      log('socket close failed: %s', error instanceof Error ? error.message : String(error));
    }
  }

  private close(error?: Error): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.pending.length = 0;
    this.inbox = undefined;
    if (error) log('socket failed: %s', error.message);
    // A failure from inside connectSocket (a URL off the allow-list) is reported a microtask
    // later, as a network failure would be: the caller may not be listening for errors yet.
    if (this.opening) queueMicrotask(() => this.handlers.onClose(error));
    else this.handlers.onClose(error);
  }
}
