// alis:// and ali:// (Alipay mini programs) against aedes, through a simulated `my` API whose
// single socket is bridged to the broker in memory: URL mapping, sub-protocol, the base64 and
// ArrayBuffer message encodings, errors and reconnects, listeners registered once.
import { connect, InvalidArgumentError, type ClientOptions, type MqttMessage } from '../../lib/index.js';
import { bytesOf, type AliApi } from '../../lib/transport/ali.js';
import { collect, once } from '../helpers/wait.js';
import { fakeMy, useMiniProgramSuite, type AliEncoding } from './mini-program-fakes.js';

const NO_RETRY: ClientOptions = { reconnectPeriod: 0 };

describe('ali:// transport (Alipay)', () => {
  const suite = useMiniProgramSuite();
  const { client, connected, nextSuback } = suite;

  it.each<AliEncoding>(['base64', 'base64-unflagged', 'arraybuffer'])('round-trips QoS 0, 1 and 2 through topic() with messages delivered as %s', async (encoding) => {
    const { my, sockets } = fakeMy(suite.broker, encoding);
    const c = await connected(client('alis://broker.example:8084/mqtt', { my }));
    expect(sockets.map((s) => [s.url, s.protocols])).toEqual([['wss://broker.example:8084/mqtt', ['mqtt']]]);

    const suback = nextSuback(c);
    // Sorted: aedes forwards a QoS 1 message only once stored, so QoS 2 may overtake it.
    const messages = collect(c.topic('ali/+', { qos: 2 }), 3).then((list: MqttMessage[]) => list.map((m) => [m.topic, m.payload.toString(), m.qos]).sort());
    await suback;
    await c.publishAsync('ali/0', 'zero', { qos: 0 });
    await c.publishAsync('ali/1', 'one', { qos: 1 });
    await c.publishAsync('ali/2', Buffer.from([0, 0xff, 0x80, 0x7f]), { qos: 2 });
    expect(await messages).toEqual([
      ['ali/0', 'zero', 0],
      ['ali/1', 'one', 1],
      ['ali/2', Buffer.from([0, 0xff, 0x80, 0x7f]).toString(), 2],
    ]);
    expect(sockets[0].earlySends).toBe(0);
  });

  it.each([
    ['alis://broker.example', 'wss://broker.example/'],
    ['ali://broker.example', 'ws://broker.example/'],
    ['ali://broker.example:8083/mqtt?token=abc', 'ws://broker.example:8083/mqtt?token=abc'],
    ['alis://broker.example:443/mqtt', 'wss://broker.example/mqtt'],
  ])('maps %s to the socket URL %s', (url, expected) => {
    const { my, sockets } = fakeMy(suite.broker, 'base64', { manualOpen: true });
    client(url, { my });
    expect(sockets.map((s) => s.url)).toEqual([expected]);
  });

  it('decodes base64 strings, text frames, ArrayBuffers and typed arrays', () => {
    const bytes = Buffer.from([0x30, 0x03, 0x00, 0x01, 0x61]);
    expect(bytesOf({ data: bytes.toString('base64'), isBuffer: true })).toEqual(bytes);
    expect(bytesOf({ data: bytes.toString('base64') })).toEqual(bytes);
    expect(bytesOf({ data: 'text', isBuffer: false })).toEqual(Buffer.from('text'));
    expect(bytesOf({ data: new Uint8Array(bytes).buffer })).toEqual(bytes);
    expect(bytesOf({ data: new Uint8Array([9, ...bytes]).subarray(1) })).toEqual(bytes);
  });

  it('reports a socket error as ERR_TRANSPORT, reconnects, and registers the global callbacks only once', async () => {
    const { my, sockets, listenerCount } = fakeMy(suite.broker);
    const c = await connected(client('alis://broker.example', { my, reconnectPeriod: 20 }));
    expect(listenerCount()).toBe(4);

    const error = once<[Error & { kind?: string; code?: string }]>(c, 'error');
    sockets[0].fail('network is down');
    const [failure] = await error;
    expect(failure.kind).toBe('ERR_TRANSPORT');
    expect(failure.message).toMatch(/network is down/);
    if (!c.connected) await once(c, 'connect');

    const reconnected = once(c, 'connect');
    sockets[1].drop();
    await reconnected;
    expect(sockets).toHaveLength(3);
    expect(listenerCount()).toBe(4);

    const suback = nextSuback(c);
    const message = collect(c.topic('ali/after'), 1);
    await suback;
    await c.publishAsync('ali/after', 'still here');
    expect((await message)[0].payload.toString()).toBe('still here');
  });

  it('sends DISCONNECT and closes the socket on end()', async () => {
    const { my, sockets } = fakeMy(suite.broker);
    const c = await connected(client('alis://broker.example', { my }));
    await c.endAsync();
    expect(sockets[0].sent.at(-1)).toEqual(Buffer.from([0xe0, 0x00]));
  });

  it('uses the global my when no my option is given, and refuses an ali:// URL without either', async () => {
    expect(() => connect('alis://broker.example', NO_RETRY)).toThrow(InvalidArgumentError);
    expect(() => connect('alis://broker.example', NO_RETRY)).toThrow(/Alipay/);
    const { my, sockets } = fakeMy(suite.broker);
    const global = globalThis as { my?: AliApi };
    global.my = my;
    try {
      await connected(client('alis://broker.example', {}));
    } finally {
      delete global.my;
    }
    expect(sockets).toHaveLength(1);
  });
});
