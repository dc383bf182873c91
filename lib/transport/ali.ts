/**
 * Alipay mini-program transport for `alis://` and `ali://`: MQTT over the platform's single
 * WebSocket (`my.connectSocket` and the global `my.onSocket*` callbacks), as MQTT.js.
 *
 * Binary data crosses this API base64-encoded: sends go out as `{ data: base64, isBuffer: true }`
 * (which every Alipay base library accepts), and a message arriving as a string is read as
 * base64 unless it says `isBuffer: false` (a text frame); an ArrayBuffer is taken as is.
 */
import { InvalidArgumentError, TransportError } from '../errors.js';
import { createLogger } from '../log.js';
import { errMsgOf, messageSocketTransport, subProtocolOf, type MessageSocket, type MessageSocketEvents, type MiniProgramTransportOptions } from './message-socket.js';
import type { TransportFactory } from './transport.js';

const log = createLogger('transport');

/** The failure result of an Alipay API call. */
export interface AliFailResult {
  /** Alipay's error number. */
  error?: number;
  /** Alipay's description of the failure. */
  errorMessage?: string;
}

/** What `my.onSocketMessage` reports: base64 text when `isBuffer`, else text or an ArrayBuffer. */
export interface AliSocketMessage {
  /** The frame's data. */
  data: string | ArrayBuffer | ArrayBufferView;
  /** Whether string `data` is base64 of binary data. */
  isBuffer?: boolean;
}

/** The part of the Alipay `my` API rxmqtt uses (the single-socket API). */
export interface AliApi {
  /** Opens the mini-program's one WebSocket, to `url`. */
  connectSocket(options: { url: string; protocols?: string[]; fail?: (result?: AliFailResult) => void }): unknown;
  /** Registers the callback for the socket's opening. */
  onSocketOpen(callback: (result?: unknown) => void): void;
  /** Registers the callback for each frame received. */
  onSocketMessage(callback: (result: AliSocketMessage) => void): void;
  /** Registers the callback for the socket's errors. */
  onSocketError(callback: (result?: AliFailResult) => void): void;
  /** Registers the callback for the socket's close. */
  onSocketClose(callback: (result?: unknown) => void): void;
  /** Sends a frame; binary data goes as base64 text with `isBuffer: true`. */
  sendSocketMessage(options: { data: string | ArrayBuffer; isBuffer?: boolean; success?: () => void; fail?: (result?: AliFailResult) => void }): void;
  /** Closes the socket. */
  closeSocket(options?: { success?: () => void; fail?: (result?: AliFailResult) => void }): void;
}

/** Where `aliTransport` connects, and the `my` API it uses. */
export interface AliTransportOptions extends MiniProgramTransportOptions {
  /** The Alipay API; MQTT.js's `my` option, which tests use to pass a simulated one. @default globalThis.my */
  my?: AliApi;
}

/**
 * The connection the global callbacks of one `my` report to. The callbacks are registered once
 * per `my` (the old API cannot remove them) and routed to the current connection, so that
 * reconnects do not pile up listeners and a closed connection hears nothing more. The events
 * carry no socket identity: a close of the previous socket reported only after the next one was
 * requested would close the new connection, which costs one more reconnect, not a stuck client.
 */
const routes = new WeakMap<AliApi, { current?: MessageSocketEvents }>();

/**
 * Alipay transport for `alis://` (a `wss://` socket) and `ali://` (`ws://`) URLs.
 *
 * ```ts
 * const factory = aliTransport({ protocol: 'alis', host: 'broker.example', path: '/mqtt', my });
 * ```
 *
 * @param options where to connect, and the `my` API when it is not the global one
 * @returns a factory opening the socket afresh per connection attempt
 * @throws InvalidArgumentError when there is no `my` API (not in a mini program, none passed)
 */
export function aliTransport(options: AliTransportOptions): TransportFactory {
  const my = options.my ?? (globalThis as { my?: AliApi }).my;
  if (!my || typeof my.connectSocket !== 'function') {
    throw new InvalidArgumentError(`A ${options.protocol}:// URL needs the Alipay API: run inside an Alipay mini program, or pass the \`my\` option`);
  }
  const protocols = [subProtocolOf(options)];
  return (handlers) => messageSocketTransport(options, (url, events) => openSocket(my, url, protocols, events), handlers);
}

function openSocket(my: AliApi, url: string, protocols: string[], events: MessageSocketEvents): MessageSocket {
  const route = routeOf(my);
  route.current = events;
  const mine = () => route.current === events;
  log('opening an Alipay socket (sub-protocol %s)', protocols[0]);
  my.connectSocket({ url, protocols, fail: (result) => mine() && events.onClose(new TransportError(`my.connectSocket failed: ${errMsgOf(result)}`, result)) });
  return {
    send: (chunk, done) =>
      my.sendSocketMessage({
        data: chunk.toString('base64'),
        isBuffer: true,
        success: () => done(),
        fail: (result) => done(new TransportError(`Alipay socket send failed: ${errMsgOf(result)}`, result)),
      }),
    close: () => {
      if (!mine()) return;
      route.current = undefined;
      my.closeSocket();
    },
  };
}

function routeOf(my: AliApi): { current?: MessageSocketEvents } {
  const known = routes.get(my);
  if (known) return known;
  const route: { current?: MessageSocketEvents } = {};
  routes.set(my, route);
  my.onSocketOpen(() => route.current?.onOpen());
  my.onSocketMessage((message) => route.current?.onMessage(bytesOf(message)));
  my.onSocketError((result) => route.current?.onClose(new TransportError(`Alipay socket error: ${errMsgOf(result)}`, result)));
  my.onSocketClose(() => {
    const events = route.current;
    route.current = undefined;
    events?.onClose();
  });
  return route;
}

/** The bytes of an Alipay socket message (see the file comment for the encodings). */
export function bytesOf({ data, isBuffer }: AliSocketMessage): Buffer {
  if (typeof data === 'string') return Buffer.from(data, isBuffer === false ? 'utf8' : 'base64');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}
