/**
 * The `beforeConnect` hook: awaited before every connect attempt, it may hand back fresh
 * credentials (a refreshed token) or another broker URL for that attempt. This file calls it and
 * turns its answer, or its failure, into plain data for `connection.ts`. It never rejects.
 */
import { InvalidArgumentError, MqttError } from '../errors.js';
import { serverOfUrl } from '../options/broker-url.js';
import type { ServerAddress } from '../options/client-options.js';

/** What the `beforeConnect` hook is told about the attempt it runs before. */
export interface BeforeConnectContext {
  /** The attempt about to be made: 1 for the first connect, then one more per attempt. */
  attempt: number;
  /** Why the previous connection or attempt ended (undefined before the first). */
  cause?: Error;
}

/** What the hook may change for this attempt and the ones after it. */
export interface BeforeConnectResult {
  /** The User Name to connect with. */
  username?: string;
  /** The Password to connect with. */
  password?: string | Buffer;
  /** Another broker, `mqtt://host:port` (TCP/TLS transports of `connect()` only); its credentials apply too. */
  url?: string;
}

/**
 * The `beforeConnect` option: awaited before every connect attempt, the first one too. It may
 * return (or resolve with) new credentials or another broker for this attempt and the next ones,
 * or nothing. A throw, a rejection or an unusable answer fails the attempt with an `MqttError` of
 * kind 'ERR_BEFORE_CONNECT' (the hook's error is its `cause`), retried per the reconnect policy.
 */
export type BeforeConnect = (
  context: BeforeConnectContext,
) => Promise<BeforeConnectResult | void | undefined> | BeforeConnectResult | void | undefined;

/** The hook's answer as the connection uses it. */
export interface ConnectTarget {
  username?: string;
  password?: string | Buffer;
  server?: ServerAddress;
}

/**
 * Calls `hook` and passes its answer to `done`, or its failure to `failed` as an
 * `ERR_BEFORE_CONNECT` error (a throw, a rejection, or an answer that is not usable). A hook that
 * returns a plain value is answered synchronously.
 */
export function runBeforeConnect(
  hook: BeforeConnect,
  context: BeforeConnectContext,
  done: (target: ConnectTarget) => void,
  failed: (error: MqttError) => void,
): void {
  let answer: ReturnType<BeforeConnect>;
  try {
    answer = hook(context);
  } catch (error) {
    return failed(hookError(error));
  }
  if (!isThenable(answer)) return settle(answer, done, failed);
  // Promise.resolve: a thenable whose then() throws becomes a rejection, not a throw.
  Promise.resolve(answer).then(
    (value) => settle(value, done, failed),
    (error: unknown) => failed(hookError(error)),
  );
}

function settle(answer: unknown, done: (target: ConnectTarget) => void, failed: (error: MqttError) => void): void {
  let target: ConnectTarget;
  try {
    target = toConnectTarget(answer);
  } catch (error) {
    return failed(hookError(error));
  }
  done(target);
}

/** Checks the answer; explicit username/password win over those in the URL. */
export function toConnectTarget(answer: unknown): ConnectTarget {
  if (answer === undefined || answer === null) return {};
  if (typeof answer !== 'object') throw new InvalidArgumentError('beforeConnect must resolve to an object or nothing');
  const { username, password, url } = answer as BeforeConnectResult;
  if (username !== undefined && typeof username !== 'string') throw new InvalidArgumentError('beforeConnect username must be a string');
  if (password !== undefined && typeof password !== 'string' && !Buffer.isBuffer(password)) {
    throw new InvalidArgumentError('beforeConnect password must be a string or a Buffer');
  }
  if (url !== undefined && typeof url !== 'string') throw new InvalidArgumentError('beforeConnect url must be a string');
  const target: ConnectTarget = {};
  if (url !== undefined) Object.assign(target, serverOfUrl(url));
  if (username !== undefined) target.username = username;
  if (password !== undefined) target.password = password;
  return target;
}

/**
 * The hook's failure as an MqttError. Its message is ours alone: the hook's own error (which may
 * quote a token) stays in `cause`, out of our logs and messages.
 */
function hookError(error: unknown): MqttError {
  return new MqttError('ERR_BEFORE_CONNECT', 'The beforeConnect hook failed', { cause: error });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
