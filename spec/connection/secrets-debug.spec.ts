// Issue #8, secrets and safe defaults: with every debug namespace on, sessions against aedes over
// TCP and TLS (client certificate with an encrypted key) with a password, MQTT 5 authentication
// data, a will, a refused password, a reconnect, a drop, certificate failures: the secrets never
// show up in the debug output, in error messages, stacks and causes, nor in client.options once
// serialised or inspected. And TLS verifies the certificate and the host name unless told not to.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { format, inspect } from 'node:util';
import createDebug from 'debug';
import { connect, type ClientOptions, type MqttClient } from '../../lib/index.js';
import { resolveOptions } from '../../lib/options/options.js';
import { startAedes, type AedesHandle } from '../helpers/aedes.js';
import { dropFromBroker, within } from '../integration/support.js';
import { HANG_DEADLINE_MS } from '../helpers/wait.js';

const PASSWORD = 'hunter2-Sup3r-S3cret';
const WRONG_PASSWORD = 'wr0ng-Pa55word-S3cret';
const PASSPHRASE = 'k3y-Pa55phrase-S3cret';
const AUTH_DATA = 'auth-data-T0p-S3cret';

interface Pki {
  serverKey: string;
  serverCert: string;
  clientKey: string;
  clientCert: string;
}

/** A server certificate for DNS:localhost only, and a client certificate with a passphrase-encrypted key. */
function makePki(): Pki | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'rxmqtt-secrets-'));
  const file = (name: string) => join(dir, name);
  const req = (args: string[]) => execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-days', '1', ...args], { stdio: 'ignore', timeout: HANG_DEADLINE_MS });
  try {
    req(['-nodes', '-keyout', file('server.key'), '-out', file('server.crt'), '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost']);
    req(['-passout', `pass:${PASSPHRASE}`, '-keyout', file('client.key'), '-out', file('client.crt'), '-subj', '/CN=alice']);
    const read = (name: string) => readFileSync(file(name), 'utf8');
    return { serverKey: read('server.key'), serverCert: read('server.crt'), clientKey: read('client.key'), clientCert: read('client.crt') };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pki = makePki();
const describeTls = pki ? describe : describe.skip;

/** Every way a secret could show up in text: as is, hex, base64, a logged Buffer, a JSON Buffer. */
function forms(secret: string): string[] {
  const bytes = Buffer.from(secret);
  return [secret, bytes.toString('hex'), bytes.toString('base64'), inspect(bytes).slice(0, 40), bytes.subarray(0, 12).join(',')];
}

/** Lines of the encrypted client key's PEM body: any one of them in the output is a leak. */
function keyLines(pem: string): string[] {
  return pem.split('\n').filter((line) => line.length >= 40 && !line.startsWith('-----'));
}

describeTls('secrets with every debug namespace on (aedes, TCP and TLS)', () => {
  let aedes: AedesHandle;
  let tlsServer: Server;
  let tlsPort: number;
  const tlsSockets = new Set<Socket>();
  const clients: MqttClient[] = [];
  const debugLines: string[] = [];
  const errors: Error[] = [];
  let previousNamespaces = '';
  const previousLog = createDebug.log;
  const FORBIDDEN = [...forms(PASSWORD), ...forms(WRONG_PASSWORD), ...forms(PASSPHRASE), ...forms(AUTH_DATA), ...keyLines(pki?.clientKey ?? '')];
  const leaks = (text: string) => FORBIDDEN.filter((form) => text.includes(form));

  beforeAll(async () => {
    aedes = await startAedes({
      authenticate: (_client, username, password, done) =>
        username === 'alice' && password?.toString() === PASSWORD ? done(null, true) : done(Object.assign(new Error('bad credentials'), { returnCode: 4 as const }), null),
    });
    const { serverKey, serverCert, clientCert } = pki!;
    tlsServer = createServer({ key: serverKey, cert: serverCert, ca: [clientCert], requestCert: true, rejectUnauthorized: true }, (socket: TLSSocket) => {
      tlsSockets.add(socket);
      socket.once('close', () => tlsSockets.delete(socket));
      aedes.broker.handle(socket);
    });
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    tlsPort = (tlsServer.address() as { port: number }).port;
    previousNamespaces = createDebug.disable();
    createDebug.enable('*');
    createDebug.log = (...args: unknown[]) => void debugLines.push(format(...args));
  });

  afterAll(async () => {
    createDebug.log = previousLog;
    createDebug.disable();
    if (previousNamespaces) createDebug.enable(previousNamespaces);
    for (const client of clients) await client.endAsync(true);
    for (const socket of tlsSockets) socket.destroy();
    await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    await aedes.close();
  });

  function client(url: string, options: ClientOptions): MqttClient {
    const c = connect(url, { reconnectPeriod: 0, connectTimeout: HANG_DEADLINE_MS, ...options });
    c.on('error', (error) => errors.push(error));
    clients.push(c);
    return c;
  }

  const firstError = (c: MqttClient) => within(new Promise<Error & { errno?: string }>((resolve) => c.once('error', resolve)), 'an error');
  const connected = (c: MqttClient) => within(new Promise<void>((resolve) => c.once('connect', () => resolve())), 'connect');

  const tlsClientOptions = (): ClientOptions => ({
    ca: pki!.serverCert,
    key: pki!.clientKey,
    cert: pki!.clientCert,
    passphrase: PASSPHRASE,
    username: 'alice',
    password: PASSWORD,
    will: { topic: 'secrets/will', payload: Buffer.from('gone'), qos: 1, retain: false },
  });

  it('connects with a client certificate whose key is encrypted, and survives a reconnect and a drop', async () => {
    const c = client(`mqtts://localhost:${tlsPort}`, { ...tlsClientOptions(), clientId: 'secret-tls', reconnectPeriod: 50 });
    await connected(c);
    await c.subscribeAsync('secrets/#', { qos: 1 });
    const message = new Promise((resolve) => c.once('message', resolve));
    await c.publishAsync('secrets/x', 'hello', { qos: 1 });
    await within(message, 'the message');
    const back = connected(c);
    c.reconnect();
    await back;
    const dropped = firstError(c);
    const again = connected(c);
    dropFromBroker(aedes, 'secret-tls');
    await dropped;
    await again;
    // MQTT.js compatibility: the values stay readable by code.
    expect(c.options.password).toBe(PASSWORD);
    expect(c.options.passphrase).toBe(PASSPHRASE);
    await c.endAsync();
  });

  it('reports a refused password, and a refused MQTT 5 CONNECT carrying authentication data', async () => {
    const refused = client(`mqtt://127.0.0.1:${aedes.port}`, { username: 'alice', password: WRONG_PASSWORD, ...tlsKeyOnly() });
    expect(await firstError(refused)).toMatchObject({ kind: 'ERR_CONNACK', reasonCode: 4 });
    const v5 = client(`mqtt://127.0.0.1:${aedes.port}`, {
      protocolVersion: 5,
      username: 'alice',
      password: PASSWORD,
      properties: { authenticationMethod: 'TOKEN', authenticationData: Buffer.from(AUTH_DATA) },
      authPacket: { properties: { authenticationMethod: 'TOKEN', authenticationData: Buffer.from(AUTH_DATA) } },
    });
    expect(await firstError(v5)).toBeInstanceOf(Error);
  });

  it('verifies the certificate by default: a self-signed one is refused without ca', async () => {
    const c = client(`mqtts://localhost:${tlsPort}`, { ...tlsClientOptions(), ca: undefined });
    expect(await firstError(c)).toMatchObject({ kind: 'ERR_TRANSPORT', errno: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });

  it('verifies the host name by default: the right certificate for another name is refused', async () => {
    const c = client(`mqtts://127.0.0.1:${tlsPort}`, tlsClientOptions());
    expect(await firstError(c)).toMatchObject({ kind: 'ERR_TRANSPORT', errno: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  it('connects to another name only with an explicit rejectUnauthorized: false', async () => {
    const c = client(`mqtts://127.0.0.1:${tlsPort}`, { ...tlsClientOptions(), rejectUnauthorized: false });
    await connected(c);
    await c.endAsync();
  });

  it('fails a wrong passphrase for the client key through the error event', async () => {
    const c = client(`mqtts://localhost:${tlsPort}`, { ...tlsClientOptions(), passphrase: WRONG_PASSWORD });
    const error = await firstError(c);
    expect(error).toMatchObject({ kind: 'ERR_TRANSPORT' });
  });

  it('never showed a secret in the debug output, the errors or the serialised options', () => {
    // Not vacuous: the debug output is there and saw the CONNECTs, the errors happened.
    expect(debugLines.filter((line) => line.includes('sending connect')).length).toBeGreaterThanOrEqual(6);
    expect(debugLines.filter((line) => line.includes('<redacted>')).length).toBeGreaterThan(0);
    expect(errors.length).toBeGreaterThanOrEqual(5);
    // mqtt-packet's own parser debug (DEBUG=mqtt-packet:parser) prints the bytes of every packet it
    // parses: here aedes, in this process, parsing our CONNECTs (and, on a client, what the broker
    // sends, AUTH data included). It is not rxmqtt's output and is the only leak: docs/transports-and-security.md says
    // to use DEBUG=rxmqtt* where secrets matter.
    const leaking = debugLines.filter((line) => leaks(line).length > 0);
    expect(leaking.filter((line) => !line.includes(' mqtt-packet:parser '))).toEqual([]);
    const errorText = errors.map((e) => `${String(e)}\n${e.stack}\n${inspect(e, { depth: 8 })}\n${JSON.stringify(e)}`).join('\n');
    expect(leaks(errorText)).toEqual([]);
    for (const c of clients) {
      const serialised = `${inspect(c, { depth: 8 })}\n${JSON.stringify(c.options)}\n${inspect(c.options, { depth: 10 })}\n${format('%o %O %j', c.options, c.options, c.options)}`;
      expect(leaks(serialised)).toEqual([]);
    }
    expect(JSON.parse(JSON.stringify(clients[0]!.options))).toMatchObject({ password: '<redacted>', key: '<redacted>', passphrase: '<redacted>' });
  });
});

/** TLS secrets set on a plain mqtt:// client: unused, but still options that must not print. */
function tlsKeyOnly(): ClientOptions {
  return { key: pki!.clientKey, passphrase: PASSPHRASE, pfx: Buffer.from(PASSPHRASE) };
}

describe('client.options printed and serialised', () => {
  const options = () =>
    resolveOptions('mqtt://alice:' + PASSWORD + '@broker.example', {
      protocolVersion: 5,
      key: 'KEY-' + PASSPHRASE,
      passphrase: PASSPHRASE,
      pfx: Buffer.from(PASSPHRASE),
      properties: { authenticationMethod: 'TOKEN', authenticationData: Buffer.from(AUTH_DATA) },
      authPacket: { properties: { authenticationMethod: 'TOKEN', authenticationData: Buffer.from(AUTH_DATA) } },
      wsOptions: { headers: { Authorization: 'Bearer ' + AUTH_DATA, 'X-Trace': 'kept' }, key: 'KEY-' + PASSPHRASE },
    });
  const leaks = (text: string) => [...forms(PASSWORD), ...forms(PASSPHRASE), ...forms(AUTH_DATA)].filter((form) => text.includes(form));

  it('redacts every secret in JSON.stringify, util.inspect and debug formats, keeping the rest', () => {
    const resolved = options();
    const text = `${JSON.stringify(resolved)}\n${inspect(resolved, { depth: 10 })}\n${format('%o %O %j', resolved, resolved, resolved)}`;
    expect(leaks(text)).toEqual([]);
    expect(JSON.parse(JSON.stringify(resolved))).toMatchObject({
      username: 'alice',
      host: 'broker.example',
      password: '<redacted>',
      wsOptions: { headers: { Authorization: '<redacted>', 'X-Trace': 'kept' }, key: '<redacted>' },
      properties: { authenticationMethod: 'TOKEN', authenticationData: '<redacted>' },
      authPacket: { properties: { authenticationData: '<redacted>' } },
    });
  });

  it('keeps the values readable by code, and a spread copy is a plain object with them', () => {
    const resolved = options();
    expect(resolved.password).toBe(PASSWORD);
    expect(resolved.properties?.authenticationData?.toString()).toBe(AUTH_DATA);
    const copy = { ...resolved };
    expect(copy.password).toBe(PASSWORD);
    expect(Object.keys(resolved)).not.toContain('toJSON');
  });
});
