import { connect } from 'node:net';
import { streamTransport } from './stream.js';
import type { TransportFactory } from './transport.js';

export interface UnixTransportOptions {
  /** The socket file, from the URL path: `mqtt+unix:///run/mosquitto.sock` -> `/run/mosquitto.sock`. */
  path: string;
}

/**
 * Unix domain socket transport for `mqtt+unix://` URLs (MQTT.js v5 names it so; there is no
 * plain `unix://` scheme there).
 *
 * @param options the socket path
 * @returns a factory opening a fresh socket per connection attempt
 */
export function unixTransport(options: UnixTransportOptions): TransportFactory {
  return (handlers) => streamTransport(connect({ path: options.path }), handlers, 'connect');
}
