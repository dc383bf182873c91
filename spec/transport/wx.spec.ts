// wxs:// and wx:// (WeChat mini programs) against aedes, through a simulated `wx` API whose
// SocketTasks are bridged to the broker in memory: URL mapping, sub-protocol, round trips through
// the facade, writes held until open, errors and reconnects, end().
import { connect, InvalidArgumentError, type ClientOptions, type MqttMessage } from '../../lib/index.js';
import type { TransportHandlers } from '../../lib/transport/transport.js';
import { wxTransport, type WxApi } from '../../lib/transport/wx.js';
import { collect, once } from '../helpers/wait.js';
import { fakeWx, useMiniProgramSuite } from './mini-program-fakes.js';

const NO_RETRY: ClientOptions = { reconnectPeriod: 0 };

describe('wx:// transport (WeChat)', () => {
  const suite = useMiniProgramSuite();
  const { client, connected, nextSuback } = suite;
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('connects over wss:// with the mqtt sub-protocol and round-trips QoS 0, 1 and 2 through topic()', async () => {
    const { wx, sockets } = fakeWx(suite.broker);
    const c = await connected(client('wxs://broker.example:8084/mqtt', { wx }));
    expect(sockets.map((s) => [s.url, s.protocols])).toEqual([['wss://broker.example:8084/mqtt', ['mqtt']]]);

    const suback = nextSuback(c);
    // Sorted: aedes forwards a QoS 1 message only once stored, so QoS 2 may overtake it.
    const messages = collect(c.topic('wx/+', { qos: 2 }), 3).then((list: MqttMessage[]) => list.map((m) => [m.topic, m.payload.toString(), m.qos]).sort());
    await suback;
    await c.publishAsync('wx/0', 'zero', { qos: 0 });
    await c.publishAsync('wx/1', 'one', { qos: 1 });
    await c.publishAsync('wx/2', 'two', { qos: 2 });
    expect(await messages).toEqual([
      ['wx/0', 'zero', 0],
      ['wx/1', 'one', 1],
      ['wx/2', 'two', 2],
    ]);
  });

  it.each([
    ['wxs://broker.example', {}, 'wss://broker.example/', 'mqtt'],
    ['wx://broker.example', {}, 'ws://broker.example/', 'mqtt'],
    ['wxs://broker.example:443/mqtt?token=abc', {}, 'wss://broker.example/mqtt?token=abc', 'mqtt'],
    ['wx://broker.example:8083/mqtt', {}, 'ws://broker.example:8083/mqtt', 'mqtt'],
    ['wxs://broker.example:80/', {}, 'wss://broker.example:80/', 'mqtt'],
    ['wxs://[::1]:8084/mqtt', {}, 'wss://[::1]:8084/mqtt', 'mqtt'],
    ['wxs://broker.example/mqtt', { protocolVersion: 3 }, 'wss://broker.example/mqtt', 'mqttv3.1'],
  ] as const)('maps %s %j to the socket URL %s, sub-protocol %s', async (url, options, expected, subProtocol) => {
    const { wx, sockets } = fakeWx(suite.broker, { manualOpen: true });
    client(url, { ...options, wx });
    expect(sockets.map((s) => [s.url, s.protocols])).toEqual([[expected, [subProtocol]]]);
  });

  it('holds writes made before the socket opens and sends them in order once it does', async () => {
    const { wx, sockets } = fakeWx(suite.broker, { manualOpen: true });
    const events: string[] = [];
    const handlers: TransportHandlers = { onOpen: () => events.push('open'), onData: () => undefined, onClose: (error) => events.push(`close ${error?.message ?? ''}`) };
    const transport = wxTransport({ protocol: 'wxs', host: 'broker.example', wx })(handlers);
    // A whole CONNECT in three pieces: aedes answers only if they arrive complete and in order.
    const connectPacket = Buffer.from('100f00044d5154540402003c0003616263', 'hex');
    expect(transport.write(connectPacket.subarray(0, 5))).toBe(true);
    expect(transport.write(connectPacket.subarray(5, 12))).toBe(true);
    expect(transport.write(connectPacket.subarray(12))).toBe(true);
    await settle();
    expect(sockets[0].sent).toEqual([]);

    sockets[0].open();
    expect(events).toEqual(['open']);
    expect(sockets[0].earlySends).toBe(0);
    expect(Buffer.concat(sockets[0].sent)).toEqual(connectPacket);
    expect(sockets[0].sent.map((chunk) => chunk.length)).toEqual([5, 7, connectPacket.length - 12]);
    transport.destroy();
  });

  it('holds inbound messages while paused and delivers them on resume', async () => {
    const { wx, sockets } = fakeWx(suite.broker);
    const data: Buffer[] = [];
    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const transport = wxTransport({ protocol: 'wx', host: 'broker.example', wx })({ onOpen: () => opened(), onData: (chunk) => data.push(chunk), onClose: () => undefined });
    await open;
    transport.pause();
    transport.write(Buffer.from('100f00044d5154540402003c0003616263', 'hex'));
    await sockets[0].whenDelivered(1);
    expect(data).toEqual([]);
    transport.resume();
    expect(Buffer.concat(data)).toEqual(Buffer.from([0x20, 0x02, 0x00, 0x00]));
    expect(sockets).toHaveLength(1);
    transport.destroy();
  });

  it('reports a socket error as an ERR_TRANSPORT error, then reconnects and resubscribes', async () => {
    const { wx, sockets } = fakeWx(suite.broker);
    const c = await connected(client('wxs://broker.example/mqtt', { wx, reconnectPeriod: 20 }));
    const suback = nextSuback(c);
    const messages = collect(c.topic('wx/again'), 2).then((list: MqttMessage[]) => list.map((m) => m.payload.toString()));
    await suback;
    const first = collect(c.topic('wx/again'), 1);
    await c.publishAsync('wx/again', 'before');
    await first;

    const error = once<[Error & { kind?: string; code?: string }]>(c, 'error');
    const resubscribed = nextSuback(c);
    sockets[0].fail('network is down');
    const [failure] = await error;
    expect(failure.kind).toBe('ERR_TRANSPORT');
    expect(failure.message).toMatch(/network is down/);
    if (!c.connected) await once(c, 'connect');
    await resubscribed;
    expect(sockets).toHaveLength(2);
    await c.publishAsync('wx/again', 'after');
    expect(await messages).toEqual(['before', 'after']);
  });

  it('reconnects when the broker drops the socket', async () => {
    const { wx, sockets } = fakeWx(suite.broker);
    const c = await connected(client('wx://broker.example', { wx, reconnectPeriod: 20 }));
    const reconnected = once(c, 'connect');
    sockets[0].drop();
    await reconnected;
    expect(sockets).toHaveLength(2);
  });

  it('fails the attempt with ERR_TRANSPORT when connectSocket fails or throws', async () => {
    for (const wx of [
      { connectSocket: (options: { fail?: (r: { errMsg: string }) => void }) => (options.fail?.({ errMsg: 'url not in domain list' }), fakeTask()) },
      {
        connectSocket: () => {
          throw new Error('url not in domain list');
        },
      },
    ] as unknown as WxApi[]) {
      const c = client('wxs://broker.example', { wx });
      const [error] = await once<[Error & { kind?: string; code?: string }]>(c, 'error');
      expect(error.kind).toBe('ERR_TRANSPORT');
      expect(error.message).toMatch(/url not in domain list/);
    }
  });

  it('sends DISCONNECT on end() and closes the socket', async () => {
    const { wx, sockets } = fakeWx(suite.broker);
    const c = await connected(client('wxs://broker.example', { wx }));
    await c.endAsync();
    expect(sockets[0].sent.at(-1)).toEqual(Buffer.from([0xe0, 0x00]));
  });

  it('closes the socket on end() only once the platform confirmed what was sent', async () => {
    const { wx, sockets } = fakeWx(suite.broker);
    const closes: Array<Error | undefined> = [];
    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const transport = wxTransport({ protocol: 'wxs', host: 'broker.example', wx })({ onOpen: () => opened(), onData: () => undefined, onClose: (error) => closes.push(error) });
    await open;
    transport.write(Buffer.from('100f00044d5154540402003c0003616263', 'hex'));
    transport.end();
    expect(sockets[0].closeCalls).toBe(0);
    await settle();
    expect(sockets[0].closeCalls).toBe(1);
    expect(closes).toEqual([undefined]);
    expect(transport.write(Buffer.from([0xc0, 0x00]))).toBe(false);
  });

  it('applies an async transformWsUrl to the mapped URL before every connect', async () => {
    const { wx, sockets } = fakeWx(suite.broker);
    let n = 0;
    const c = await connected(client('wxs://broker.example/mqtt', { wx, transformWsUrl: async (url) => `${url}?token=${++n}` }));
    expect(sockets[0].url).toBe('wss://broker.example/mqtt?token=1');
    await c.endAsync();
  });

  it('fails the attempt with ERR_TRANSFORM_WS_URL when transformWsUrl rejects, opening no socket', async () => {
    const { wx, sockets } = fakeWx(suite.broker);
    const c = client('wxs://broker.example', { wx, transformWsUrl: () => Promise.reject(new Error('no token')) });
    const [error] = await once<[Error & { kind?: string; code?: string; cause?: unknown }]>(c, 'error');
    expect(error.kind).toBe('ERR_TRANSPORT');
    expect(error.message).toMatch(/transformWsUrl failed: no token/);
    expect((error.cause as { code?: string }).code).toBe('ERR_TRANSFORM_WS_URL');
    expect(sockets).toEqual([]);
  });

  it('uses the global wx when no wx option is given, and refuses a wx:// URL without either', async () => {
    expect(() => connect('wxs://broker.example', NO_RETRY)).toThrow(InvalidArgumentError);
    expect(() => connect('wxs://broker.example', NO_RETRY)).toThrow(/WeChat/);
    const { wx, sockets } = fakeWx(suite.broker);
    const global = globalThis as { wx?: WxApi };
    global.wx = wx;
    try {
      await connected(client('wxs://broker.example', {}));
    } finally {
      delete global.wx;
    }
    expect(sockets).toHaveLength(1);
  });
});

function fakeTask() {
  const noop = () => undefined;
  return { onOpen: noop, onMessage: noop, onClose: noop, onError: noop, send: noop, close: noop };
}
