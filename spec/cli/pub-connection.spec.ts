/**
 * The BUILT `rxmqtt` with the pub and connection flags of issue 17, against aedes (and mosquitto
 * for its Unix socket listener): `-l` sends a blank line as an empty message, `--will-payload`,
 * `--unix`, and the messages of a failed Unix socket or an untrusted TLS certificate.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { describeWithOpenssl, removeCerts, testCerts, type KeyPair } from '../helpers/certs.js';
import { describeMosquitto, startMosquitto, type MosquittoHandle } from '../helpers/mosquitto.js';
import { CLI_SETUP_MS, inPool, useCliHarness } from '../helpers/cli-runner.js';

const h = useCliHarness();

describe('rxmqtt pub input and will', () => {
  it('sends a blank stdin line with -l as an empty message, as mosquitto_pub does', async () => {
    const sub = await h.subscribed('blank-lines', ['-t', 'blank/t', '-q', '1', '-C', '4', '-F', 'json']);
    const publisher = h.cli(['pub', ...h.at, '-t', 'blank/t', '-q', '1', '-l'], 'pipe');
    publisher.child.stdin!.end('first\n\nthird\n\n');
    expect(await publisher.exit()).toEqual({ code: 0, signal: null });
    expect(await sub.exit()).toEqual({ code: 0, signal: null });
    expect(sub.lines.map((line) => JSON.parse(line).payload)).toEqual(['first', '', 'third', '']);
  });

  it('takes --will-payload as the will message, which the broker sends when pub dies', async () => {
    const sub = await h.subscribed('will-watcher', ['-t', 'will/pub', '-C', '1', '-v']);
    const connected = h.brokerEvent('client', 'will-pub');
    // -l with an open stdin keeps pub connected until it is killed.
    const publisher = h.cli(['pub', ...h.at, '-i', 'will-pub', '-t', 'will/other', '-l', '--will-topic', 'will/pub', '--will-payload', 'pub died'], 'pipe');
    await connected;
    publisher.child.kill('SIGKILL');
    expect(await sub.exit()).toEqual({ code: 0, signal: null });
    expect(sub.lines).toEqual(['will/pub pub died']);
  });
});

describe('rxmqtt connection failures name what to check', () => {
  const where = mkdtempSync(join(tmpdir(), 'rxmqtt-cli-unix-'));
  const missing = join(where, 'no-broker.sock');
  afterAll(() => rmSync(where, { recursive: true, force: true }));

  it('names the socket path, not :1883, when a Unix socket cannot be reached (--unix and mqtt+unix://)', async () => {
    const runs = await inPool([['--unix', missing], ['-L', `mqtt+unix://${missing}`]], 2, async (flags) => {
      const run = h.cli(['pub', ...flags, '-t', 'x', '-m', 'y']);
      return { exit: await run.exit(), stderr: run.stderr };
    });
    for (const { exit, stderr } of runs) {
      expect(exit).toEqual({ code: 1, signal: null });
      expect(stderr).toBe(`rxmqtt: Cannot reach the broker at ${missing}: no such socket file (ENOENT)\n`);
    }
  });
});

describeWithOpenssl('rxmqtt and a broker certificate it does not trust', () => {
  const servers: TlsServer[] = [];
  /** A TLS server with `pair` as its certificate; the handshake is all the tests need. */
  const tlsServer = async (pair: KeyPair): Promise<number> => {
    const server = createTlsServer({ cert: pair.cert, key: pair.key }, (socket) => socket.destroy());
    server.on('tlsClientError', () => undefined);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  };

  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    await removeCerts();
  });

  it('suggests --cafile or --insecure for a self-signed certificate and for one issued to another host', async () => {
    const certs = await testCerts();
    const [selfSigned, otherHost] = await Promise.all([tlsServer(certs.untrusted), tlsServer(certs.wrongHost)]);
    const cases: Array<[string[], RegExp]> = [
      [['-L', `mqtts://127.0.0.1:${selfSigned}`], /self-signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\)/],
      [['-h', '127.0.0.1', '-p', String(otherHost), '--cafile', certs.ca.certFile], /not issued for this host name \(ERR_TLS_CERT_ALTNAME_INVALID\)/],
    ];
    const runs = await inPool(cases, 2, async ([flags]) => {
      const run = h.cli(['pub', ...flags, '-t', 'x', '-m', 'y']);
      return { exit: await run.exit(), stderr: run.stderr };
    });
    runs.forEach(({ exit, stderr }, index) => {
      expect(exit).toEqual({ code: 1, signal: null });
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(cases[index]![1]);
      expect(stderr).toMatch(/was not trusted: .*give the CA that signed it with --cafile <file\.pem>, or skip verification with --insecure/);
    });
  });
});

describeMosquitto('rxmqtt over a Unix socket (mosquitto listener)', () => {
  const where = mkdtempSync(join(tmpdir(), 'rxmqtt-cli-unix-'));
  const socketPath = join(where, 'mosquitto.sock');
  let mosquitto: MosquittoHandle;

  beforeAll(async () => {
    // mosquitto 2.0: `listener 0 <path>` listens on a Unix socket.
    mosquitto = await startMosquitto({ extraConfig: [`listener 0 ${socketPath}`] });
  }, CLI_SETUP_MS);

  afterAll(async () => {
    await mosquitto?.stop();
    rmSync(where, { recursive: true, force: true });
  });

  it('publishes with --unix and subscribes with -L mqtt+unix://', async () => {
    const sub = h.cli(['sub', '-L', `mqtt+unix://${socketPath}`, '-t', 'unix/t', '-C', '1', '-v', '-q', '1']);
    // mosquitto has no subscribe event to wait on: publish retained, so the order does not matter.
    const publisher = h.cli(['pub', '--unix', socketPath, '-t', 'unix/t', '-m', 'over the socket', '-q', '1', '-r']);
    expect(await publisher.exit()).toEqual({ code: 0, signal: null });
    expect(await sub.exit()).toEqual({ code: 0, signal: null });
    expect(sub.lines).toEqual(['unix/t over the socket']);
    // Leave no retained message behind.
    expect(await h.cli(['pub', '--unix', socketPath, '-t', 'unix/t', '-n', '-r']).exit()).toEqual({ code: 0, signal: null });
  });
});
