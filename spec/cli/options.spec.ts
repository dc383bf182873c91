import { ConnackError, TransportError } from '../../lib/index.js';
import { describeError, UsageError } from '../../cli/errors.js';
import { parseProtocolVersion, parseUserProperties, toConnectSettings, type ConnectionFlags } from '../../cli/options.js';
import { toPublishPlan, type PubFlags } from '../../cli/pub.js';
import { toSubscribePlan, type SubFlags } from '../../cli/sub.js';

const noFiles = (path: string): Buffer => {
  throw Object.assign(new Error(`no file ${path}`), { code: 'ENOENT' });
};
const files = (contents: Record<string, string>) => (path: string) => {
  if (!(path in contents)) return noFiles(path);
  return Buffer.from(contents[path]);
};
const settings = (flags: ConnectionFlags, readFile = noFiles) => toConnectSettings(flags, readFile);

describe('toConnectSettings', () => {
  it('connects to localhost:1883 over TCP with MQTT 3.1.1 by default', () => {
    expect(settings({})).toEqual({ options: { protocol: 'mqtt', host: 'localhost', protocolVersion: 4 }, address: 'localhost:1883', debug: false });
  });

  it('maps the mosquitto-style flags to connect options', () => {
    const { options, address } = settings({
      host: 'broker.local',
      port: 1884,
      id: 'me',
      username: 'user',
      password: 'pw',
      keepalive: 10,
      protocolVersion: 'mqttv5',
      noClean: true,
      noReconnect: true,
    });
    expect(options).toEqual({
      protocol: 'mqtt',
      host: 'broker.local',
      port: 1884,
      clientId: 'me',
      username: 'user',
      password: 'pw',
      keepalive: 10,
      protocolVersion: 5,
      clean: false,
      reconnectPeriod: 0,
      properties: { sessionExpiryInterval: 0xffffffff },
    });
    expect(address).toBe('broker.local:1884');
  });

  it('takes host, port and credentials from -L, and lets -i/-u/-P override them', () => {
    const { options, address } = settings({ url: 'mqtt://alice:secret@example.org:2883/?clientId=fromurl', username: 'bob', id: 'flag' });
    expect(options).toMatchObject({ protocol: 'mqtt', host: 'example.org', port: 2883, username: 'bob', password: 'secret', clientId: 'flag' });
    expect(address).toBe('example.org:2883');
  });

  it('never puts the password of a URL into the printable address', () => {
    expect(settings({ url: 'mqtt://alice:secret@example.org' }).address).not.toContain('secret');
  });

  it('refuses -L together with -h or -p', () => {
    expect(() => settings({ url: 'mqtt://a', host: 'b' })).toThrow(new UsageError('-L/--url cannot be combined with -h/--host or -p/--port'));
    expect(() => settings({ url: 'mqtt://a', port: 1 })).toThrow(UsageError);
  });

  it('builds the will from the --will-* flags, and refuses them without --will-topic', () => {
    expect(settings({ willTopic: 'dead', willMessage: 'bye', willQos: 1, willRetain: true }).options.will).toEqual({
      topic: 'dead',
      payload: Buffer.from('bye'),
      qos: 1,
      retain: true,
    });
    expect(settings({ willTopic: 'dead' }).options.will).toEqual({ topic: 'dead', payload: Buffer.alloc(0), qos: 0, retain: false });
    expect(() => settings({ willMessage: 'bye' })).toThrow(/need --will-topic/);
  });

  it('switches to TLS on port 8883 for --cafile, reading the files it names', () => {
    const read = files({ 'ca.pem': 'CA', 'me.crt': 'CRT', 'me.key': 'KEY' });
    const { options, address } = settings({ cafile: 'ca.pem', cert: 'me.crt', key: 'me.key', alpn: ['mqtt,x-amzn'] }, read);
    expect(options).toMatchObject({ protocol: 'mqtts', ca: Buffer.from('CA'), cert: Buffer.from('CRT'), key: Buffer.from('KEY'), ALPNProtocols: ['mqtt', 'x-amzn'] });
    expect(address).toBe('localhost:8883');
    expect(settings({ insecure: true }).options).toMatchObject({ protocol: 'mqtts', rejectUnauthorized: false });
  });

  it('reports a TLS file it cannot read, a lone --cert, and TLS flags with an mqtt:// or ws:// URL as usage errors', () => {
    expect(() => settings({ cafile: 'missing.pem' })).toThrow(new UsageError('Cannot read --cafile "missing.pem": ENOENT'));
    expect(() => settings({ cert: 'me.crt' })).toThrow(/--cert and --key go together/);
    expect(() => settings({ url: 'mqtt://x', insecure: true })).toThrow(new UsageError('TLS flags need an mqtts:// or wss:// URL, got mqtt://'));
    expect(() => settings({ url: 'ws://x/mqtt', insecure: true })).toThrow(new UsageError('TLS flags need an mqtts:// or wss:// URL, got ws://'));
    expect(settings({ url: 'mqtts://x', insecure: true }).options).toMatchObject({ protocol: 'mqtts', rejectUnauthorized: false });
    expect(settings({ url: 'wss://x/mqtt', insecure: true }).options).toMatchObject({ protocol: 'wss', rejectUnauthorized: false });
  });

  it('makes a persistent MQTT 5 session never expire unless -x says otherwise, as mosquitto -c', () => {
    const persistent = { noClean: true, id: 'kept', protocolVersion: '5' };
    expect(settings(persistent).options.properties?.sessionExpiryInterval).toBe(0xffffffff);
    expect(settings({ ...persistent, sessionExpiry: '60' }).options.properties?.sessionExpiryInterval).toBe(60);
    expect(settings({ ...persistent, protocolVersion: '4' }).options.properties).toBeUndefined();
    expect(settings({ id: 'clean', protocolVersion: '5' }).options.properties?.sessionExpiryInterval).toBeUndefined();
  });

  it('demands a client id for --no-clean', () => {
    expect(() => settings({ noClean: true })).toThrow(new UsageError('--no-clean needs a client id (-i/--id)'));
    expect(settings({ noClean: true, url: 'mqtt://h/?clientId=x' }).options.clean).toBe(false);
  });

  it('turns values the library refuses into usage errors', () => {
    expect(() => settings({ port: 70000 })).toThrow(UsageError);
    expect(() => settings({ keepalive: -1 })).toThrow(/keepalive/);
    expect(() => settings({ url: 'mqtt://[bad' })).toThrow(/Invalid broker URL/);
  });
});

describe('parseProtocolVersion', () => {
  test.each([
    [undefined, 4],
    ['3', 3],
    ['31', 3],
    ['mqttv31', 3],
    [4, 4],
    ['311', 4],
    ['mqttv311', 4],
    ['5', 5],
    ['MQTTv5', 5],
  ] as const)('reads %p as %p', (input, version) => {
    expect(parseProtocolVersion(input)).toBe(version);
  });

  it('refuses anything else', () => {
    expect(() => parseProtocolVersion('6')).toThrow(new UsageError('Unknown protocol version "6": use 3, 4, 5, mqttv31, mqttv311 or mqttv5'));
  });
});

describe('parseUserProperties', () => {
  it('collects repeated keys into arrays and keeps "=" inside values', () => {
    expect(parseUserProperties(['a=1', 'b=x=y', 'a=2', 'empty='])).toEqual({ a: ['1', '2'], b: 'x=y', empty: '' });
    expect(parseUserProperties([])).toBeUndefined();
  });

  it('refuses a pair without a key', () => {
    expect(() => parseUserProperties(['novalue'])).toThrow(/key=value/);
    expect(() => parseUserProperties(['=v'])).toThrow(UsageError);
  });
});

describe('toSubscribePlan', () => {
  const plan = (flags: SubFlags) => toSubscribePlan(flags);

  it('defaults to QoS 0, text, no count, no timeout, retained messages printed', () => {
    expect(plan({ topic: ['a/#'] })).toEqual({
      topics: ['a/#'],
      qos: 0,
      output: { format: 'text', verbose: false, newline: true },
      verbose: false,
      skipRetained: false,
      exitAfterSubscribe: false,
      retainedOnly: false,
      filterOut: [],
      removeRetained: false,
    });
  });

  it('keeps every topic, the count, the timeout in ms and -R', () => {
    expect(plan({ topic: ['a', 'b/+'], qos: 2, count: 5, timeout: 1.5, noRetained: true, format: 'json', verbose: true })).toEqual({
      topics: ['a', 'b/+'],
      qos: 2,
      output: { format: 'json', verbose: true, newline: true },
      verbose: true,
      count: 5,
      timeoutMs: 1500,
      skipRetained: true,
      exitAfterSubscribe: false,
      retainedOnly: false,
      filterOut: [],
      removeRetained: false,
    });
  });

  test.each<[SubFlags, RegExp]>([
    [{ topic: [] }, /at least one topic/],
    [{ topic: ['a/#/b'] }, /Invalid topic filter "a\/#\/b"/],
    [{ topic: ['a'], qos: 3 }, /qos must be 0, 1 or 2/],
    [{ topic: ['a'], count: 0 }, /count must be a positive integer/],
    [{ topic: ['a'], count: 1.5 }, /count must be a positive integer/],
    [{ topic: ['a'], timeout: 0 }, /timeout must be a positive number/],
    [{ topic: ['a'], format: 'xml' }, /format: must be text, json or hex, or a format string/],
  ])('refuses %j', (flags, message) => {
    expect(() => plan(flags)).toThrow(message);
  });
});

describe('toPublishPlan', () => {
  const plan = (flags: PubFlags, version: 3 | 4 | 5 = 4) => toPublishPlan(flags, version);

  it('publishes -m once at QoS 0, not retained, by default', () => {
    expect(plan({ topic: 't', message: 'hi' })).toEqual({
      topic: 't',
      source: { kind: 'message', payload: Buffer.from('hi') },
      options: { qos: 0, retain: false },
      repeat: 1,
      intervalMs: 0,
    });
  });

  test.each<[PubFlags, string]>([
    [{ topic: 't', file: 'f.bin' }, 'file'],
    [{ topic: 't', stdin: true }, 'stdin'],
    [{ topic: 't', stdinLine: true }, 'lines'],
    [{ topic: 't', nullMessage: true }, 'null'],
    [{ topic: 't', message: '' }, 'message'],
  ])('reads %j as the %s source', (flags, kind) => {
    expect(plan(flags).source.kind).toBe(kind);
  });

  it('carries QoS, retain, repeat, interval and MQTT 5 properties', () => {
    const flags: PubFlags = {
      topic: 't',
      message: 'x',
      qos: 2,
      retain: true,
      repeat: 3,
      interval: 100,
      userProperty: ['k=v'],
      contentType: 'application/json',
      responseTopic: 'reply',
      correlationData: 'c-1',
      messageExpiry: 60,
    };
    expect(plan(flags, 5)).toMatchObject({
      options: {
        qos: 2,
        retain: true,
        properties: { userProperties: { k: 'v' }, contentType: 'application/json', responseTopic: 'reply', correlationData: Buffer.from('c-1'), messageExpiryInterval: 60 },
      },
      repeat: 3,
      intervalMs: 100,
    });
  });

  test.each<[PubFlags, RegExp]>([
    [{ topic: 't' }, /exactly one of -m/],
    [{ topic: 't', message: 'a', stdin: true }, /exactly one of -m/],
    [{ topic: 'a/+', message: 'x' }, /Invalid topic "a\/\+"/],
    [{ topic: '', message: 'x' }, /Invalid topic/],
    [{ topic: 't', message: 'x', qos: 3 }, /qos must be 0, 1 or 2/],
    [{ topic: 't', message: 'x', repeat: 0 }, /--repeat must be a positive integer/],
    [{ topic: 't', stdinLine: true, repeat: 2 }, /--repeat does not apply to -l/],
    [{ topic: 't', message: 'x', interval: -1 }, /--interval/],
    [{ topic: 't', message: 'x', contentType: 'a' }, /need -V 5/],
    [{ topic: 't', message: 'x', messageExpiry: -1 }, /--message-expiry/],
  ])('refuses %j', (flags, message) => {
    expect(() => plan(flags)).toThrow(message);
  });
});

describe('describeError', () => {
  it("gives the broker's reason for a refused connection", () => {
    expect(describeError(new ConnackError(5))).toBe('Connection refused: Not authorized (code 5)');
    expect(describeError(new ConnackError(0x86, 'wrong token'))).toBe('Connection refused: Bad User Name or Password (code 134): wrong token');
  });

  it('names the broker address and the system error for an unreachable broker', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(describeError(new TransportError('Connection failed: connect ECONNREFUSED 127.0.0.1:1', cause), '127.0.0.1:1')).toBe(
      'Cannot reach the broker at 127.0.0.1:1: connection refused (ECONNREFUSED)',
    );
  });

  it('always answers with one line', () => {
    expect(describeError(new Error('Invalid values:\n  Argument: qos'))).toBe('Invalid values: Argument: qos');
    expect(describeError('plain')).toBe('plain');
  });
});
