/**
 * A job worker with backpressure: jobs arrive at QoS 1 and each is acknowledged (PUBACK) only
 * after its work is done, so a crash mid-job leaves it with the broker to deliver again. The worker
 * pulls with an async iterator: while 4 jobs wait unprocessed it stops reading the socket, and
 * the broker holds the rest.
 *
 *   npm run build && node dist/esm/examples/worker.js mqtt://localhost:1883
 */
import { from } from 'rxjs';
import { connectAsync, type MqttMessage } from '../lib/index.js';

const url = process.argv[2] ?? 'mqtt://localhost:1883';
const JOBS = 10;

const worker = await connectAsync(url, { clientId: 'rxmqtt-example-worker' });
const producer = await connectAsync(url, { clientId: 'rxmqtt-example-producer' });

async function work(job: MqttMessage): Promise<string> {
  await new Promise((resolve) => setImmediate(resolve)); // stands for real asynchronous work
  return job.payload.toString().toUpperCase();
}

const jobs = worker.messages('jobs/#', { qos: 1, highWaterMark: 4 });
// Pulling the first job subscribes; the SUBACK of the same filter through the callback API tells
// us the broker has it (a client's commands go out in order) before the producer starts.
const first = jobs.next();
await worker.subscribeAsync('jobs/#', { qos: 1 });

// publishAll: at most `concurrency` publishes in flight, one result per acknowledged publish.
const sent = Array.from({ length: JOBS }, (_, i) => ({ topic: `jobs/${i}`, payload: `job ${i}`, qos: 1 as const }));
producer.publishAll(from(sent), { concurrency: 5 }).subscribe({ complete: () => console.log(`producer: ${JOBS} jobs acknowledged by the broker`) });

let done = 0;
for (let next = await first; !next.done; next = await jobs.next()) {
  console.log(`${next.value.topic} -> ${await work(next.value)}`);
  // The message is acknowledged when the next one is pulled, or when the loop ends.
  if (++done === JOBS) break;
}
await jobs.return?.();
console.log(`worker: ${done} jobs done`);
await Promise.all([worker.endAsync(), producer.endAsync()]);
