/**
 * The browser build's replacement for `select.ts` (swapped in by scripts/bundle.mjs): a browser
 * has no TCP, TLS or Unix sockets, so only `ws://` and `wss://` exist, over the global WebSocket.
 */
import type { Duplex } from 'node:stream';
import { InvalidArgumentError } from '../errors.js';
import type { ResolvedOptions } from '../options/options.js';
import type { ServerAddress } from '../options/client-options.js';
import { openBrowserWs, type BrowserWebSocketConstructor } from './browser-ws.js';
import { deferredTransport } from './deferred.js';
import { miniProgramTransport } from './mini-program.js';
import { rotateServers } from './servers.js';
import { streamTransport } from './stream.js';
import type { TransportFactory, TransportHandlers } from './transport.js';

const WS = new Set(['ws', 'wss']);

/** See select.ts: a factory for the options' protocol, rotating through `servers`. */
export function transportFor(options: ResolvedOptions, client?: () => unknown): TransportFactory {
  return rotateServers(options, (server) => factoryFor(server, options, client));
}

/** MQTT.js `streamBuilder`: a duplex-like object per attempt (rare in browsers, kept for parity). */
export function streamBuilderTransport(build: () => Duplex): TransportFactory {
  return (handlers) => streamTransport(build(), handlers);
}

function factoryFor(server: ServerAddress, options: ResolvedOptions, client?: () => unknown): TransportFactory {
  const protocol = (server.protocol ?? options.protocol).replace(/:$/, '');
  // WeChat/Alipay mini programs get this build too: their socket APIs, when the scheme asks.
  const miniProgram = miniProgramTransport(protocol, server.host, server.port, options, client);
  if (miniProgram) return miniProgram;
  if (!WS.has(protocol)) throw new InvalidArgumentError(`The ${protocol}:// transport is not available in browsers: use ws://, wss:// (or wx/wxs/ali/alis in mini programs)`);
  const host = server.host.includes(':') ? `[${server.host}]` : server.host;
  const url = `${protocol}://${host}:${server.port}${options.path ?? '/'}`;
  const protocols = [options.protocolId === 'MQIsdp' && options.protocolVersion === 3 ? 'mqttv3.1' : 'mqtt'];
  const { transformWsUrl, createWebsocket } = options;
  for (const [name, value] of [['transformWsUrl', transformWsUrl], ['createWebsocket', createWebsocket]] as const) {
    if (value !== undefined && typeof value !== 'function') throw new InvalidArgumentError(`${name} must be a function`);
  }
  // createWebsocket builds the socket itself, so hand it over as a one-shot constructor.
  const WebSocket = createWebsocket
    ? (function (u: string, p?: string | string[]) {
        return createWebsocket(u, p as string[], options);
      } as unknown as BrowserWebSocketConstructor)
    : undefined;
  const open = (target: string, handlers: TransportHandlers) => openBrowserWs({ url: target, protocols, WebSocket, scheduler: options.scheduler }, handlers);
  return (handlers) => {
    if (!transformWsUrl) return open(url, handlers);
    // As in ws.ts: sync or async, called a microtask later, once the client exists.
    const target = Promise.resolve().then(() => transformWsUrl(url, options, client?.()));
    return deferredTransport(target, handlers, open);
  };
}
