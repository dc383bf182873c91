// The browser WebSocket transport against a fake `WebSocket` class: buffering before open,
// backpressure on bufferedAmount (polled in virtual time), binary frames, close codes.
import { TransportError } from '../../lib/errors.js';
import { openBrowserWs, type BrowserWebSocket, type BrowserWsOptions } from '../../lib/transport/browser-ws.js';
import type { Transport } from '../../lib/transport/transport.js';
import { VirtualClock } from '../helpers/virtual-clock.js';

class FakeWebSocket implements BrowserWebSocket {
  static instances: FakeWebSocket[] = [];
  binaryType = 'blob';
  readyState = 0;
  bufferedAmount = 0;
  protocol = '';
  onopen: BrowserWebSocket['onopen'] = null;
  onmessage: BrowserWebSocket['onmessage'] = null;
  onerror: BrowserWebSocket['onerror'] = null;
  onclose: BrowserWebSocket['onclose'] = null;
  readonly sent: string[] = [];
  readonly closeCalls: (number | undefined)[] = [];

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    FakeWebSocket.instances.push(this);
  }

  send(data: Uint8Array): void {
    if (this.readyState !== 1) throw new Error('InvalidStateError: still connecting');
    this.sent.push(Buffer.from(data).toString());
    this.bufferedAmount += data.length;
  }

  close(code?: number): void {
    this.closeCalls.push(code);
    this.readyState = 2;
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  closed(code: number, wasClean: boolean, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason, wasClean });
  }
}

interface Recorded {
  transport: Transport;
  socket: FakeWebSocket;
  opened: number;
  data: string[];
  closes: (Error | undefined)[];
}

function open(options: Partial<BrowserWsOptions> = {}): Recorded {
  const record = { opened: 0, data: [] as string[], closes: [] as (Error | undefined)[] } as Recorded;
  record.transport = openBrowserWs(
    { url: 'ws://broker.test:8080/mqtt', WebSocket: FakeWebSocket, ...options },
    {
      onOpen: () => record.opened++,
      onData: (chunk) => record.data.push(chunk.toString()),
      onClose: (error) => record.closes.push(error),
    },
  );
  record.socket = FakeWebSocket.instances[FakeWebSocket.instances.length - 1];
  return record;
}

const bytes = (text: string) => Buffer.from(text);
const frame = (text: string) => new Uint8Array(Buffer.from(text)).buffer;

describe('browser WebSocket transport', () => {
  beforeEach(() => {
    FakeWebSocket.instances = [];
  });

  it('opens the URL with the mqtt sub-protocol and asks for ArrayBuffer frames', () => {
    const { socket } = open({ protocols: ['mqttv3.1'] });
    expect(socket.url).toBe('ws://broker.test:8080/mqtt');
    expect(socket.protocols).toEqual(['mqttv3.1']);
    expect(socket.binaryType).toBe('arraybuffer');
    expect(open().socket.protocols).toEqual(['mqtt']);
  });

  it('holds writes made while the socket opens and sends them in order once it is open', () => {
    const r = open();
    expect(r.transport.write(bytes('a'))).toBe(true);
    expect(r.transport.write(bytes('b'))).toBe(true);
    expect(r.socket.sent).toEqual([]);
    r.socket.open();
    expect(r.opened).toBe(1);
    expect(r.socket.sent).toEqual(['a', 'b']);
  });

  it('delivers binary frames as Buffers, and holds them while paused', () => {
    const r = open();
    r.socket.open();
    r.socket.onmessage!({ data: frame('one') });
    r.transport.pause();
    r.socket.onmessage!({ data: frame('two') });
    r.socket.onmessage!({ data: new Uint8Array(Buffer.from('three')) });
    expect(r.data).toEqual(['one']);
    r.transport.resume();
    expect(r.data).toEqual(['one', 'two', 'three']);
  });

  it('closes with a TransportError when the broker sends a text frame [MQTT-6.0.0-1]', () => {
    const r = open();
    r.socket.open();
    r.socket.onmessage!({ data: 'not binary' });
    expect(r.closes).toHaveLength(1);
    expect(r.closes[0]).toBeInstanceOf(TransportError);
    expect(r.closes[0]?.message).toMatch(/text frame/);
    expect(r.socket.closeCalls).toEqual([1000]);
  });

  it('stops sending above the high-water mark and flushes when bufferedAmount drains', async () => {
    const clock = new VirtualClock();
    const r = open({ highWaterMark: 10, drainPollMs: 5, scheduler: clock.scheduler });
    r.socket.open();
    expect(r.transport.write(bytes('0123456789ab'))).toBe(false);
    expect(r.transport.write(bytes('next'))).toBe(false);
    expect(r.socket.sent).toEqual(['0123456789ab']);
    await clock.advance(20);
    expect(r.socket.sent).toEqual(['0123456789ab']);
    r.socket.bufferedAmount = 0;
    await clock.advance(5);
    expect(r.socket.sent).toEqual(['0123456789ab', 'next']);
    r.socket.bufferedAmount = 0;
    expect(r.transport.write(bytes('more'))).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('ends after the queued writes have gone out, with a normal closure', async () => {
    const clock = new VirtualClock();
    const r = open({ highWaterMark: 4, drainPollMs: 5, scheduler: clock.scheduler });
    r.socket.open();
    r.transport.write(bytes('full'));
    r.transport.write(bytes('last'));
    r.transport.end();
    expect(r.transport.write(bytes('late'))).toBe(false);
    expect(r.socket.closeCalls).toEqual([]);
    r.socket.bufferedAmount = 0;
    await clock.advance(5);
    expect(r.socket.sent).toEqual(['full', 'last']);
    expect(r.socket.closeCalls).toEqual([1000]);
    r.socket.closed(1000, true);
    expect(r.closes).toEqual([undefined]);
  });

  it('reports a clean close (1000, 1005) as an end without error', () => {
    for (const code of [1000, 1005]) {
      const r = open();
      r.socket.open();
      r.socket.closed(code, true);
      expect(r.closes).toEqual([undefined]);
    }
  });

  it('reports an abnormal close as a TransportError carrying the close code', () => {
    const r = open();
    r.socket.onerror!({});
    r.socket.closed(1006, false);
    expect(r.closes).toHaveLength(1);
    const error = r.closes[0] as TransportError & { closeCode: number };
    expect(error).toBeInstanceOf(TransportError);
    expect(error.kind).toBe('ERR_TRANSPORT');
    expect(error.closeCode).toBe(1006);
    expect(error.message).toBe('WebSocket closed with code 1006');
  });

  it('names the broker\'s close reason, and treats an error before a 1000 close as a failure', () => {
    const r = open();
    r.socket.open();
    r.socket.closed(1011, true, 'server overloaded');
    expect(r.closes[0]?.message).toBe('WebSocket closed with code 1011: server overloaded');
    const s = open();
    s.socket.onerror!({});
    s.socket.closed(1000, true);
    expect(s.closes[0]).toBeInstanceOf(TransportError);
  });

  it('destroys at once, reports the close exactly once and ignores later socket events', () => {
    const r = open();
    r.socket.open();
    const cause = new Error('gone');
    r.transport.destroy(cause);
    r.socket.onmessage?.({ data: frame('late') });
    r.socket.closed(1006, false);
    expect(r.closes).toEqual([cause]);
    expect(r.data).toEqual([]);
    expect(r.transport.write(bytes('x'))).toBe(false);
  });

  it('ends an attempt that never opened without an error', () => {
    const r = open();
    r.transport.write(bytes('connect'));
    r.transport.end();
    expect(r.socket.closeCalls).toEqual([1000]);
    expect(r.closes).toEqual([undefined]);
    expect(r.socket.sent).toEqual([]);
  });

  it('throws a TransportError when the runtime has no WebSocket', () => {
    const original = (globalThis as { WebSocket?: unknown }).WebSocket;
    (globalThis as { WebSocket?: unknown }).WebSocket = undefined;
    try {
      expect(() => openBrowserWs({ url: 'ws://x' }, { onOpen() {}, onData() {}, onClose() {} })).toThrow(TransportError);
    } finally {
      (globalThis as { WebSocket?: unknown }).WebSocket = original;
    }
  });
});
