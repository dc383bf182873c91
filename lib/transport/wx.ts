/**
 * WeChat mini-program transport for `wxs://` and `wx://`: MQTT over `wx.connectSocket`, the
 * platform's WebSocket, in binary frames under the `mqtt` sub-protocol (as MQTT.js).
 */
import { InvalidArgumentError, TransportError } from '../errors.js';
import { createLogger } from '../log.js';
import { errMsgOf, messageSocketTransport, subProtocolOf, toArrayBuffer, type MessageSocket, type MessageSocketEvents, type MiniProgramTransportOptions } from './message-socket.js';
import type { TransportFactory } from './transport.js';

const log = createLogger('transport');

/** The failure result of a WeChat API call. */
export interface WxFailResult {
  /** WeChat's description of the failure. */
  errMsg?: string;
}

/** The SocketTask `wx.connectSocket` returns (the members rxmqtt uses). */
export interface WxSocketTask {
  /** Registers the callback for the socket's opening. */
  onOpen(callback: (result?: unknown) => void): void;
  /** A text frame arrives as a string, a binary one as an ArrayBuffer. */
  onMessage(callback: (result: { data: ArrayBuffer | string }) => void): void;
  /** Registers the callback for the socket's close, with its close code and reason. */
  onClose(callback: (result?: { code?: number; reason?: string }) => void): void;
  /** Registers the callback for the socket's errors. */
  onError(callback: (result?: WxFailResult) => void): void;
  /** Sends a frame: an ArrayBuffer as binary, a string as text. */
  send(options: { data: ArrayBuffer | string; success?: () => void; fail?: (result?: WxFailResult) => void }): void;
  /** Closes the socket. */
  close(options?: { code?: number; reason?: string; success?: () => void; fail?: (result?: WxFailResult) => void }): void;
}

/** The part of the WeChat `wx` API rxmqtt uses. */
export interface WxApi {
  /** Opens a WebSocket to `url` with the given subprotocols; returns its task. */
  connectSocket(options: { url: string; protocols?: string[]; fail?: (result?: WxFailResult) => void }): WxSocketTask;
}

/** Where `wxTransport` connects, and the `wx` API it uses. */
export interface WxTransportOptions extends MiniProgramTransportOptions {
  /** The WeChat API; tests pass a simulated one. @default globalThis.wx */
  wx?: WxApi;
}

/**
 * WeChat transport for `wxs://` (a `wss://` socket) and `wx://` (`ws://`) URLs.
 *
 * ```ts
 * const factory = wxTransport({ protocol: 'wxs', host: 'broker.example', port: 8084, path: '/mqtt' });
 * // each attempt calls wx.connectSocket({ url: 'wss://broker.example:8084/mqtt', protocols: ['mqtt'] })
 * ```
 *
 * @param options where to connect, and the `wx` API when it is not the global one
 * @returns a factory opening a fresh SocketTask per connection attempt
 * @throws InvalidArgumentError when there is no `wx` API (not in a mini program, none passed)
 */
export function wxTransport(options: WxTransportOptions): TransportFactory {
  const wx = options.wx ?? (globalThis as { wx?: WxApi }).wx;
  if (!wx || typeof wx.connectSocket !== 'function') {
    throw new InvalidArgumentError(`A ${options.protocol}:// URL needs the WeChat API: run inside a WeChat mini program, or pass the \`wx\` option`);
  }
  const protocols = [subProtocolOf(options)];
  return (handlers) => messageSocketTransport(options, (url, events) => openSocketTask(wx, url, protocols, events), handlers);
}

function openSocketTask(wx: WxApi, url: string, protocols: string[], events: MessageSocketEvents): MessageSocket {
  log('opening a WeChat socket (sub-protocol %s)', protocols[0]);
  const task = wx.connectSocket({ url, protocols, fail: (result) => events.onClose(new TransportError(`wx.connectSocket failed: ${errMsgOf(result)}`, result)) });
  task.onOpen(() => events.onOpen());
  task.onMessage(({ data }) => events.onMessage(typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data)));
  task.onError((result) => events.onClose(new TransportError(`WeChat socket error: ${errMsgOf(result)}`, result)));
  task.onClose(() => events.onClose());
  return {
    send: (chunk, done) =>
      task.send({
        data: toArrayBuffer(chunk),
        success: () => done(),
        fail: (result) => done(new TransportError(`WeChat socket send failed: ${errMsgOf(result)}`, result)),
      }),
    close: () => task.close({ code: 1000 }),
  };
}
