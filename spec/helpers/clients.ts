// Clients a spec makes with `connect()` and ends after each test: quick timeouts, no retries, their
// 'error' events swallowed (the specs read errors with `failure()` or from state instead).
import { connect, type ClientOptions, type MqttClient } from '../../lib/index.js';
import { HANG_DEADLINE_MS, once } from './wait.js';

export const QUICK: ClientOptions = { reconnectPeriod: 0, connectTimeout: HANG_DEADLINE_MS, endTimeout: 3000 };

/** A transport error as the client reports it: `kind` ERR_TRANSPORT, the system or TLS code in `code` and `errno`. */
export type TransportFailure = Error & { kind?: string; code?: string; errno?: string };

/** Registers an afterEach that ends every client made through the returned `client()`. */
export function useClients(defaults: ClientOptions = QUICK) {
  const made: MqttClient[] = [];
  afterEach(async () => {
    for (const client of made.splice(0)) await client.endAsync(true);
  });
  return {
    client(url: string, options: ClientOptions = {}): MqttClient {
      const c = connect(url, { ...defaults, ...options });
      c.on('error', () => undefined);
      made.push(c);
      return c;
    },
    /** Resolves once `c` is connected (at once if it is), within 3 s. */
    async connected(c: MqttClient): Promise<MqttClient> {
      if (!c.connected) await once(c, 'connect');
      return c;
    },
    /** The next 'error' of `c`, within 3 s. */
    async failure(c: MqttClient): Promise<TransportFailure> {
      return (await once<[TransportFailure]>(c, 'error'))[0];
    },
  };
}
