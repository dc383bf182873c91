// Simulated WeChat (`wx`) and Alipay (`my`) socket APIs for the wx/ali transport specs. Each
// simulated socket is bridged to a real aedes broker through an in-memory duplex: what the client
// sends is written to the broker, what the broker writes comes back through the platform's
// message callback. Like the real platforms, sending on a socket that is not open fails.
import type { Duplex } from 'node:stream';
import type { AliApi, AliFailResult, AliSocketMessage } from '../../lib/transport/ali.js';
import type { WxApi, WxSocketTask } from '../../lib/transport/wx.js';
import { filter, firstValueFrom, take, timeout } from 'rxjs';
import type { MqttClient } from '../../lib/index.js';
import { startAedes, type AedesHandle } from '../helpers/aedes.js';
import { useClients } from '../helpers/clients.js';
import { HANG_DEADLINE_MS } from '../helpers/wait.js';

type Callback<T = unknown> = (result: T) => void;

export interface FakeSocket {
  url: string;
  protocols: string[] | undefined;
  /** Every message the client sent, as it reached the platform. */
  sent: Buffer[];
  /** Sends attempted while the socket was not open (a real platform fails them). */
  earlySends: number;
  /** Every message the broker sent, as the platform delivered it. */
  delivered: Buffer[];
  /** Resolves once `count` messages were delivered. */
  whenDelivered(count: number): Promise<void>;
  closeCalls: number;
  /** Connects the socket to the broker and reports it open (automatic unless `manualOpen`). */
  open(): void;
  /** The platform reports an error, then the close, as WeChat and Alipay do for a dropped network. */
  fail(errMsg: string): void;
  /** The connection to the broker is cut: the platform reports an abnormal close (1006), no error. */
  drop(): void;
}

export interface FakeOptions {
  /** Leave sockets connecting until the test calls `open()`. */
  manualOpen?: boolean;
}

/** Bridges one simulated socket to the broker; returns its controls and the send entry point. */
function bridge(
  broker: AedesHandle,
  url: string,
  protocols: string[] | undefined,
  options: FakeOptions,
  platform: { opened(): void; message(chunk: Buffer): void; error(errMsg: string): void; closed(code: number): void },
) {
  let stream: Duplex | undefined;
  let state: 'connecting' | 'open' | 'closed' = 'connecting';
  const waiters: Array<{ count: number; resolve(): void }> = [];
  const socket: FakeSocket = {
    url,
    protocols,
    sent: [],
    earlySends: 0,
    delivered: [],
    whenDelivered: (count) =>
      socket.delivered.length >= count ? Promise.resolve() : new Promise<void>((resolve) => void waiters.push({ count, resolve })),
    closeCalls: 0,
    open() {
      if (state !== 'connecting') return;
      state = 'open';
      stream = broker.connectStream();
      stream.on('data', (chunk: Buffer) => {
        if (state !== 'open') return;
        platform.message(chunk);
        socket.delivered.push(chunk);
        for (const waiter of waiters.filter((w) => socket.delivered.length >= w.count)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      });
      // The broker dropped the connection: the platform reports an abnormal closure.
      stream.on('close', () => {
        if (state !== 'open') return;
        state = 'closed';
        platform.closed(1006);
      });
      platform.opened();
    },
    fail(errMsg) {
      if (state === 'closed') return;
      state = 'closed';
      stream?.destroy();
      platform.error(errMsg);
      platform.closed(1006);
    },
    drop() {
      stream?.destroy();
    },
  };
  if (!options.manualOpen) setImmediate(() => socket.open());
  return {
    socket,
    send(bytes: Buffer): string | undefined {
      if (state !== 'open') {
        socket.earlySends++;
        return 'sendSocketMessage:fail WebSocket is not connected';
      }
      socket.sent.push(bytes);
      stream!.write(bytes);
      return undefined;
    },
    close() {
      socket.closeCalls++;
      if (state === 'closed') return;
      const wasOpen = state === 'open';
      state = 'closed';
      stream?.destroy();
      if (wasOpen) setImmediate(() => platform.closed(1000));
    },
  };
}

const arrayBufferOf = (chunk: Buffer): ArrayBuffer => chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength) as ArrayBuffer;

/** A simulated `wx`: every `connectSocket` returns a SocketTask bridged to the broker. */
export function fakeWx(broker: AedesHandle, options: FakeOptions = {}): { wx: WxApi; sockets: FakeSocket[] } {
  const sockets: FakeSocket[] = [];
  const wx: WxApi = {
    connectSocket({ url, protocols }) {
      const handlers: { open?: Callback; message?: Callback<{ data: ArrayBuffer | string }>; error?: Callback<{ errMsg: string }>; close?: Callback<{ code: number; reason: string }> } = {};
      const link = bridge(broker, url, protocols, options, {
        opened: () => handlers.open?.(undefined),
        message: (chunk) => handlers.message?.({ data: arrayBufferOf(chunk) }),
        error: (errMsg) => handlers.error?.({ errMsg }),
        closed: (code) => handlers.close?.({ code, reason: '' }),
      });
      sockets.push(link.socket);
      const task: WxSocketTask = {
        onOpen: (callback) => void (handlers.open = callback),
        onMessage: (callback) => void (handlers.message = callback),
        onError: (callback) => void (handlers.error = callback),
        onClose: (callback) => void (handlers.close = callback),
        send({ data, success, fail }) {
          if (!(data instanceof ArrayBuffer)) throw new TypeError('the fake expects binary frames');
          const failure = link.send(Buffer.from(data));
          setImmediate(() => (failure ? fail?.({ errMsg: failure }) : success?.()));
        },
        close: () => link.close(),
      };
      return task;
    },
  };
  return { wx, sockets };
}

/** How the simulated Alipay delivers binary messages. */
export type AliEncoding = 'base64' | 'base64-unflagged' | 'arraybuffer';

/** A simulated `my`: one socket at a time, reported through the global `onSocket*` callbacks. */
export function fakeMy(broker: AedesHandle, encoding: AliEncoding = 'base64', options: FakeOptions = {}) {
  const sockets: FakeSocket[] = [];
  const listeners = { open: [] as Callback[], message: [] as Callback<AliSocketMessage>[], error: [] as Callback<AliFailResult>[], close: [] as Callback[] };
  const emit = <T>(list: Callback<T>[], value: T) => list.forEach((listener) => listener(value));
  let link: ReturnType<typeof bridge> | undefined;
  const my: AliApi = {
    connectSocket({ url, protocols }) {
      link?.close();
      link = bridge(broker, url, protocols, options, {
        opened: () => emit(listeners.open, undefined),
        message: (chunk) =>
          emit(listeners.message, encoding === 'arraybuffer' ? { data: arrayBufferOf(chunk) } : { data: chunk.toString('base64'), ...(encoding === 'base64' ? { isBuffer: true } : {}) }),
        error: (errorMessage) => emit(listeners.error, { error: 2, errorMessage }),
        closed: () => emit(listeners.close, undefined),
      });
      sockets.push(link.socket);
    },
    onSocketOpen: (callback) => void listeners.open.push(callback),
    onSocketMessage: (callback) => void listeners.message.push(callback),
    onSocketError: (callback) => void listeners.error.push(callback),
    onSocketClose: (callback) => void listeners.close.push(callback),
    sendSocketMessage({ data, isBuffer, success, fail }) {
      if (typeof data !== 'string' || isBuffer !== true) throw new TypeError('the fake expects base64 data with isBuffer: true');
      const failure = link ? link.send(Buffer.from(data, 'base64')) : 'no socket';
      setImmediate(() => (failure ? fail?.({ error: 10, errorMessage: failure }) : success?.()));
    },
    closeSocket: () => link?.close(),
  };
  return { my, sockets, listenerCount: () => listeners.open.length + listeners.message.length + listeners.error.length + listeners.close.length };
}

/**
 * The set-up both mini-program specs share: a fresh aedes per test, clients made with quick
 * timeouts (their 'error' events swallowed: the tests read state instead) and ended after it.
 */
export function useMiniProgramSuite() {
  let broker: AedesHandle | undefined;
  beforeEach(async () => {
    broker = await startAedes();
  });
  const { client, connected } = useClients();
  afterEach(async () => {
    await broker?.close();
  });
  return {
    get broker(): AedesHandle {
      if (!broker) throw new Error('aedes is not started: use the suite inside a test');
      return broker;
    },
    client,
    connected,
    nextSuback: (c: MqttClient) => firstValueFrom(c.packetsIn$.pipe(filter((p) => p.cmd === 'suback'), take(1), timeout(HANG_DEADLINE_MS))),
  };
}
