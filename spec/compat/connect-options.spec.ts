// `connect([url], options)` reads URLs and options as MQTT.js 5 does, test by test after MQTT.js's
// test/node/mqtt.ts: the protocol (and its errors), credentials, client ids, paths, Unix sockets,
// `auth`, `query`, and a key and certificate upgrading mqtt to mqtts and ws to wss. Tests already
// covered elsewhere are named at the bottom.
import { connect, InvalidArgumentError, MqttClient } from '../../lib/index.js';
import { startAedes, type AedesHandle } from '../helpers/aedes.js';
import { once } from '../helpers/wait.js';

const QUICK = { reconnectPeriod: 0, manualConnect: true };
const KEY_AND_CERT = { key: 'not used: manualConnect', cert: 'not used: manualConnect' };

/** The options `connect()` resolves, the client ended at once. */
function optionsOf(url: string | Record<string, unknown> | undefined, options: Record<string, unknown> = {}) {
  const client = typeof url === 'string' ? connect(url, { ...QUICK, ...options }) : connect({ ...QUICK, ...url, ...options });
  client.end(true);
  return client.options;
}

describe('connect() options, as MQTT.js reads them', () => {
  it('returns an MqttClient for mqtt://, tcp://, mqtts://, ssl://, ws:// and wss:// URLs, keeping the scheme', () => {
    for (const scheme of ['mqtt', 'tcp', 'mqtts', 'ssl', 'ws', 'wss']) {
      const client = connect(`${scheme}://localhost`, QUICK);
      expect(client).toBeInstanceOf(MqttClient);
      expect(client.options.protocol).toBe(scheme);
      client.end(true);
    }
  });

  it('throws "Missing protocol" when the options set protocol: null beside a URL', () => {
    expect(() => connect('tcp://foo.bar.com', { ...QUICK, protocol: null } as never)).toThrow(new InvalidArgumentError('Missing protocol'));
  });

  it('takes the user name and password from the URL, and no path for mqtt://', () => {
    expect(optionsOf('mqtt://user:pass@localhost:1883')).toMatchObject({ username: 'user', password: 'pass' });
    expect(optionsOf('mqtt://user:pass@localhost:1883')).not.toHaveProperty('path');
    const alone = optionsOf('mqtt://user@localhost:1883');
    expect(alone.username).toBe('user');
    expect(alone).not.toHaveProperty('path');
  });

  it('drops the path of a TCP or TLS URL, as MQTT.js does, but keeps a WebSocket one', () => {
    expect(optionsOf('mqtt://localhost/some/path')).not.toHaveProperty('path');
    expect(optionsOf('mqtts://localhost/x')).not.toHaveProperty('path');
    expect(optionsOf('ws://localhost:1883/mqtt')).toMatchObject({ path: '/mqtt', unixSocket: false });
  });

  it('reads mqtt+unix:///path as protocol mqtt over the Unix socket at path', () => {
    expect(optionsOf('mqtt+unix:///tmp/mqtt.sock')).toMatchObject({ protocol: 'mqtt', path: '/tmp/mqtt.sock', unixSocket: true });
    expect(optionsOf('mqtts+unix:///tmp/mqtt.sock')).toMatchObject({ protocol: 'mqtts', path: '/tmp/mqtt.sock', unixSocket: true });
  });

  it('reads an IPv6 literal without setting a path', () => {
    const options = optionsOf('mqtt://[::1]');
    expect(options.host).toBe('::1');
    expect(options).not.toHaveProperty('path');
  });

  it('honours an empty ?clientId= (the broker then assigns one), and a given one', () => {
    expect(optionsOf('mqtt://user@localhost:1883?clientId=').clientId).toBe('');
    expect(optionsOf('mqtt://user@localhost:1883?clientId=123').clientId).toBe('123');
    expect(optionsOf('mqtt://localhost:1883', { clientId: '' }).clientId).toBe('');
    expect(optionsOf('mqtt://localhost:1883', { clientId: '123' }).clientId).toBe('123');
  });

  it('makes the default client id as MQTT.js does: mqttjs_ and 8 hex digits', () => {
    expect(optionsOf('mqtt://localhost:1883').clientId).toMatch(/^mqttjs_[0-9a-f]{8}$/);
    expect(optionsOf({}).clientId).toMatch(/^mqttjs_[0-9a-f]{8}$/);
  });

  it('sets hostname and port from the URL', () => {
    expect(optionsOf('tcp://user:pass@localhost:1883')).toMatchObject({ hostname: 'localhost', port: 1883 });
    expect(optionsOf({ hostname: 'from-hostname', host: 'from-host' })).toMatchObject({ hostname: 'from-hostname', host: 'from-hostname' });
  });

  it("lets the protocol option override the URL's scheme, with that protocol's default port", () => {
    expect(optionsOf('mqtt://localhost', { protocol: 'mqtts' })).toMatchObject({ protocol: 'mqtts', port: 8883 });
    expect(optionsOf('mqtt://localhost:1884', { protocol: 'ws' })).toMatchObject({ protocol: 'ws', port: 1884 });
  });

  it('keeps the scheme of a URL whose protocol option repeats it with a colon', () => {
    expect(optionsOf('mqtts://localhost:1883', { protocol: 'mqtts:' }).protocol).toBe('mqtts');
  });

  it('throws "Missing secure protocol key" for a key and certificate without any protocol', () => {
    expect(() => connect({ ...QUICK, ...KEY_AND_CERT })).toThrow(new InvalidArgumentError('Missing secure protocol key'));
  });

  it('throws for a key and certificate with a protocol that has no secure version', () => {
    expect(() => connect({ ...QUICK, ...KEY_AND_CERT, protocol: 'UNKNOWNPROTOCOL' })).toThrow(
      new InvalidArgumentError('Unknown protocol for secure connection: "UNKNOWNPROTOCOL"!'),
    );
    expect(() => connect({ ...QUICK, ...KEY_AND_CERT, protocol: 'tcp' })).toThrow(/Unknown protocol for secure connection: "tcp"/);
  });

  it.each([
    ['mqtt', 'mqtts'],
    ['mqtts', 'mqtts'],
    ['ws', 'wss'],
    ['wss', 'wss'],
    // MQTT.js throws for these two secure schemes; rxmqtt keeps them.
    ['tls', 'tls'],
    ['ssl', 'ssl'],
  ])('with a key and certificate, turns protocol %s into %s', (given, expected) => {
    expect(optionsOf({ ...KEY_AND_CERT, protocol: given }).protocol).toBe(expected);
  });

  it("with a key and certificate, upgrades a URL's scheme too", () => {
    expect(optionsOf('ws://broker.example/mqtt', KEY_AND_CERT)).toMatchObject({ protocol: 'wss', path: '/mqtt' });
    expect(optionsOf('mqtt://broker.example', KEY_AND_CERT)).toMatchObject({ protocol: 'mqtts', port: 8883 });
  });

  it("reads the auth option as MQTT.js does: 'user:pass', split at the last colon, or a user name alone", () => {
    expect(optionsOf({ auth: 'a:b:c' })).toMatchObject({ username: 'a:b', password: 'c' });
    expect(optionsOf({ auth: 'reader' })).toMatchObject({ username: 'reader' });
  });

  it("exposes the URL's query parameters as options.query (the last of a repeated one)", () => {
    expect(optionsOf('ws://broker.example/mqtt?token=a%20b&x=1&x=2').query).toEqual({ token: 'a b', x: '2' });
    expect(optionsOf('mqtt://broker.example/?clientId=c').query).toEqual({ clientId: 'c' });
  });

  describe('against a broker', () => {
    let aedes: AedesHandle;
    beforeAll(async () => {
      aedes = await startAedes();
    });
    afterAll(() => aedes.close());

    it('sends the empty client id of ?clientId= in the CONNECT, and the broker assigns one', async () => {
      const ids: string[] = [];
      aedes.broker.on('client', (client) => ids.push(client.id));
      const client = connect(`${aedes.url}?clientId=`, { reconnectPeriod: 0 });
      await once(client, 'connect');
      await client.endAsync();
      expect(ids).toHaveLength(1);
      // aedes names a client that sent '' 'aedes_' + a UUID.
      expect(ids).toEqual([expect.stringMatching(/^aedes_/)]);
    });

    it('sends the default mqttjs_ client id in the CONNECT', async () => {
      const ids: string[] = [];
      aedes.broker.on('client', (client) => ids.push(client.id));
      const client = connect(aedes.url, { reconnectPeriod: 0 });
      await once(client, 'connect');
      await client.endAsync();
      expect(ids).toEqual([expect.stringMatching(/^mqttjs_[0-9a-f]{8}$/)]);
    });
  });

  // Covered elsewhere: "Missing protocol" for a URL without a scheme (spec/options/url.spec.ts),
  // `servers` tried in turn (spec/transport/failover.spec.ts), Unix sockets against a broker
  // (spec/transport/unix.spec.ts), the options winning over a URL (spec/options/url.spec.ts).
});
