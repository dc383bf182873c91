// wss:// against aedes behind a TLS WebSocket server with a self-signed certificate made here by
// openssl (skipped when openssl is missing): verification is on by default and can be satisfied.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type ClientOptions, type MqttClient } from '../../lib/index.js';
import { describeWithOpenssl, removeCerts, testCerts, type TestCerts } from '../helpers/certs.js';
import { HANG_DEADLINE_MS, once } from '../helpers/wait.js';
import { startWsBroker, type WsBroker } from './ws-broker.js';

const QUICK: ClientOptions = { reconnectPeriod: 0, connectTimeout: HANG_DEADLINE_MS, endTimeout: 3000 };

function selfSigned(): { key: string; cert: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'rxmqtt-wss-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
      { stdio: 'ignore', timeout: HANG_DEADLINE_MS },
    );
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const tls = selfSigned();
const describeTls = tls ? describe : describe.skip;

describeTls('wss:// transport (self-signed certificate)', () => {
  let server: WsBroker | undefined;
  let clients: MqttClient[] = [];

  beforeEach(async () => {
    server = await startWsBroker({ tls });
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.endAsync(true);
    await server?.close();
    server = undefined;
  });

  function client(options: ClientOptions = {}) {
    const c = connect(`wss://127.0.0.1:${server!.port}/mqtt`, { ...QUICK, ...options });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  }

  it('refuses the certificate by default with an error carrying its code', async () => {
    const c = client();
    const [error] = await once<[Error & { kind?: string; code?: string; errno?: string }]>(c, 'error');
    expect(error.kind).toBe('ERR_TRANSPORT');
    expect(error.errno).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(server!.handshakes).toEqual([]);
  });

  it('connects when the certificate is given as ca', async () => {
    const c = client({ ca: tls!.cert });
    await once(c, 'connect');
    await c.publishAsync('wss/t', 'x', { qos: 1 });
    expect(server!.handshakes).toEqual([{ url: '/mqtt', protocol: 'mqtt' }]);
  });

  it('connects with rejectUnauthorized: false', async () => {
    await once(client({ rejectUnauthorized: false }), 'connect');
  });

  it('lets wsOptions win over the TLS options', async () => {
    await once(client({ rejectUnauthorized: true, wsOptions: { ca: tls!.cert } }), 'connect');
  });
});

describeWithOpenssl('wss:// transport (test CA, client certificates)', () => {
  let certs: TestCerts;
  let server: WsBroker | undefined;
  let clients: MqttClient[] = [];

  beforeAll(async () => {
    certs = await testCerts();
  });
  afterAll(() => removeCerts());
  beforeEach(async () => {
    server = await startWsBroker({ tls: { key: certs.server.key, cert: certs.server.cert, ca: certs.ca.cert, requestCert: true, rejectUnauthorized: true } });
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.endAsync(true);
    await server?.close();
    server = undefined;
  });

  function client(options: ClientOptions = {}) {
    const c = connect(`wss://localhost:${server!.port}/mqtt`, { ...QUICK, ca: certs.ca.cert, ...options });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  }

  it('presents a client certificate with a passphrase-protected key from the client options', async () => {
    const { key, cert, passphrase } = certs.clientEncrypted;
    const c = client({ key, cert, passphrase });
    await once(c, 'connect');
    await c.publishAsync('wss/cert', 'x', { qos: 1 });
    expect(server!.handshakes).toEqual([{ url: '/mqtt', protocol: 'mqtt' }]);
  });

  it('is refused without a client certificate, with the TLS alert as the error code', async () => {
    const [error] = await once<[Error & { kind?: string; code?: string; errno?: string }]>(client(), 'error');
    expect(error.kind).toBe('ERR_TRANSPORT');
    expect(error.errno).toMatch(/^(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED|ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE|ECONNRESET)$/);
    expect(server!.handshakes).toEqual([]);
  });
});
