/**
 * MQTT 5 enhanced authentication (4.12, 3.15 AUTH): the challenge/response loop between a CONNECT
 * that names an Authentication Method and its CONNACK, and re-authentication on a live connection.
 *
 * The session only checks the exchange and builds the packets; what to answer a challenge with is
 * the app's business (`handleAuth`), reached through an 'authChallenge' output:
 *
 * @example
 * // CONNECT { authenticationMethod: 'SCRAM-SHA-1', authenticationData: clientFirst } was sent
 * session.step({ type: 'packet', packet: { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM-SHA-1', authenticationData: serverFirst } } });
 * // [{ type: 'authChallenge', packet }]
 * session.step({ type: 'authContinue', properties: { authenticationData: clientFinal } });
 * // [{ type: 'send', packet: { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM-SHA-1', authenticationData: clientFinal } } }]
 */
import type { IAuthPacket, IConnackPacket } from '../protocol/codec.js';
import { AuthError, type TimeoutError } from '../errors.js';
import { connectionLost, IDLE_EXCHANGE, protocolError, REASON } from './state.js';
import type { SessionState } from './state.js';
import type { AuthProperties, SessionOutput } from './types.js';

/** Authenticate Reason Codes (3.15.2.1). */
export const AUTH_REASON = {
  /** Sent by the Server only. */
  success: 0x00,
  /** Sent by the Client or the Server. */
  continue: 0x18,
  /** Sent by the Client only. */
  reauthenticate: 0x19,
} as const;

/** Who speaks next in an exchange: the server, or the app (its `handleAuth` holds a challenge). */
export type AuthTurn = 'server' | 'client';

export type AuthExchange =
  /** No exchange under way: the connection is up, or the CONNECT named no Authentication Method. */
  | { phase: 'idle' }
  /** CONNECT with an Authentication Method sent, CONNACK not received yet. */
  | { phase: 'connect'; turn: AuthTurn }
  /** AUTH 0x19 sent on a live connection, AUTH 0x00 (Success) not received yet. */
  | { phase: 'reauth'; turn: AuthTurn };

export interface AuthState {
  /** The Authentication Method of this connection's CONNECT; undefined: no enhanced authentication. */
  method: string | undefined;
  exchange: AuthExchange;
}

/** A CONNECT is going out: its Authentication Method (if any) rules every AUTH of this connection. */
export function startAuth(state: SessionState): void {
  const method = state.version === 5 ? state.options.properties?.authenticationMethod : undefined;
  state.auth = { method, exchange: method === undefined ? IDLE_EXCHANGE : { phase: 'connect', turn: 'server' } };
}

/** An AUTH packet from the server, before or after CONNACK. */
export function handleAuthPacket(state: SessionState, packet: IAuthPacket, out: SessionOutput[]): void {
  const { method, exchange } = state.auth;
  // The messages of the faults MQTT.js also detects are its own.
  if (state.version !== 5) return protocolError(state, out, `Protocol error: Auth packets are only supported in MQTT 5. Your version:${state.version}`, REASON.protocolError);
  // [MQTT-4.12.0-6] no Authentication Method in the CONNECT: the Server MUST NOT send AUTH.
  if (method === undefined) return protocolError(state, out, 'Protocol error: Auth packet received but enhanced authentication was not requested', REASON.protocolError);
  const code = packet.reasonCode ?? AUTH_REASON.success; // 3.15.2.1: an absent Reason Code means 0x00
  // [MQTT-3.15.2-1] a sender MUST use an Authenticate Reason Code; 0x19 is the Client's alone.
  if (code !== AUTH_REASON.success && code !== AUTH_REASON.continue) {
    const reason = code === AUTH_REASON.reauthenticate ? REASON.protocolError : REASON.malformedPacket;
    return protocolError(state, out, `Protocol error: Auth packet reason code ${code} is not one a broker may send`, reason);
  }
  // [MQTT-4.12.0-5] every AUTH carries the CONNECT's Authentication Method (omitting it is a
  // Protocol Error, 3.15.2.2.2). Only compared, never logged or put in a message (MQTT.js's
  // message names the method: this one keeps rxmqtt's wording).
  if (packet.properties?.authenticationMethod !== method) {
    return protocolError(state, out, 'AUTH with a different Authentication Method than the CONNECT', REASON.protocolError);
  }
  if (exchange.phase === 'idle') return protocolError(state, out, 'AUTH outside an authentication exchange', REASON.protocolError);
  if (exchange.turn === 'client') return protocolError(state, out, 'AUTH before the client answered the previous one', REASON.protocolError);
  if (code === AUTH_REASON.continue) {
    // [MQTT-4.12.0-2] more information needed: the app answers with AUTH 0x18 [MQTT-4.12.0-3].
    exchange.turn = 'client';
    out.push({ type: 'authChallenge', packet });
    return;
  }
  // 4.12: the connect loop ends with CONNACK, so AUTH 0x00 only ends a re-authentication (4.12.1).
  if (exchange.phase === 'connect') return protocolError(state, out, 'AUTH Success before CONNACK', REASON.protocolError);
  state.auth.exchange = IDLE_EXCHANGE;
  out.push({ type: 'reauthenticated', packet });
}

/** The app answered a challenge: AUTH 0x18 with the CONNECT's method [MQTT-4.12.0-3] [MQTT-4.12.0-5]. */
export function continueAuth(state: SessionState, properties: AuthProperties | undefined, out: SessionOutput[]): void {
  const { exchange } = state.auth;
  // An answer for a connection that is gone (or a second answer to one challenge) has nobody to go to.
  if (state.status === 'disconnected' || exchange.phase === 'idle' || exchange.turn !== 'client') return;
  exchange.turn = 'server';
  out.push({ type: 'send', packet: authPacket(state, AUTH_REASON.continue, properties) });
}

/**
 * The app cannot answer a challenge. 4.12: "The Client can close the connection at any point in
 * this process. It MAY send a DISCONNECT packet before doing so"; a failed re-authentication SHOULD
 * send one and MUST close [MQTT-4.12.1-2]. DISCONNECT is allowed before CONNACK [MQTT-3.1.2-30].
 */
export function abortAuth(state: SessionState, error: AuthError, out: SessionOutput[]): void {
  const { exchange } = state.auth;
  if (state.status === 'disconnected' || exchange.phase === 'idle' || exchange.turn !== 'client') return;
  out.push({ type: 'send', packet: { cmd: 'disconnect', reasonCode: error.reasonCode ?? DISCONNECT_UNSPECIFIED } });
  out.push({ type: 'authFailed', error });
  state.auth.exchange = IDLE_EXCHANGE;
  connectionLost(state);
}

/**
 * Re-authentication (4.12.1): AUTH 0x19 with the CONNECT's method [MQTT-4.12.1-1], only after
 * CONNACK and only if the CONNECT named a method [MQTT-4.12.0-7]. One at a time: a second request
 * while one is under way is refused (the server could not tell two exchanges apart). Other traffic
 * goes on meanwhile, under the previous authentication (4.12.1).
 */
export function reauthenticate(state: SessionState, properties: AuthProperties | undefined, out: SessionOutput[]): void {
  const refusal = reauthRefusal(state);
  if (refusal) {
    out.push({ type: 'reauthRefused', error: new AuthError(refusal) });
    return;
  }
  state.auth.exchange = { phase: 'reauth', turn: 'server' };
  out.push({ type: 'send', packet: authPacket(state, AUTH_REASON.reauthenticate, properties) });
}

/**
 * The server has not ended a re-authentication within `reauthTimeout` (the shell's timer: the
 * session reads no clock). [MQTT-4.12.1-2] a failed re-authentication SHOULD send DISCONNECT and
 * MUST close the Network Connection. The reason is 0x80 (Unspecified error): 0x87 (Not authorized)
 * and 0x8C (Bad authentication method) would fit but are Server-only DISCONNECT codes (3.14.2.1),
 * and nothing says the broker refused us, only that it did not answer. A timer that fires after
 * the exchange ended (or on a connection already gone) is ignored.
 */
export function reauthTimedOut(state: SessionState, error: TimeoutError, out: SessionOutput[]): void {
  if (state.status === 'disconnected' || state.auth.exchange.phase !== 'reauth') return;
  out.push({ type: 'send', packet: { cmd: 'disconnect', reasonCode: DISCONNECT_UNSPECIFIED } });
  out.push({ type: 'authFailed', error });
  state.auth.exchange = IDLE_EXCHANGE;
  connectionLost(state);
}

function reauthRefusal(state: SessionState): string | undefined {
  if (state.version !== 5) return 'Re-authentication needs MQTT 5 (protocolVersion 5)';
  if (state.status !== 'connected') return 'Re-authentication needs a connected client';
  if (state.auth.method === undefined) return 'Re-authentication needs an Authentication Method in the CONNECT properties';
  if (state.auth.exchange.phase !== 'idle') return 'A re-authentication is already in progress';
  return undefined;
}

/**
 * CONNACK ends the connect loop. [MQTT-4.12.0-5] a successful CONNACK carries the CONNECT's method
 * and [MQTT-4.12.0-6] none when the CONNECT had none. Leniency: a CONNACK that omits it is accepted
 * (a missing echo does not make the authentication doubtful); a different method is an error.
 * Returns false when the CONNACK was rejected as a protocol error.
 */
export function authConnack(state: SessionState, packet: IConnackPacket, out: SessionOutput[]): boolean {
  const method = state.auth.method;
  state.auth.exchange = IDLE_EXCHANGE;
  const echoed = state.version === 5 ? packet.properties?.authenticationMethod : undefined;
  if (echoed === undefined || echoed === method) return true;
  protocolError(state, out, 'CONNACK with another Authentication Method than the CONNECT', REASON.protocolError);
  return false;
}

/** 0x80 (Unspecified error): 0x87 and 0x8C are Server-only DISCONNECT reason codes (3.14.2.1). */
export const DISCONNECT_UNSPECIFIED = 0x80;

function authPacket(state: SessionState, reasonCode: number, properties: AuthProperties | undefined): IAuthPacket {
  return { cmd: 'auth', reasonCode, properties: { ...properties, authenticationMethod: state.auth.method } };
}
