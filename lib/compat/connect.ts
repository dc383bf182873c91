import { asTransportFactory, MqttClient } from './compat.js';
import { InvalidArgumentError } from '../errors.js';
import { hasScheme, urlObjectHref } from '../options/broker-url.js';
import { mqttjsConnectOptions } from '../options/mqttjs-connect.js';
import { resolveOptions } from '../options/options.js';
import type { ClientOptions } from '../options/client-options.js';
import type { IClientOptions } from './compat-types.js';
import { platformDefaults } from '../platform/platform-defaults.js';
import { transportFor } from '../transport/select.js';

/** A broker URL as `connect()` takes it: text, a WHATWG `URL`, or a legacy `url.parse` result. */
export type BrokerUrl =
  | string
  | URL
  | {
      /** The whole URL, which `connect()` reads. */
      href: string;
      /** The scheme with its colon (`'mqtt:'`); `null` (no scheme) fails with "Missing protocol". */
      protocol: string | null;
    };

/**
 * MQTT.js `connect([url], options)`: returns a client that is already connecting.
 * `url` may be a URL object, read as its `href`; the options win over what the URL says.
 * Throws an InvalidArgumentError at once for options that can never work (bad URL, unknown scheme),
 * and, as MQTT.js 5 does, "Missing protocol" for a URL without a scheme (`broker.example`) or
 * with `protocol: null`; a `key` and `cert` turn mqtt into mqtts and ws into wss (see
 * mqttjsConnectOptions).
 */
export function connect(url?: BrokerUrl | IClientOptions, options?: IClientOptions): MqttClient {
  const href = urlObjectHref(url);
  if (href !== undefined) return connect(href, options);
  if (url !== undefined && typeof url === 'object') return connect(undefined, url as IClientOptions);
  // (A path alone, '/mqtt', is left to the platform: MQTT.js reads it in a browser as the page's WebSocket.)
  const path = typeof url === 'string' && url.startsWith('/') && !url.startsWith('//');
  if (typeof url === 'string' && url !== '' && !path && !hasScheme(url)) throw new InvalidArgumentError('Missing protocol');
  // IClientOptions only narrows the client transformWsUrl gets to the MqttClient made below.
  const given = mqttjsConnectOptions(url, (options ?? {}) as ClientOptions);
  // Without a URL, the platform fills in what it can (in a browser: ws/wss and the page's host).
  const resolved = resolveOptions(url, url === undefined ? platformDefaults(given) : given);
  // transformWsUrl gets the client (as in MQTT.js); it exists by the time a transport opens.
  let client: MqttClient | undefined;
  const direct = transportFor(resolved, () => client);
  // `shared` (acrossTabs()): this client connects through a link to the one shared connection.
  const { transport, options: clientOptions } = resolved.shared?.share(given, resolved, direct, () => client) ?? { transport: direct, options: resolved };
  client = new MqttClient(asTransportFactory(transport, clientOptions), clientOptions);
  return client;
}

/**
 * MQTT.js `connectAsync([url], options, [allowRetries])`: resolves with the client on 'connect'
 * (or 'end'), rejects on the first 'error' (and ends the client). With `allowRetries` false a
 * close before CONNACK also rejects.
 */
export function connectAsync(url?: BrokerUrl | IClientOptions, options?: IClientOptions, allowRetries = true): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    let client: MqttClient;
    try {
      client = connect(url, options);
    } catch (error) {
      reject(error);
      return;
    }
    const cleanup = () => {
      client.off('connect', onConnect).off('end', onEnd).off('error', onError).off('close', onClose);
    };
    const onConnect = () => {
      cleanup();
      resolve(client);
    };
    const onEnd = onConnect;
    const onError = (error: Error) => {
      cleanup();
      client.end(true);
      reject(error);
    };
    const onClose = () => onError(new Error("Couldn't connect to server"));
    client.on('connect', onConnect).on('end', onEnd).on('error', onError);
    if (!allowRetries) client.on('close', onClose);
  });
}
