/**
 * The mini-program schemes for the transport selectors (`select.ts`, and a browser one): one
 * call that returns the WeChat or Alipay transport, or undefined for any other scheme. Imports
 * neither `ws` nor `net`.
 */
import { InvalidArgumentError } from '../errors.js';
import type { ResolvedOptions } from '../options/options.js';
import { aliTransport } from './ali.js';
import type { MiniProgramTransportOptions } from './message-socket.js';
import type { TransportFactory } from './transport.js';
import { wxTransport } from './wx.js';

const WX = new Set(['wx', 'wxs']);
const ALI = new Set(['ali', 'alis']);

/**
 * The transport for a `wx://`, `wxs://`, `ali://` or `alis://` server.
 *
 * @param protocol the server's scheme, without the colon
 * @param host the server's host
 * @param port the server's port
 * @param options the resolved client options (`path`, `wx`, `my`, `transformWsUrl`...)
 * @param client returns the client, handed to `transformWsUrl`
 * @returns the factory, or undefined when `protocol` is not a mini-program scheme
 * @throws InvalidArgumentError when the platform API is missing or `transformWsUrl` is not a function
 */
export function miniProgramTransport(protocol: string, host: string, port: number, options: ResolvedOptions, client?: () => unknown): TransportFactory | undefined {
  if (!WX.has(protocol) && !ALI.has(protocol)) return undefined;
  if (options.transformWsUrl !== undefined && typeof options.transformWsUrl !== 'function') throw new InvalidArgumentError('transformWsUrl must be a function');
  const settings: MiniProgramTransportOptions = {
    protocol,
    host,
    port,
    path: options.path,
    protocolId: options.protocolId,
    protocolVersion: options.protocolVersion,
    transformWsUrl: options.transformWsUrl as never,
    clientOptions: options,
    client,
  };
  return WX.has(protocol) ? wxTransport({ ...settings, wx: options.wx }) : aliTransport({ ...settings, my: options.my });
}
