// Broker URLs: parsed by the WHATWG URL parser only (never the deprecated url.parse), with
// credentials and clientId taken from the URL, default ports per scheme, IPv6 literals, Unix
// socket paths, and clear errors for what can never connect.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseLegacy } from 'node:url';
import mqtt from 'mqtt';
import { connect, InvalidArgumentError } from '../../lib/index.js';
import { defaultPort, parseBrokerUrl, serverOfUrl } from '../../lib/options/broker-url.js';
import { resolveOptions } from '../../lib/options/options.js';

const QUICK = { reconnectPeriod: 0, manualConnect: true };

describe('broker URLs', () => {
  it.each([
    ['mqtt', 1883],
    ['tcp', 1883],
    ['mqtts', 8883],
    ['tls', 8883],
    ['ssl', 8883],
    ['ws', 80],
    ['wss', 443],
  ])('gives %s:// the default port %d', (scheme, port) => {
    expect(resolveOptions(`${scheme}://broker.example`).port).toBe(port);
    expect(defaultPort(scheme)).toBe(port);
    expect(serverOfUrl(`${scheme}://broker.example`).server).toEqual({ host: 'broker.example', port, protocol: scheme });
  });

  it('keeps an explicit port, even the default one of a WebSocket scheme (which URL leaves out)', () => {
    expect(resolveOptions('mqtt://broker.example:1884').port).toBe(1884);
    expect(resolveOptions('wss://broker.example:8443').port).toBe(8443);
    expect(resolveOptions('ws://broker.example:80').port).toBe(80);
    expect(resolveOptions('mqtts://broker.example:443').port).toBe(443);
  });

  it('lets the options win over the URL, as MQTT.js does', () => {
    const resolved = resolveOptions('mqtt://u:p@broker.example:1884/?clientId=from-url', { port: 1999, clientId: 'from-options' });
    expect(resolved).toMatchObject({ host: 'broker.example', port: 1999, clientId: 'from-options', username: 'u', password: 'p' });
  });

  it('decodes percent-encoded credentials and clientId', () => {
    expect(parseBrokerUrl('mqtt://us%40er:p%3As%2Fs%40w%23rd@broker.example/?clientId=my%20id%2F1')).toEqual({
      protocol: 'mqtt',
      host: 'broker.example',
      username: 'us@er',
      password: 'p:s/s@w#rd',
      clientId: 'my id/1',
      query: { clientId: 'my id/1' },
    });
  });

  it('keeps a password with a bare % as it is, rather than throwing a URIError', () => {
    expect(parseBrokerUrl('mqtt://us%er:100%@broker.example')).toMatchObject({ username: 'us%er', password: '100%' });
  });

  it('takes a user name without a password', () => {
    expect(parseBrokerUrl('mqtts://reader@broker.example')).toEqual({ protocol: 'mqtts', host: 'broker.example', username: 'reader' });
  });

  it('reads IPv6 literals without their brackets', () => {
    expect(parseBrokerUrl('mqtt://[::1]:1884')).toEqual({ protocol: 'mqtt', host: '::1', port: 1884 });
    expect(resolveOptions('mqtts://[2001:db8::1]')).toMatchObject({ host: '2001:db8::1', port: 8883 });
    expect(serverOfUrl('ws://[::1]:9001/mqtt').server).toEqual({ host: '::1', port: 9001, protocol: 'ws' });
  });

  it.each([
    ['a WHATWG URL', () => new URL('mqtt://user:s3cret@127.0.0.1:1884/?clientId=from-url')],
    ['a legacy url.parse() result', () => parseLegacy('mqtt://user:s3cret@127.0.0.1:1884/?clientId=from-url', true)],
  ])('merges %s with the options given beside it, the options winning', (_, url) => {
    const client = connect(url(), { ...QUICK, username: 'from-options', keepalive: 10 });
    expect(client.options).toMatchObject({ protocol: 'mqtt', host: '127.0.0.1', port: 1884, clientId: 'from-url', username: 'from-options', password: 's3cret', keepalive: 10 });
    client.end(true);
    const alone = connect(url()); // MQTT.js reads a lone object as options: the same fields here
    alone.end(true);
    expect(alone.options).toMatchObject({ host: '127.0.0.1', port: 1884, username: 'user' });
  });

  it.each(['broker.example', '//broker.example:1883'])('throws "Missing protocol" for %s, a URL without a scheme, as MQTT.js 5 does', (url) => {
    expect(() => mqtt.connect(url, { reconnectPeriod: 0 })).toThrow('Missing protocol');
    expect(() => connect(url, QUICK)).toThrow(new InvalidArgumentError('Missing protocol'));
  });

  it('reads a bare host name as mqtt://', () => {
    expect(parseBrokerUrl('broker.example:1884')).toEqual({ protocol: 'mqtt', host: 'broker.example', port: 1884 });
  });

  it('keeps a WebSocket URL path and query for the handshake', () => {
    expect(parseBrokerUrl('wss://broker.example/mqtt?token=a%20b')).toMatchObject({ protocol: 'wss', path: '/mqtt?token=a%20b' });
    expect(parseBrokerUrl('ws://broker.example')).not.toHaveProperty('path');
  });

  it('reads mqtt+unix:///path as a socket path', () => {
    expect(parseBrokerUrl('mqtt+unix:///run/mosquitto/mqtt.sock')).toEqual({ protocol: 'mqtt+unix', host: '', path: '/run/mosquitto/mqtt.sock' });
    // Resolved as MQTT.js resolves it: the protocol without '+unix', and unixSocket.
    expect(resolveOptions('mqtt+unix:///tmp/b.sock')).toMatchObject({ protocol: 'mqtt', unixSocket: true, path: '/tmp/b.sock' });
  });

  it.each(['foo', 'http', 'amqp'])('refuses the unknown scheme %s:// at connect() with an InvalidArgumentError naming it', (scheme) => {
    let thrown: unknown;
    try {
      connect(`${scheme}://broker.example`, QUICK);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
    expect(thrown).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringContaining(`"${scheme}"`) });
  });

  it('refuses an unknown scheme in servers too', () => {
    expect(() => connect({ ...QUICK, servers: [{ host: 'h', port: 1, protocol: 'gopher' }] })).toThrow(/Unknown protocol "gopher"/);
  });

  it('refuses a URL the WHATWG parser rejects, without echoing its password', () => {
    for (const url of ['mqtt://user:s3cret@[not-an-ip', 'mqtt://broker.example:99999']) {
      let thrown: Error | undefined;
      try {
        parseBrokerUrl(url);
      } catch (error) {
        thrown = error as Error;
      }
      expect(thrown).toBeInstanceOf(InvalidArgumentError);
      expect(thrown?.message).toMatch(/^Invalid broker URL/);
      expect(thrown?.message).not.toContain('s3cret');
    }
  });

  it('uses the WHATWG URL parser only: no url.parse anywhere in lib/ or cli/', () => {
    const offenders: string[] = [];
    const scan = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) scan(path);
        else if (entry.name.endsWith('.ts') && /\burl\.parse\s*\(|\bparse\s*\}?\s*from\s*['"](node:)?url['"]/.test(readFileSync(path, 'utf8'))) offenders.push(path);
      }
    };
    scan('lib');
    scan('cli');
    expect(offenders).toEqual([]);
  });
});
