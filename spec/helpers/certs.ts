// Test certificates made at test-setup time with the openssl CLI, into a fresh temp dir: nothing
// here is committed, and every key dies with the test file (removeCerts) or the worker.
//
//   ca          the CA the tests trust
//   server      signed by ca, for 127.0.0.1 and localhost (SAN IP:127.0.0.1, DNS:localhost)
//   untrusted   self-signed, same names: no CA vouches for it
//   wrongHost   signed by ca, but only for wrong.example
//   client      a client certificate signed by ca; its key also exists encrypted (clientEncrypted)
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { HANG_DEADLINE_MS } from './wait.js';

const run = promisify(execFile);

export interface KeyPair {
  /** PEM text of the certificate and of its key. */
  cert: string;
  key: string;
  /** The same, as files (mosquitto reads files). */
  certFile: string;
  keyFile: string;
}

export interface TestCerts {
  dir: string;
  ca: KeyPair;
  server: KeyPair;
  untrusted: KeyPair;
  wrongHost: KeyPair;
  client: KeyPair;
  /** The client key encrypted with `passphrase` (AES-256), with the client certificate. */
  clientEncrypted: KeyPair & { passphrase: string };
}

/** The openssl executable on PATH (or /usr/bin/openssl), undefined when there is none. */
export function opensslPath(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  return [...dirs.map((dir) => join(dir, 'openssl')), '/usr/bin/openssl'].find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * `describe` when openssl is installed. Without it: a failing test on CI (CI=true must not skip
 * silently), else `describe.skip` with a note.
 */
export function describeWithOpenssl(name: string, fn: () => void): void {
  if (opensslPath()) describe(name, fn);
  else if (process.env.CI === 'true' || process.env.RXMQTT_REQUIRE_MOSQUITTO === '1') {
    describe(name, () => test('openssl is installed', () => void expect(opensslPath()).toBeDefined()));
  } else {
    console.warn(`openssl is not installed: skipping "${name}"`);
    describe.skip(name, fn);
  }
}

// Only turns a hung openssl into a failure: generous, a loaded machine can be slow to start it.
const OPENSSL_TIMEOUT_MS = HANG_DEADLINE_MS;
// P-256 keys: as good as RSA for these tests and generated in milliseconds.
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

let made: Promise<TestCerts> | undefined;

/** The certificates of this test file, made on the first call (later calls share them). */
export function testCerts(): Promise<TestCerts> {
  made ??= makeCerts();
  return made;
}

/** Deletes the temp dir with every key; the next testCerts() makes new ones. */
export async function removeCerts(): Promise<void> {
  const current = made;
  made = undefined;
  if (!current) return;
  const certs = await current.catch(() => undefined);
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
}

async function makeCerts(): Promise<TestCerts> {
  const openssl = opensslPath();
  if (!openssl) throw new Error('openssl not found on PATH nor at /usr/bin/openssl');
  const dir = mkdtempSync(join(tmpdir(), 'rxmqtt-certs-'));
  const ssl = (...args: string[]) => run(openssl, args, { cwd: dir, timeout: OPENSSL_TIMEOUT_MS });
  const file = (name: string) => join(dir, name);
  const pair = (name: string): KeyPair => ({
    cert: readFileSync(file(`${name}.pem`), 'utf8'),
    key: readFileSync(file(`${name}.key`), 'utf8'),
    certFile: file(`${name}.pem`),
    keyFile: file(`${name}.key`),
  });
  // req -extensions and x509 -extfile take sections of this file (OpenSSL 1.1.1 and 3.x alike).
  writeFileSync(
    file('ext.cnf'),
    [
      '[req]',
      'distinguished_name = dn',
      '[dn]',
      '[ca]',
      'basicConstraints = critical, CA:TRUE',
      'keyUsage = critical, keyCertSign, cRLSign',
      '[server]',
      'basicConstraints = CA:FALSE',
      'extendedKeyUsage = serverAuth',
      'subjectAltName = IP:127.0.0.1, DNS:localhost',
      '[wrong]',
      'basicConstraints = CA:FALSE',
      'extendedKeyUsage = serverAuth',
      'subjectAltName = DNS:wrong.example',
      '[client]',
      'basicConstraints = CA:FALSE',
      'extendedKeyUsage = clientAuth',
      '',
    ].join('\n'),
  );
  const selfSigned = (name: string, subject: string, section: string) =>
    ssl('req', '-x509', ...NEW_KEY, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', subject, '-config', 'ext.cnf', '-extensions', section);
  const signed = async (name: string, subject: string, section: string) => {
    await ssl('req', '-new', ...NEW_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject, '-config', 'ext.cnf');
    await ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', 'ext.cnf', '-extensions', section);
  };
  try {
    await selfSigned('ca', '/CN=rxmqtt test CA', 'ca');
    await selfSigned('untrusted', '/CN=localhost', 'server');
    await signed('server', '/CN=localhost', 'server');
    await signed('wrong', '/CN=wrong.example', 'wrong');
    await signed('client', '/CN=rxmqtt test client', 'client');
    const passphrase = 'correct horse battery staple';
    await ssl('pkey', '-in', 'client.key', '-aes256', '-passout', `pass:${passphrase}`, '-out', 'client-encrypted.key');
    const client = pair('client');
    return {
      dir,
      ca: pair('ca'),
      server: pair('server'),
      untrusted: pair('untrusted'),
      wrongHost: pair('wrong'),
      client,
      clientEncrypted: {
        ...client,
        key: readFileSync(file('client-encrypted.key'), 'utf8'),
        keyFile: file('client-encrypted.key'),
        passphrase,
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
