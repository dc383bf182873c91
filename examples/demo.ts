/**
 * `npm start`: the main job on an embedded default. Starts an in-process aedes broker on a free
 * loopback port, subscribes with the Observable API, publishes a few readings at QoS 0, 1 and 2
 * with the MQTT.js-style API, prints what arrives, and exits cleanly.
 *
 * Pass a broker URL to use a real one instead: `npm start -- mqtt://test.example:1883`.
 *
 * aedes is a devDependency of rxmqtt (an optional peer for the CLI), so it is loaded only for the
 * embedded broker: an installed rxmqtt without aedes still runs this demo against a URL, and says
 * what to install otherwise.
 */
import { createServer, type AddressInfo } from 'node:net';
import { firstValueFrom, take, tap, toArray } from 'rxjs';
import { connectAsync, type QoS } from '../lib/index.js';

const READINGS: Array<{ room: string; celsius: number; qos: QoS }> = [
  { room: 'kitchen', celsius: 21.5, qos: 0 },
  { room: 'office', celsius: 19.75, qos: 1 },
  { room: 'cellar', celsius: 12.0, qos: 2 },
  { room: 'kitchen', celsius: 22.0, qos: 2 },
];

/** Exit code when aedes is missing: a usage error, as the CLI's (cli/errors.ts EXIT.usage). */
const EXIT_USAGE = 2;

class AedesMissing extends Error {}

async function startEmbeddedBroker(): Promise<{ url: string; close(): Promise<void> }> {
  const { Aedes } = await import('aedes').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ERR_MODULE_NOT_FOUND' && error.message.includes("'aedes'")) throw new AedesMissing();
    throw error;
  });
  const broker = await Aedes.createBroker();
  const server = createServer((socket) => broker.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function main(): Promise<void> {
  const external = process.argv[2];
  const broker = external ? undefined : await startEmbeddedBroker();
  const url = external ?? broker!.url;
  console.log(`broker: ${external ? url : `embedded aedes at ${url}`}`);

  const subscriber = await connectAsync(url, { clientId: 'rxmqtt-demo-sub' });
  const publisher = await connectAsync(url, { clientId: 'rxmqtt-demo-pub' });

  // Observable API: the stream subscribes on first use and unsubscribes when `take` completes it.
  const received = firstValueFrom(
    subscriber.topic('demo/+/temperature', { qos: 2 }).pipe(
      tap((message) => {
        const room = message.topic.split('/')[1];
        console.log(`  received ${message.topic} (qos ${message.qos}): ${room} is ${message.payload.toString()} °C`);
      }),
      take(READINGS.length),
      toArray(),
    ),
  );
  // The same filter through the MQTT.js API: its SUBACK tells us the broker has the subscription
  // (commands go out in order, so the topic() SUBSCRIBE above was handled first).
  await subscriber.subscribeAsync('demo/+/temperature', { qos: 2 });

  // MQTT.js-style API: publishAsync resolves when the QoS flow completes.
  for (const reading of READINGS) {
    await publisher.publishAsync(`demo/${reading.room}/temperature`, String(reading.celsius), { qos: reading.qos });
    console.log(`published demo/${reading.room}/temperature = ${reading.celsius} at qos ${reading.qos}`);
  }

  const messages = await received;
  console.log(`done: ${messages.length} of ${READINGS.length} readings received`);
  await Promise.all([subscriber.endAsync(), publisher.endAsync()]);
  await broker?.close();
}

main().catch((error: unknown) => {
  if (error instanceof AedesMissing) {
    console.error('demo: the embedded broker needs the aedes package: run npm install aedes, or pass a broker URL (mqtt://host:1883)');
    process.exitCode = EXIT_USAGE;
    return;
  }
  console.error(`demo failed: ${(error as Error).message}`);
  process.exitCode = 1;
});
