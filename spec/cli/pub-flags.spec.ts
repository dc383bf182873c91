/**
 * The mosquitto_pub flags of issue 17 that only change options (pure: toConnectSettings,
 * toPublishPlan, describeError); pub-connection.spec.ts and pub-properties.spec.ts run them
 * through the built binary.
 */
import { TransportError } from '../../lib/index.js';
import { describeError, UsageError } from '../../cli/errors.js';
import { toConnectSettings, type ConnectionFlags } from '../../cli/options.js';
import { toPublishPlan } from '../../cli/pub.js';

const settings = (flags: ConnectionFlags) => toConnectSettings(flags, () => Buffer.alloc(0));

describe('mosquitto connection flags', () => {
  it('connects through a Unix socket with --unix, naming its path as the address', () => {
    expect(settings({ unix: '/run/mosquitto.sock' })).toEqual({
      options: { protocol: 'mqtt', unixSocket: true, path: '/run/mosquitto.sock', protocolVersion: 4 },
      address: '/run/mosquitto.sock',
      debug: false,
    });
    expect(settings({ url: 'mqtt+unix:///run/m.sock' }).address).toBe('/run/m.sock');
    expect(() => settings({ unix: '/s', host: 'h' })).toThrow('--unix cannot be combined with -L/--url, -h/--host or -p/--port');
  });

  it('reads -x as mosquitto does (-1 and ∞: never expires), on MQTT 5 only', () => {
    const expiry = (sessionExpiry: string) => settings({ protocolVersion: 5, sessionExpiry }).options.properties;
    expect(expiry('-1')).toEqual({ sessionExpiryInterval: 0xffffffff });
    expect(expiry('∞')).toEqual({ sessionExpiryInterval: 0xffffffff });
    expect(expiry('3600')).toEqual({ sessionExpiryInterval: 3600 });
    expect(() => expiry('-2')).toThrow('-x/--session-expiry must be seconds from 0 to 4294967295, or -1 for never, got "-2"');
    expect(() => expiry('4294967296')).toThrow(UsageError);
    expect(() => settings({ sessionExpiry: '60' })).toThrow('-x/--session-expiry needs MQTT 5 (-V 5)');
  });

  it('makes the client id from -I and the process id, never with -i', () => {
    expect(settings({ idPrefix: 'box-' }).options.clientId).toBe(`box-${process.pid}`);
    expect(() => settings({ idPrefix: 'box-', id: 'me' })).toThrow('Give -i/--id or -I/--id-prefix, not both');
  });

  it('suggests --cafile or --insecure when the broker certificate is not trusted', () => {
    const error = new TransportError('Connection failed: self-signed certificate', { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(describeError(error, '127.0.0.1:8883')).toBe(
      'The broker at 127.0.0.1:8883 was not trusted: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT): ' +
        'give the CA that signed it with --cafile <file.pem>, or skip verification with --insecure (testing only)',
    );
  });

  it('says a missing socket file is missing', () => {
    const error = new TransportError('Connection failed: connect ENOENT /run/x.sock', { code: 'ENOENT' });
    expect(describeError(error, '/run/x.sock')).toBe('Cannot reach the broker at /run/x.sock: no such socket file (ENOENT)');
  });
});

describe('mosquitto TLS and socket flags', () => {
  it('passes -A as the local address, and takes --nodelay (always on) without complaint', () => {
    expect(settings({ bindAddress: '127.0.0.2' }).options.localAddress).toBe('127.0.0.2');
  });

  it('pins --tls-version, passes --ciphers, and takes --tls-alpn for --alpn; each implies TLS', () => {
    const { options, address } = settings({ tlsVersion: 'tlsv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256', alpn: ['mqtt'] });
    expect(options).toMatchObject({ protocol: 'mqtts', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256', ALPNProtocols: ['mqtt'] });
    expect(address).toBe('localhost:8883');
    expect(settings({ ciphers: 'HIGH' }).options.protocol).toBe('mqtts');
    expect(() => settings({ tlsVersion: 'sslv3' })).toThrow('--tls-version must be tlsv1.3, tlsv1.2 or tlsv1.1, got "sslv3"');
  });
});

describe('mosquitto publish flags', () => {
  it('takes --repeat-delay in seconds, as mosquitto_pub does, but not beside --interval', () => {
    expect(toPublishPlan({ topic: 't', message: 'm', repeat: 3, repeatDelay: 0.5 }, 4).intervalMs).toBe(500);
    expect(() => toPublishPlan({ topic: 't', message: 'm', repeatDelay: 1, interval: 5 }, 4)).toThrow('Give --interval (ms) or --repeat-delay (s), not both');
    expect(() => toPublishPlan({ topic: 't', message: 'm', repeatDelay: -1 }, 4)).toThrow(UsageError);
  });
});
