import { TestScheduler } from 'rxjs/testing';
import { json, raw, utf8, type Codec } from '../../lib/protocol/payload-codecs.js';
import { DecodeError, InvalidArgumentError, MqttError } from '../../lib/errors.js';
import type { MqttMessage } from '../../lib/inbound/message.js';
import { decodePayload, type DecodePayloadConfig } from '../../operators/decodePayload.js';

interface Message {
  topic: string;
  payload: Buffer;
}

const message = (topic: string, payload: string | Buffer): Message => ({ topic, payload: Buffer.from(payload) });

const messages: Record<string, Message> = {
  a: message('t/a', '{"t":1}'),
  b: message('t/b', 'oops'),
  c: message('t/c', '[2]'),
  d: message('t/d', Buffer.from([0x22, 0xc3, 0x28, 0x22])), // a JSON string holding ill-formed UTF-8
};

const decoded = {
  A: { ...messages.a, value: { t: 1 } },
  C: { ...messages.c, value: [2] },
};

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

function decodeError(topic: string): DecodeError {
  return new DecodeError(topic, new SyntaxError('Payload is not valid JSON'));
}

describe('decodePayload', () => {
  it('emits each message with its decoded value, keeping the payload Buffer', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-c-|', messages).pipe(decodePayload(json()))).toBe('-A-C-|', decoded);
    });
  });

  it('matches the marble diagrams of its documentation', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-c-|', messages).pipe(decodePayload(json()))).toBe('-A-#', decoded, decodeError('t/b'));
      expectObservable(cold('-a-b-c-|', messages).pipe(decodePayload(json(), { onError: 'skip' }))).toBe('-A---C-|', decoded);
    });
  });

  it('errors with a DecodeError naming the topic, never the payload, by default', () => {
    let error: unknown;
    testScheduler().run(({ cold }) => {
      cold('-b', messages).pipe(decodePayload(json())).subscribe({ error: (err) => (error = err) });
    });
    expect(error).toBeInstanceOf(DecodeError);
    expect(error).toBeInstanceOf(MqttError);
    expect(error).toMatchObject({ code: 'ERR_DECODE', topic: 't/b', message: 'Cannot decode the payload of a message on "t/b": SyntaxError' });
    expect((error as Error).message).not.toContain('oops');
    expect(String((error as Error).cause)).not.toContain('oops');
  });

  it('unsubscribes from the source when a message fails to decode', () => {
    testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a-b-c-|', messages);
      expectObservable(source.pipe(decodePayload(json()))).toBe('-A-#', decoded, decodeError('t/b'));
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it("drops a message that fails to decode with onError 'skip'", () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-b-a-d-c-|', messages).pipe(decodePayload(json(), { onError: 'skip' }))).toBe('---A---C-|', decoded);
    });
  });

  it('reports a message that fails to decode to an onError function, with the message, and goes on', () => {
    const reported: [string, string][] = [];
    const config: DecodePayloadConfig<Message> = { onError: (error, msg) => reported.push([error.topic, msg.payload.toString('hex')]) };
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-b-a-d-c-|', messages).pipe(decodePayload(json(), config))).toBe('---A---C-|', decoded);
    });
    expect(reported).toEqual([
      ['t/b', Buffer.from('oops').toString('hex')],
      ['t/d', '22c32822'],
    ]);
  });

  it('names the filter it is given in every DecodeError, reported or thrown', () => {
    const reported: DecodeError[] = [];
    const config: DecodePayloadConfig<Message> = { filter: 't/+', onError: (error) => reported.push(error) };
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-c-|', messages).pipe(decodePayload(json(), config))).toBe('-A---C-|', decoded);
      const named = new DecodeError('t/b', new SyntaxError('Payload is not valid JSON'), 't/+');
      expectObservable(cold('-a-b-c-|', messages).pipe(decodePayload(json(), { filter: 't/+' }))).toBe('-A-#', decoded, named);
    });
    expect(reported).toHaveLength(1);
    expect(reported[0]).toBeInstanceOf(DecodeError);
    expect(reported[0]).toMatchObject({
      code: 'ERR_DECODE',
      topic: 't/b',
      filter: 't/+',
      message: 'Cannot decode the payload of a message on "t/b" for the stream of "t/+": SyntaxError',
    });
    expect(reported[0]?.cause).toBeInstanceOf(SyntaxError);
  });

  it('leaves filter out of the DecodeError when it is given none', () => {
    const reported: DecodeError[] = [];
    testScheduler().run(({ cold }) => {
      cold('-b', messages).pipe(decodePayload(json(), { onError: (error) => reported.push(error) })).subscribe();
    });
    expect(reported[0]?.filter).toBeUndefined();
    expect(reported[0]?.message).toBe('Cannot decode the payload of a message on "t/b": SyntaxError');
  });

  it('errors with what the onError function throws', () => {
    const bug = new Error('reporter bug');
    const config = {
      onError: () => {
        throw bug;
      },
    };
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-c-|', messages).pipe(decodePayload(json(), config))).toBe('-A-#', decoded, bug);
    });
  });

  it('passes source errors and completion through', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-#', messages).pipe(decodePayload(json()))).toBe('-A-#', decoded);
      expectObservable(cold('--|', messages).pipe(decodePayload(json()))).toBe('--|');
    });
  });

  it('does not touch the source message, which other streams may share', () => {
    const shared = message('t/a', '{"t":1}');
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a', { a: shared }).pipe(decodePayload(json()))).toBe('-A', decoded);
    });
    expect(shared).toEqual(message('t/a', '{"t":1}'));
    expect('value' in shared).toBe(false);
  });

  it('decodes with utf8() and raw()', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const m = { x: message('x', 'héllo') };
      expectObservable(cold('-x', m).pipe(decodePayload(utf8()))).toBe('-y', { y: { ...m.x, value: 'héllo' } });
      expectObservable(cold('-x', m).pipe(decodePayload(raw()))).toBe('-y', { y: { ...m.x, value: Buffer.from('héllo') } });
      const invalid = expect.objectContaining({ code: 'ERR_DECODE', message: 'Cannot decode the payload of a message on "t/d": TypeError' });
      expectObservable(cold('-d', messages).pipe(decodePayload(utf8()))).toBe('-#', undefined, invalid);
    });
  });

  it('hands a custom codec the payload and the whole message', () => {
    const calls: unknown[] = [];
    const codec: Codec<number> = {
      decode: (payload, msg) => {
        calls.push([payload.toString(), msg?.topic]);
        return payload.length;
      },
      encode: (value) => String(value),
    };
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a', messages).pipe(decodePayload(codec))).toBe('-A', { A: { ...messages.a, value: 7 } });
    });
    expect(calls).toEqual([['{"t":1}', 't/a']]);
  });

  it('keeps the fields of an MqttMessage', () => {
    const full: MqttMessage = {
      topic: 'x',
      payload: Buffer.from('"v"'),
      qos: 1,
      retain: true,
      dup: false,
      properties: { contentType: 'application/json' },
      packet: { cmd: 'publish', topic: 'x', payload: Buffer.from('"v"'), qos: 1, retain: true, dup: false, messageId: 3 },
    };
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-m', { m: full }).pipe(decodePayload(json<string>()))).toBe('-n', { n: { ...full, value: 'v' } });
    });
  });

  it('throws an InvalidArgumentError at the call for a codec without decode, an unknown onError or a filter that is not a string', () => {
    expect(() => decodePayload(undefined as unknown as Codec<unknown>)).toThrow(InvalidArgumentError);
    expect(() => decodePayload({} as Codec<unknown>)).toThrow(InvalidArgumentError);
    expect(() => decodePayload(json(), { onError: 'ignore' as 'skip' })).toThrow(InvalidArgumentError);
    expect(() => decodePayload(json(), { filter: 3 as unknown as string })).toThrow(InvalidArgumentError);
  });
});
