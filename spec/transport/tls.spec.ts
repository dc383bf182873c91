// mqtts:// against aedes behind a TLS server, with a CA and certificates openssl makes for this
// file (spec/helpers/certs.ts): verification on by default, SNI, ALPN, client certificates,
// encrypted keys, and a refused certificate retried per the reconnect policy.
import { filter, firstValueFrom, fromEvent, take, timeout } from 'rxjs';
import type { TlsOptions } from 'node:tls';
import { describeWithOpenssl, removeCerts, testCerts, type TestCerts } from '../helpers/certs.js';
import { useClients, type TransportFailure } from '../helpers/clients.js';
import { collect, HANG_DEADLINE_MS } from '../helpers/wait.js';
import { startTlsBroker, type TlsBroker } from './tls-broker.js';

describeWithOpenssl('mqtts:// transport', () => {
  let certs: TestCerts;
  let server: TlsBroker | undefined;

  beforeAll(async () => {
    certs = await testCerts();
  });
  afterAll(() => removeCerts());
  const { client, connected, failure } = useClients();
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(options: TlsOptions = {}) {
    server = await startTlsBroker({ key: certs.server.key, cert: certs.server.cert, ...options });
    return server;
  }

  describe('server verification', () => {
    it('connects to mqtts://localhost with the CA, sends SNI "localhost" and round-trips a QoS 1 message', async () => {
      const { port, handshakes } = await start();
      const c = await connected(client(`mqtts://localhost:${port}`, { ca: certs.ca.cert }));
      const suback = firstValueFrom(c.packetsIn$.pipe(filter((p) => p.cmd === 'suback'), take(1), timeout(HANG_DEADLINE_MS)));
      const message = collect(c.topic('tls/t', { qos: 1 }), 1);
      await suback;
      await c.publishAsync('tls/t', 'over TLS', { qos: 1 });
      expect((await message)[0].payload.toString()).toBe('over TLS');
      expect(handshakes).toEqual([{ servername: 'localhost', alpnProtocol: false, authorized: false }]);
    });

    it('connects to mqtts://127.0.0.1 (certificate SAN IP) and sends no SNI for an IP address', async () => {
      const { port, handshakes } = await start();
      await connected(client(`mqtts://127.0.0.1:${port}`, { ca: certs.ca.cert }));
      expect(handshakes.map((h) => h.servername)).toEqual([false]);
    });

    it('accepts tls:// and ssl:// as mqtts://', async () => {
      const { port } = await start();
      await connected(client(`tls://127.0.0.1:${port}`, { ca: certs.ca.cert }));
      await connected(client(`ssl://127.0.0.1:${port}`, { ca: certs.ca.cert }));
    });

    it('refuses a certificate no trusted CA signed, without sending CONNECT, and retries per the reconnect policy', async () => {
      const { port, handshakes, mqttClients } = await start({ key: certs.untrusted.key, cert: certs.untrusted.cert });
      const period = 40;
      const c = client(`mqtts://127.0.0.1:${port}`, { ca: certs.ca.cert, reconnectPeriod: period });
      const sent: string[] = [];
      c.on('packetsend', (packet: { cmd: string }) => sent.push(packet.cmd));
      const at: number[] = [];
      const errors = await collect(fromEvent(c, 'error', (error: TransportFailure) => (at.push(Date.now()), error)), 3);
      for (const error of errors) {
        expect(error.kind).toBe('ERR_TRANSPORT');
        expect(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']).toContain(error.errno);
      }
      // Each retry waited reconnectPeriod (a few ms of timer slack allowed).
      expect(at[1] - at[0]).toBeGreaterThanOrEqual(period - 5);
      expect(at[2] - at[1]).toBeGreaterThanOrEqual(period - 5);
      expect(c.state.status).toMatch(/reconnecting|connecting/);
      expect(sent).toEqual([]);
      expect(handshakes).toEqual([]);
      expect(mqttClients).toEqual([]);
    });

    it('reports a certificate for another host name as ERR_TLS_CERT_ALTNAME_INVALID', async () => {
      const { port, mqttClients } = await start({ key: certs.wrongHost.key, cert: certs.wrongHost.cert });
      const error = await failure(client(`mqtts://localhost:${port}`, { ca: certs.ca.cert }));
      expect([error.kind, error.errno]).toEqual(['ERR_TRANSPORT', 'ERR_TLS_CERT_ALTNAME_INVALID']);
      expect(mqttClients).toEqual([]);
    });

    it('verifies the host name against an explicit servername, which it sends as SNI', async () => {
      const { port, handshakes } = await start({ key: certs.wrongHost.key, cert: certs.wrongHost.cert });
      await connected(client(`mqtts://127.0.0.1:${port}`, { ca: certs.ca.cert, servername: 'wrong.example' }));
      expect(handshakes.map((h) => h.servername)).toEqual(['wrong.example']);
    });

    it('connects to an untrusted server only with rejectUnauthorized: false set explicitly', async () => {
      const { port } = await start({ key: certs.untrusted.key, cert: certs.untrusted.cert });
      expect((await failure(client(`mqtts://127.0.0.1:${port}`, { rejectUnauthorized: undefined }))).errno).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
      await connected(client(`mqtts://127.0.0.1:${port}`, { rejectUnauthorized: false }));
    });
  });

  describe('client certificates', () => {
    const requireClientCert = (): TlsOptions => ({ ca: certs.ca.cert, requestCert: true, rejectUnauthorized: true });

    it('connects with key and cert when the server requires a client certificate', async () => {
      const { port, handshakes } = await start(requireClientCert());
      await connected(client(`mqtts://127.0.0.1:${port}`, { ca: certs.ca.cert, key: certs.client.key, cert: certs.client.cert }));
      expect(handshakes).toMatchObject([{ authorized: true, clientCN: 'rxmqtt test client' }]);
    });

    it('is refused without a client certificate, with the TLS alert as the error code', async () => {
      const { port, mqttClients } = await start(requireClientCert());
      const error = await failure(client(`mqtts://127.0.0.1:${port}`, { ca: certs.ca.cert }));
      expect(error.kind).toBe('ERR_TRANSPORT');
      // TLS 1.3 sends the alert after the client's handshake completed; TLS 1.2 during it.
      expect(error.errno).toMatch(/^(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED|ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE|ECONNRESET)$/);
      expect(mqttClients).toEqual([]);
    });

    it('decrypts a passphrase-protected key with passphrase', async () => {
      const { port, handshakes } = await start(requireClientCert());
      const { key, cert, passphrase } = certs.clientEncrypted;
      await connected(client(`mqtts://127.0.0.1:${port}`, { ca: certs.ca.cert, key, cert, passphrase }));
      expect(handshakes).toMatchObject([{ authorized: true }]);
    });

    it('fails the attempt with the OpenSSL code when the passphrase is wrong', async () => {
      const { port } = await start(requireClientCert());
      const { key, cert } = certs.clientEncrypted;
      const error = await failure(client(`mqtts://127.0.0.1:${port}`, { ca: certs.ca.cert, key, cert, passphrase: 'wrong' }));
      expect(error.kind).toBe('ERR_TRANSPORT');
      expect(error.errno).toMatch(/^ERR_OSSL_/);
    });
  });

  describe('ALPN', () => {
    const wire = (...names: string[]) => Buffer.concat(names.map((name) => Buffer.concat([Buffer.from([name.length]), Buffer.from(name)])));

    it.each([
      ['a string array', () => ['x-unknown', 'mqtt']],
      ['a Buffer in wire format', () => wire('x-unknown', 'mqtt')],
      ['a Uint8Array in wire format', () => new Uint8Array(wire('x-unknown', 'mqtt'))],
    ])('offers ALPNProtocols given as %s', async (_name, protocols) => {
      const { port, handshakes } = await start({ ALPNProtocols: ['mqtt'] });
      await connected(client(`mqtts://127.0.0.1:${port}`, { ca: certs.ca.cert, ALPNProtocols: protocols() }));
      expect(handshakes.map((h) => h.alpnProtocol)).toEqual(['mqtt']);
    });
  });
});
