/**
 * How the CLI fails: a class per kind of failure, each with its exit code, and the one function
 * that turns any error into the single line printed on stderr.
 */
import { ConnackError, connackReason, MqttError, SubackError, TransportError } from '../lib/index.js';

/** Exit codes, mosquitto_pub/mosquitto_sub style where one exists. */
export const EXIT = {
  ok: 0,
  /** Runtime failure: refused or lost connection, failed subscription or publish. */
  failure: 1,
  /** Bad flags (yargs validation or our own checks). */
  usage: 2,
  /** `sub -W` ran out before `-C` was reached (mosquitto_sub's MOSQ_ERR_TIMEOUT). */
  timeout: 27,
  /** A second SIGINT/SIGTERM while the first one was still disconnecting. */
  interrupted: 130,
} as const;

const SYSTEM_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  // A Unix socket (--unix, mqtt+unix://): the file is missing, or not ours to open.
  ENOENT: 'no such socket file',
  EACCES: 'permission denied',
  ECONNABORTED: 'connection aborted',
};

/**
 * The TLS verification failures (OpenSSL's codes, as Node reports them) that the user fixes by
 * trusting the broker's CA: mosquitto_pub says only "A TLS error occurred."; we say what to do.
 */
const UNTRUSTED_CERTIFICATE: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate not signed by a trusted CA',
  UNABLE_TO_GET_ISSUER_CERT: 'certificate issuer unknown',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate issuer unknown',
  CERT_UNTRUSTED: 'certificate not trusted',
  CERT_HAS_EXPIRED: 'certificate expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificate not issued for this host name',
};

const TRUST_HINT = 'give the CA that signed it with --cafile <file.pem>, or skip verification with --insecure (testing only)';

/** A failure the CLI reports as one line on stderr, exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad or conflicting flags: detected before anything touches the network. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = 'UsageError';
  }
}

/** Collapses whitespace (yargs reports some errors over several lines) into one line. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function withReason(message: string, reasonString: string | undefined): string {
  return oneLine(reasonString ? `${message}: ${reasonString}` : message);
}

/**
 * What a user needs to know about `error`, in one line: the broker's reason for a refusal, the
 * system error for an unreachable broker. Messages of rxmqtt errors never contain passwords.
 *
 * @param error Anything thrown or reported.
 * @param address `host:port` of the broker (or the path of its Unix socket), named when it cannot be reached.
 */
export function describeError(error: unknown, address?: string): string {
  // The library's messages are MQTT.js's ("Connection refused: Not authorized"); the CLI adds the
  // code, and the refused topic, which a user at a terminal needs more than a drop-in app does.
  if (error instanceof ConnackError) return withReason(`Connection refused: ${connackReason(error.code)} (code ${error.code})`, error.reasonString);
  if (error instanceof SubackError) return withReason(`Subscription to "${error.topic}" refused (code ${error.code})`, error.reasonString);
  if (error instanceof TransportError) {
    const where = address ? ` at ${address}` : '';
    const untrusted = error.errno ? UNTRUSTED_CERTIFICATE[error.errno] : undefined;
    if (untrusted) return oneLine(`The broker${where} was not trusted: ${untrusted} (${error.errno}): ${TRUST_HINT}`);
    const why = error.errno ? `${SYSTEM_ERRORS[error.errno] ?? 'error'} (${error.errno})` : error.message.replace(/^Connection failed: /, '');
    return oneLine(`Cannot reach the broker${where}: ${why}`);
  }
  if (error instanceof MqttError && error.reasonString) return oneLine(`${error.message}: ${error.reasonString}`);
  if (error instanceof Error) return oneLine(error.message);
  return oneLine(String(error));
}
