/**
 * `topic()`'s `params`, typed from the pattern: named on a literal pattern, absent when there is
 * nothing to name or `params: false`, optional when the pattern is only known as a string.
 * Compiled, never run, by types.spec.ts.
 */
import { json, type MqttClient } from '../../lib/index.js';

declare const client: MqttClient;
declare const pattern: string;
declare function expectType<T>(value: T): void;

client.topic('sensors/:id/temperature').subscribe((m) => expectType<string>(m.params.id));
client.topic('$share/group/sensors/:site/:id').subscribe((m) => expectType<[string, string]>([m.params.site, m.params.id]));
client.topic('logs/:path#', { qos: 1 }).subscribe((m) => expectType<string>(m.params.path));
client.topic('jobs/:queue', { ack: 'manual' }).subscribe((m) => {
  expectType<string>(m.params.queue);
  m.ack();
});
client.topic('sensors/:id', { codec: json<{ celsius: number }>() }).subscribe((m) => expectType<[string, number]>([m.params.id, m.value.celsius]));
client.topic('sensors/:id', { codec: json<number>(), ack: 'manual' }).subscribe((m) => expectType<[string, number]>([m.params.id, m.value]));
// A pattern only known at run time: params may be absent, so narrow them.
client.topic(pattern).subscribe((m) => expectType<string | undefined>(m.params?.anything));
client.topic<number>(pattern, { codec: json<number>() }).subscribe((m) => expectType<string | undefined>(m.params?.id));

// @ts-expect-error a name the pattern does not have
client.topic('sensors/:id').subscribe((m) => m.params.site);
// @ts-expect-error no named level: no params
client.topic('sensors/+/temperature').subscribe((m) => m.params.id);
// @ts-expect-error params: false makes `:id` literal: no params
client.topic('sensors/:id', { params: false }).subscribe((m) => m.params.id);
// @ts-expect-error a pattern only known as a string may have no params
client.topic(pattern).subscribe((m) => m.params.id);
