/**
 * The IO side of MQTT 5 enhanced authentication: hands the session's challenges to `handleAuth`
 * and feeds its answers back, and holds the one pending `reauthenticate()` call. The protocol
 * checks (methods, reason codes, whose turn it is) live in the pure `session/auth.ts`.
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import type { IAuthPacket } from '../protocol/codec.js';
import { AuthError, TimeoutError, type MqttError } from '../errors.js';
import type { Logger } from '../log.js';
import type { AuthAnswer, HandleAuth } from '../options/handlers.js';
import type { AuthProperties, SessionInput } from '../session/types.js';

/** DISCONNECT reason codes a client may send (3.14.2.1: 0x87 and 0x8C are the Server's). */
const UNSPECIFIED_ERROR = 0x80;
const IMPLEMENTATION_SPECIFIC_ERROR = 0x83;

export interface AuthFlowHost {
  step(input: SessionInput): void;
  /** The app's `handleAuth`, looked up per challenge (the facade's method may be overridden later). */
  handler(): HandleAuth | undefined;
  /** Changes with every transport: an answer for an older one is dropped. */
  generation(): number;
  log: Logger;
  /** The clock of the `reauthTimeout` timer (the client's `scheduler` option in tests). */
  scheduler: SchedulerLike;
  /** Milliseconds a re-authentication may take: `reauthTimeout`, else `connectTimeout`. */
  reauthTimeout: number;
}

export interface AuthSettler {
  resolve(packet: IAuthPacket): void;
  reject(error: Error): void;
}

export class AuthFlow {
  /** The `reauthenticate()` call waiting for the server's AUTH 0x00 (Success). */
  private pending?: AuthSettler;
  /** Its `reauthTimeout` timer; the session gets a 'reauthTimedOut' input when it fires. */
  private timer?: Subscription;

  constructor(private readonly host: AuthFlowHost) {}

  /**
   * Sends AUTH 0x19 (Re-authenticate). One at a time: a call while another is under way fails at
   * once with an AuthError rather than waiting, so that a caller never answers a challenge that was
   * meant for someone else's exchange.
   */
  reauthenticate(properties: AuthProperties | undefined, settler: AuthSettler): void {
    if (this.pending) {
      const error = new AuthError('A re-authentication is already in progress');
      queueMicrotask(() => settler.reject(error));
      return;
    }
    this.pending = settler;
    const ms = this.host.reauthTimeout;
    // The timer lives here, not in the pure session: it only learns that the time is up.
    this.timer = this.host.scheduler.schedule(() => {
      this.timer = undefined;
      const error = new TimeoutError('ERR_REAUTH_TIMEOUT', `No end to the re-authentication (AUTH 0x00) within ${ms} ms`);
      this.host.log('re-authentication timed out after %d ms', ms);
      this.host.step({ type: 'reauthTimedOut', error });
    }, ms);
    this.host.step({ type: 'reauthenticate', properties });
  }

  /** The server sent AUTH 0x18: ask `handleAuth`, once, and answer on the same transport only. */
  challenge(packet: IAuthPacket): void {
    const handler = this.host.handler();
    if (!handler) {
      // Fail now rather than leave the broker waiting until connectTimeout: nobody can answer.
      const message = 'The broker sent an authentication challenge (AUTH 0x18) but no handleAuth is configured';
      return this.host.step({ type: 'authAbort', error: new AuthError(message, { reasonCode: IMPLEMENTATION_SPECIFIC_ERROR }) });
    }
    this.host.log('authentication challenge received');
    const generation = this.host.generation();
    let answered = false;
    const callback = (error?: Error | null, answer?: AuthAnswer): void => {
      if (answered || generation !== this.host.generation()) return;
      answered = true;
      if (error) {
        // The handler's error is the cause; the message is ours, so it never echoes auth data.
        const failure = new AuthError('handleAuth refused the authentication challenge', { reasonCode: UNSPECIFIED_ERROR, cause: error });
        return this.host.step({ type: 'authAbort', error: failure });
      }
      this.host.step({ type: 'authContinue', properties: answerProperties(answer) });
    };
    try {
      handler(packet, callback);
    } catch (error) {
      callback(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** AUTH 0x00 (Success) ended the re-authentication. */
  succeeded(packet: IAuthPacket): void {
    this.take()?.resolve(packet);
  }

  /** The re-authentication could not start (not connected, no method...), `handleAuth` failed it, or it timed out. */
  failed(error: AuthError | TimeoutError): void {
    this.take()?.reject(error);
  }

  /** The connection is gone (DISCONNECT from the server, protocol error, socket closed, end()). */
  closed(cause: Error): void {
    const pending = this.take();
    if (!pending) return;
    const reasonCode = (cause as MqttError).reasonCode;
    pending.reject(new AuthError(`Re-authentication interrupted: ${cause.message}`, { reasonCode, cause }));
  }

  private take(): AuthSettler | undefined {
    const pending = this.pending;
    this.pending = undefined;
    this.timer?.unsubscribe();
    this.timer = undefined;
    return pending;
  }
}

/** The AUTH properties of a `handleAuth` answer; the session sets the method (the CONNECT's). */
function answerProperties(answer: AuthAnswer | undefined): AuthProperties | undefined {
  if (!answer?.properties) return undefined;
  const { authenticationMethod: _ignored, ...properties } = answer.properties;
  return properties;
}
