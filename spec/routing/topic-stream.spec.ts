// topic() per-stream features without a broker: named parameters, codecs and decode failures.
import { json, raw, utf8, type Codec } from '../../lib/protocol/payload-codecs.js';
import { DecodeError, InvalidArgumentError } from '../../lib/errors.js';
import type { MqttMessage } from '../../lib/inbound/message.js';
import { TopicRoutes } from '../../lib/routing/routes.js';
import { parseTopicPattern, topicParams, type TopicPattern } from '../../lib/routing/topic-params.js';
import { topicStream } from '../../lib/routing/topic-stream.js';
import { atOnce, FakeCommands, message } from '../helpers/fake-route-commands.js';

describe('parseTopicPattern', () => {
  it.each([
    ['sensors/:id/temperature', 'sensors/+/temperature', [{ name: 'id', level: 1, rest: false }]],
    [':site/:room/#', '+/+/#', [{ name: 'site', level: 0, rest: false }, { name: 'room', level: 1, rest: false }]],
    ['logs/:path#', 'logs/#', [{ name: 'path', level: 1, rest: true }]],
    ['$share/g/jobs/:kind', '$share/g/jobs/+', [{ name: 'kind', level: 1, rest: false }]],
    ['a/b:c/+', 'a/b:c/+', []],
    ['plain/+/#', 'plain/+/#', []],
  ])('turns %j into the filter %j with its parameters', (pattern, filter, params) => {
    expect(parseTopicPattern(pattern)).toEqual({ filter, params });
  });

  it.each([
    ['a/:id/:id', 'twice'],
    ['a/:', 'Invalid parameter name'],
    ['a/:1x', 'Invalid parameter name'],
    ['a/:x-y', 'Invalid parameter name'],
    ['a/:rest#/b', 'must be the last level'],
  ])('refuses %j (%s)', (pattern, text) => {
    expect(parseTopicPattern(pattern)).toEqual(expect.stringContaining(text));
  });

  it('reads the values of the named levels from a topic', () => {
    const { params } = parseTopicPattern('s/:id/x/:rest#') as TopicPattern;
    expect(topicParams('s/a1/x/y/z', params)).toEqual({ id: 'a1', rest: 'y/z' });
    expect(topicParams('s/a1/x', params)).toEqual({ id: 'a1', rest: '' });
  });
});

describe('codecs', () => {
  it('round-trips JSON, UTF-8 text and raw bytes', () => {
    const value = { celsius: 21.5, tags: ['a'] };
    expect(json().decode(Buffer.from(json<typeof value>().encode(value)))).toEqual(value);
    expect(utf8().decode(Buffer.from(utf8().encode('héllo')))).toBe('héllo');
    const bytes = Buffer.from([0, 0xff, 0x80]);
    expect(raw().decode(bytes)).toBe(bytes);
    expect(raw().encode(bytes)).toBe(bytes);
  });

  it('throws on invalid JSON', () => {
    expect(() => json().decode(Buffer.from('{nope'))).toThrow(SyntaxError);
  });
});

function setup() {
  const commands = new FakeCommands();
  const routes = new TopicRoutes(commands, atOnce);
  const failures: DecodeError[] = [];
  const source = { observe: routes.observe.bind(routes), decodeFailed: (e: DecodeError) => failures.push(e) };
  return { commands, routes, source, failures };
}

describe('topicStream', () => {
  it('subscribes the filter of a named pattern and emits each message with its params', () => {
    const { commands, routes, source } = setup();
    const seen: MqttMessage[] = [];
    topicStream(source, 'sensors/:id/temperature').subscribe((m) => seen.push(m));
    expect(commands.subscribes[0]?.subscription.topic).toBe('sensors/+/temperature');
    routes.dispatch(message('sensors/a1/temperature', { ids: 1 }));
    expect(seen.map((m) => m.params)).toEqual([{ id: 'a1' }]);
  });

  it('treats :levels as literal with params: false', () => {
    const { commands, source } = setup();
    topicStream(source, 'a/:b', { params: false }).subscribe();
    expect(commands.subscribes[0]?.subscription.topic).toBe('a/:b');
  });

  it('errors with an InvalidArgumentError for a bad pattern or codec, sending nothing', () => {
    const { commands, source } = setup();
    const errors: Error[] = [];
    topicStream(source, 'a/:x/:x').subscribe({ error: (e: Error) => errors.push(e) });
    topicStream(source, 'a', { codec: { decode: 1 } as unknown as Codec<number> }).subscribe({ error: (e: Error) => errors.push(e) });
    expect(errors.map((e) => e instanceof InvalidArgumentError)).toEqual([true, true]);
    expect(commands.subscribes).toEqual([]);
  });

  it('decodes payloads into value, skips and reports one it cannot decode, and goes on', () => {
    const { routes, source, failures } = setup();
    const values: unknown[] = [];
    const completed: boolean[] = [];
    topicStream(source, 'r/+', { codec: json<{ n: number }>() }).subscribe({ next: (m) => values.push(m.value), complete: () => completed.push(true) });
    routes.dispatch(message('r/1', { payload: '{"n":1}', ids: 1 }));
    routes.dispatch(message('r/2', { payload: 'secret not json', ids: 1 }));
    routes.dispatch(message('r/3', { payload: '{"n":3}', ids: 1 }));
    expect(values).toEqual([{ n: 1 }, { n: 3 }]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ code: 'ERR_DECODE', topic: 'r/2', filter: 'r/+' });
    expect(failures[0]?.cause).toBeInstanceOf(SyntaxError);
    expect(failures[0]?.message).not.toContain('secret');
    expect(completed).toEqual([]);
  });

  it('reports a payload it cannot decode with the stream pattern as filter, and the params stream goes on', () => {
    const { routes, source, failures } = setup();
    const seen: unknown[] = [];
    topicStream(source, 'c/:name', { codec: json<number>() }).subscribe((m) => seen.push([m.params, m.value]));
    routes.dispatch(message('c/x', { payload: 'nope', ids: 1 }));
    routes.dispatch(message('c/y', { payload: '7', ids: 1 }));
    expect(seen).toEqual([[{ name: 'y' }, 7]]);
    expect(failures.map((e) => [e instanceof DecodeError, e.topic, e.filter, e.message])).toEqual([
      [true, 'c/x', 'c/:name', 'Cannot decode the payload of a message on "c/x" for the stream of "c/:name": SyntaxError'],
    ]);
  });

  it('leaves the shared message untouched when it adds params, with or without a codec', () => {
    const { routes, source } = setup();
    const shared: MqttMessage[] = [];
    const named: { params?: unknown; value?: unknown }[] = [];
    routes.observe('p/+').subscribe((m) => shared.push(m));
    topicStream(source, 'p/:id').subscribe((m) => named.push(m));
    topicStream(source, 'p/:id', { codec: utf8() }).subscribe((m) => named.push(m));
    routes.dispatch(message('p/1', { payload: 'v', ids: 1 }));
    expect(named.map((m) => [m.params, m.value])).toEqual([[{ id: '1' }, undefined], [{ id: '1' }, 'v']]);
    expect(named.every((m) => m !== shared[0])).toBe(true);
    expect(shared[0]?.params).toBeUndefined();
    expect(shared[0]?.value).toBeUndefined();
  });

  it('gives each stream of a shared route its own decoding, leaving the shared message untouched', () => {
    const { routes, source } = setup();
    const plain: MqttMessage[] = [];
    const text: string[] = [];
    topicStream(source, 'a').subscribe((m) => plain.push(m));
    topicStream(source, 'a', { codec: utf8() }).subscribe((m) => text.push(m.value));
    routes.dispatch(message('a', { payload: 'hi', ids: 1 }));
    expect(text).toEqual(['hi']);
    expect(plain[0]?.value).toBeUndefined();
    expect(plain[0]?.payload.toString()).toBe('hi');
  });

  it('decodes and names the levels of the same message at once', () => {
    const { routes, source } = setup();
    const seen: MqttMessage<number>[] = [];
    const count: Codec<number> = { decode: (p) => Number(p.toString()), encode: (n) => String(n) };
    topicStream(source, 'c/:name', { codec: count }).subscribe((m) => seen.push(m));
    routes.dispatch(message('c/x', { payload: '42', ids: 1 }));
    expect(seen.map((m) => [m.params, m.value])).toEqual([[{ name: 'x' }, 42]]);
  });
});
