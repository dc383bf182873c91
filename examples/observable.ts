/**
 * The Observable API in one program: connection state as a stream, a QoS 1 publish as a cold
 * Observable that completes when the broker acknowledges it, and a topic stream with named
 * parameters and a JSON codec.
 *
 * It publishes two retained readings, then opens the stream: a broker sends the retained message
 * of every matching topic on SUBSCRIBE, so the stream gets both whatever the timing. It clears the
 * retained messages again before it ends.
 *
 *   npm run build && node dist/esm/examples/observable.js mqtt://localhost:1883
 *
 * (`npm start` runs the demo with a broker of its own; `node dist/cli/rxmqtt.mjs broker` starts one.)
 */
import { concat, forkJoin, lastValueFrom, map, take, tap } from 'rxjs';
import { connect, json } from '../lib/index.js';

interface Reading {
  celsius: number;
}

const url = process.argv[2] ?? 'mqtt://localhost:1883';
const client = connect(url, { clientId: 'rxmqtt-example-observable' });

// Replays the current state to each subscriber, then every change: connecting, connected...
client.state$.subscribe((state) => console.log(`state: ${state.status}`));

const readings = { kitchen: 21.5, cellar: 12 };
const published$ = forkJoin(
  Object.entries(readings).map(([room, celsius]) =>
    client.publish$(`sensors/${room}/temperature`, { celsius }, { qos: 1, retain: true, codec: json<Reading>() }),
  ),
);

// `:room` is a `+` level whose value arrives in `message.params.room`; `value` is the decoded JSON.
const received$ = client.topic('sensors/:room/temperature', { qos: 1, codec: json<Reading>() }).pipe(
  map((message) => `${message.params.room}: ${message.value.celsius} °C`),
  take(Object.keys(readings).length), // unsubscribes (UNSUBSCRIBE) once both arrived
);

// An empty retained message removes the retained one [MQTT-3.3.1-10].
const cleared$ = forkJoin(Object.keys(readings).map((room) => client.publish$(`sensors/${room}/temperature`, '', { qos: 1, retain: true })));

// One after the other: publish, receive both, clear.
const lines$ = concat(published$.pipe(map(() => 'published 2 readings')), received$, cleared$.pipe(map(() => 'cleared')));
await lastValueFrom(lines$.pipe(tap((line) => console.log(line))));
await client.endAsync();
