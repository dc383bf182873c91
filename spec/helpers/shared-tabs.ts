/**
 * What the shared-connection specs (spec/sharing/) need around their "tabs": an outside client
 * (the Node side), the payloads a client receives, and waits driven by events.
 */
import { connect, type MqttClient } from '../../lib/index.js';
import { once, scaled } from './wait.js';

/** A client of its own at `url`, outside the sharing, added to `clients` (which the spec ends). */
export async function outsideClient(url: string, clients: MqttClient[]): Promise<MqttClient> {
  const client = connect(url, { clientId: `outside-${clients.length}` });
  clients.push(client);
  await once(client, 'connect');
  return client;
}

/** The payloads `client` receives on `topic`, as they come. */
export function received(client: MqttClient, topic: string): string[] {
  const payloads: string[] = [];
  client.on('message', (t: string, payload: Buffer) => t === topic && payloads.push(payload.toString()));
  return payloads;
}

/** Resolves once `client` is connected (at once if it is). */
export const connected = (client: MqttClient): Promise<void> => (client.connected ? Promise.resolve() : once(client, 'connect').then(() => undefined));

/**
 * Resolves once `condition` holds, checking after every macrotask (events drive it); bound it with
 * `within`, which names what it awaited. The checking itself stops after `ms` too (rejecting), by
 * default jest's own timeout, later than `within`'s: a loop left running after a failed wait would
 * keep jest from exiting.
 */
export function waitFor(condition: () => boolean, ms = scaled(120_000)): Promise<void> {
  const deadline = performance.now() + ms;
  return new Promise((done, fail) => {
    const check = () => {
      if (condition()) done();
      else if (performance.now() > deadline) fail(new Error(`the condition still failed after ${ms} ms`));
      else setImmediate(check);
    };
    check();
  });
}
