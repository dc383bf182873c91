// The browser build's transport selection (lib/transport/select.browser.ts): ws/wss only, the
// URL and sub-protocol MQTT.js uses, transformWsUrl (sync or async) and createWebsocket.
import { InvalidArgumentError } from '../../lib/errors.js';
import { resolveOptions } from '../../lib/options/options.js';
import type { ClientOptions } from '../../lib/options/client-options.js';
import { transportFor } from '../../lib/transport/select.browser.js';

const handlers = { onOpen() {}, onData() {}, onClose() {} };

/** Opens one attempt with a recording WebSocket; returns what it was constructed with. */
function attempt(url: string, options: ClientOptions = {}): { url: string; protocols: unknown } {
  const opened: { url: string; protocols: unknown }[] = [];
  const createWebsocket = (u: string, protocols: string[]) => {
    opened.push({ url: u, protocols });
    return { binaryType: '', readyState: 0, bufferedAmount: 0, protocol: '', send() {}, close() {} };
  };
  transportFor(resolveOptions(url, { createWebsocket, ...options }))(handlers);
  return opened[0];
}

describe('browser transport selection', () => {
  it('builds the URL with the default port and path "/" and offers the mqtt sub-protocol', () => {
    expect(attempt('ws://broker.test')).toEqual({ url: 'ws://broker.test:80/', protocols: ['mqtt'] });
    expect(attempt('wss://broker.test/mqtt?token=t')).toEqual({ url: 'wss://broker.test:443/mqtt?token=t', protocols: ['mqtt'] });
  });

  it('offers mqttv3.1 for MQTT 3.1 (MQIsdp)', () => {
    expect(attempt('ws://broker.test:9001', { protocolId: 'MQIsdp', protocolVersion: 3 }).protocols).toEqual(['mqttv3.1']);
  });

  it('brackets an IPv6 host', () => {
    expect(attempt('ws://[::1]:9001').url).toBe('ws://[::1]:9001/');
  });

  it.each([
    ['a synchronous', (url: string) => `${url}?signed=1`],
    ['an asynchronous', async (url: string) => `${url}?signed=1`],
  ])('rewrites the URL with %s transformWsUrl, handing it the options and the client', async (_kind, sign) => {
    const seen: unknown[] = [];
    const transformWsUrl = (url: string, options: ClientOptions, client: unknown) => {
      seen.push(options.clientId, client);
      return sign(url);
    };
    const opened: string[] = [];
    const createWebsocket = (u: string) => (opened.push(u), { send() {}, close() {} });
    const options = resolveOptions('ws://broker.test:9001', { clientId: 'c1', transformWsUrl, createWebsocket });
    transportFor(options, () => 'the client')(handlers);
    expect(opened).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(opened).toEqual(['ws://broker.test:9001/?signed=1']);
    expect(seen).toEqual(['c1', 'the client']);
  });

  it('closes the attempt with ERR_TRANSFORM_WS_URL when transformWsUrl rejects', async () => {
    const closes: (Error | undefined)[] = [];
    const transformWsUrl = () => Promise.reject(new Error('no token'));
    transportFor(resolveOptions('ws://broker.test', { transformWsUrl }))({ ...handlers, onClose: (error) => closes.push(error) });
    await new Promise((resolve) => setImmediate(resolve));
    expect(closes).toHaveLength(1);
    expect(closes[0]).toMatchObject({ code: 'ERR_TRANSFORM_WS_URL', message: 'transformWsUrl failed: no token' });
  });

  it('refuses schemes a browser cannot open, naming ws and wss', () => {
    for (const url of ['mqtt://broker.test', 'mqtts://broker.test', 'tcp://broker.test']) {
      expect(() => transportFor(resolveOptions(url))).toThrow(InvalidArgumentError);
    }
    expect(() => transportFor(resolveOptions('mqtt://broker.test'))).toThrow(/use ws:\/\/, wss:\/\//);
  });

  it('opens the WeChat and Alipay transports in this build too (mini programs get the browser build)', () => {
    const connectSocket = () => ({ onOpen() {}, onMessage() {}, onClose() {}, onError() {}, send() {}, close() {} });
    expect(() => transportFor(resolveOptions('wxs://broker.test/mqtt', { wx: { connectSocket } }))).not.toThrow();
  });

  it('throws at once for a transformWsUrl that is not a function', () => {
    expect(() => transportFor(resolveOptions('ws://broker.test', { transformWsUrl: 'nope' as never }))).toThrow(/transformWsUrl must be a function/);
  });
});
