// rxmqtt against mosquitto's TLS listeners (one plain TLS, one requiring a client certificate)
// with certificates openssl makes for this file, and against its websockets listener when this
// mosquitto was built with libwebsockets (Debian's 2.0.11 is).
import { readFileSync } from 'node:fs';
import { filter, firstValueFrom, take, timeout } from 'rxjs';
import type { MqttClient, MqttMessage } from '../../lib/index.js';
import { describeWithOpenssl, opensslPath, removeCerts, testCerts, type TestCerts } from '../helpers/certs.js';
import { describeMosquitto, mosquittoPath, startMosquitto, type MosquittoHandle } from '../helpers/mosquitto.js';
import { useClients } from '../helpers/clients.js';
import { collect, HANG_DEADLINE_MS } from '../helpers/wait.js';


/** Whether this mosquitto has websockets listeners: its binary then carries libwebsockets. */
function mosquittoHasWebsockets(): boolean {
  const binary = mosquittoPath();
  try {
    return binary !== undefined && readFileSync(binary).includes('lws_create_context');
  } catch {
    return false;
  }
}

const websockets = mosquittoHasWebsockets();
if (mosquittoPath() && !websockets) console.warn('mosquitto was built without websockets support: skipping the ws:// interop tests');
const itWs = websockets ? it : it.skip;
const describeSuite = opensslPath() ? describeMosquitto : describeWithOpenssl;

describeSuite('rxmqtt over TLS and WebSockets against mosquitto', () => {
  let certs: TestCerts;
  let broker: MosquittoHandle;
  let tlsPort: number;
  let clientCertPort: number;
  let wsPort: number;
  let wssPort: number;
  let testNumber = 0;
  let prefix = '';

  beforeAll(async () => {
    certs = await testCerts();
    const tlsFiles = [`cafile ${certs.ca.certFile}`, `certfile ${certs.server.certFile}`, `keyfile ${certs.server.keyFile}`];
    broker = await startMosquitto({
      extraPorts: websockets ? 4 : 2,
      extraConfig: ([tls, clientCert, ws, wss]) => [
        `listener ${tls} 127.0.0.1`,
        ...tlsFiles,
        `listener ${clientCert} 127.0.0.1`,
        ...tlsFiles,
        'require_certificate true',
        ...(ws === undefined ? [] : [`listener ${ws} 127.0.0.1`, 'protocol websockets']),
        ...(wss === undefined ? [] : [`listener ${wss} 127.0.0.1`, 'protocol websockets', ...tlsFiles]),
      ],
    });
    [tlsPort, clientCertPort, wsPort, wssPort] = broker.extraPorts;
  });
  afterAll(async () => {
    await broker?.stop();
    await removeCerts();
  });
  beforeEach(() => {
    prefix = `rxmqtt/${process.pid}/tls/${++testNumber}`;
  });
  const { client, connected, failure } = useClients();


  /** Subscribes `receiver` to the test's topic, publishes from `sender`, returns what arrived. */
  async function roundTrip(receiver: MqttClient, sender: MqttClient, payload: string): Promise<MqttMessage> {
    const topic = `${prefix}/t`;
    const suback = firstValueFrom(receiver.packetsIn$.pipe(filter((p) => p.cmd === 'suback'), take(1), timeout(HANG_DEADLINE_MS)));
    const message = collect(receiver.topic(topic, { qos: 1 }), 1);
    await suback;
    await sender.publishAsync(topic, payload, { qos: 1 });
    return (await message)[0];
  }

  it('round-trips a QoS 1 message over mqtts://localhost with the test CA', async () => {
    const c = await connected(client(`mqtts://localhost:${tlsPort}`, { ca: certs.ca.cert }));
    const message = await roundTrip(c, c, 'over TLS');
    expect([message.payload.toString(), message.qos]).toEqual(['over TLS', 1]);
  });

  it('round-trips over MQTT 5 on mqtts://127.0.0.1', async () => {
    const c = await connected(client(`mqtts://127.0.0.1:${tlsPort}`, { ca: certs.ca.cert, protocolVersion: 5 }));
    expect((await roundTrip(c, c, 'v5 over TLS')).payload.toString()).toBe('v5 over TLS');
  });

  it('refuses the broker when the CA it trusts did not sign its certificate', async () => {
    for (const ca of [certs.untrusted.cert, undefined]) {
      const error = await failure(client(`mqtts://127.0.0.1:${tlsPort}`, { ca }));
      expect(error.kind).toBe('ERR_TRANSPORT');
      expect(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']).toContain(error.errno);
    }
  });

  it('connects to a require_certificate listener with a client certificate (passphrase-protected key)', async () => {
    const { key, cert, passphrase } = certs.clientEncrypted;
    const c = await connected(client(`mqtts://localhost:${clientCertPort}`, { ca: certs.ca.cert, key, cert, passphrase }));
    expect((await roundTrip(c, c, 'with a client certificate')).payload.toString()).toBe('with a client certificate');
  });

  it('is refused by a require_certificate listener without a client certificate', async () => {
    const error = await failure(client(`mqtts://localhost:${clientCertPort}`, { ca: certs.ca.cert }));
    expect(error.kind).toBe('ERR_TRANSPORT');
    expect(error.errno).toMatch(/^(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED|ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE|ECONNRESET)$/);
  });

  itWs('round-trips between the websockets listener and the TLS one, over MQTT 3.1.1 and 5', async () => {
    for (const protocolVersion of [4, 5] as const) {
      const ws = await connected(client(`ws://127.0.0.1:${wsPort}`, { protocolVersion }));
      const tls = await connected(client(`mqtts://localhost:${tlsPort}`, { ca: certs.ca.cert, protocolVersion }));
      expect((await roundTrip(ws, tls, `tls to ws v${protocolVersion}`)).payload.toString()).toBe(`tls to ws v${protocolVersion}`);
      expect((await roundTrip(tls, ws, `ws to tls v${protocolVersion}`)).payload.toString()).toBe(`ws to tls v${protocolVersion}`);
      prefix += '/again';
    }
  });

  itWs('round-trips over wss:// to a websockets listener with TLS, verifying it with the test CA', async () => {
    const c = await connected(client(`wss://localhost:${wssPort}/mqtt`, { ca: certs.ca.cert }));
    expect((await roundTrip(c, c, 'over wss')).payload.toString()).toBe('over wss');
    const error = await failure(client(`wss://localhost:${wssPort}/mqtt`, { ca: certs.untrusted.cert }));
    expect(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']).toContain(error.errno);
  });

  itWs('speaks MQTT 3.1 over the mqttv3.1 sub-protocol to the websockets listener', async () => {
    const c = await connected(client(`ws://127.0.0.1:${wsPort}/mqtt`, { protocolVersion: 3 }));
    expect((await roundTrip(c, c, 'v3.1 over ws')).payload.toString()).toBe('v3.1 over ws');
  });
});
