/**
 * The vocabulary of the lifecycle machine (lifecycle.ts): its states, inputs and effects, and the
 * projections the shell reads (the public `ConnectionState`, whether `end()` is under way,
 * whether a socket exists). Pure data and pure functions.
 *
 * Everything that used to be a side flag beside the status is data of the phase it belongs to:
 * `after` (what follows the close of this socket: the automatic policy, a `reconnect()`, an
 * `end()`), `dropped` (why we are closing it, reported once), `refusedForGood` (a CONNACK refusal
 * that retrying cannot fix), `sent` (the DISCONNECT of `end()` went out).
 */
import type { IConnackPacket, IDisconnectPacket } from '../protocol/codec.js';
import type { MqttError } from '../errors.js';
import { assertNever } from '../session/state.js';
import type { ClientEvent, ConnectionState } from './connection-state.js';

export { assertNever };

/** What `end()` asked the DISCONNECT to say. */
export interface EndRequest {
  reasonCode?: number;
  properties?: IDisconnectPacket['properties'];
}

/**
 * What follows when the current socket closes: the automatic policy (the backoff), a
 * `reconnect()` at once, an `end()` (then a start); `network`: the browser said the network is
 * gone, so wait for it to come back instead of retrying into the void; `check`: the page woke up
 * and a PINGREQ checks the socket, so a close before its PINGRESP reconnects at once (the sleep
 * killed the socket, not the broker: Chromium closes a frozen page's WebSockets).
 */
export type After = 'policy' | 'reconnect' | 'end' | 'endThenStart' | 'network' | 'check';

export type Phase =
  /** Created with `manualConnect` and not started yet. */
  | { status: 'idle' }
  /** Reading the `outgoingStore` before the first connect; the app still sees `shown`. */
  | { status: 'restoring'; shown: 'idle' | 'offline' | 'closed'; cause?: Error; resume: boolean }
  /** `transport` false: `beforeConnect` is still running, no socket exists yet. */
  | { status: 'connecting'; attempt: number; cause?: Error; transport: boolean; after: After; dropped?: Error; refusedForGood?: boolean }
  | { status: 'connected'; attempt: number; connack: IConnackPacket; after: After; dropped?: Error }
  /** `end()` waits for in-flight acks; `sent`: the DISCONNECT went out. */
  | { status: 'disconnecting'; attempt: number; sent: boolean; end: EndRequest; after: 'end' | 'endThenStart'; dropped?: Error }
  /** The socket closed and the backoff is asked for a delay (never seen outside a step). */
  | { status: 'backingOff'; attempt: number; cause: Error; offlineEvent: boolean }
  | { status: 'reconnecting'; attempt: number; delayMs: number; cause: Error }
  | { status: 'offline'; cause?: Error }
  /** Offline because the network is gone (browser `offline` event): no retry until it is back. */
  | { status: 'waitingForNetwork'; cause: Error }
  | { status: 'closed'; cause?: Error };

export interface Lifecycle {
  readonly phase: Phase;
  /** Attempts since the client was created (every socket or `beforeConnect` run counts). */
  readonly attempt: number;
  /** Why the last connection or attempt ended: the `cause` of the next 'connecting' state. */
  readonly lastCause?: Error;
  /** The `outgoingStore` was read (or there is none). */
  readonly restored: boolean;
}

export interface LifecycleConfig {
  /** `reconnectPeriod > 0`: a dropped connection is retried by itself. */
  autoReconnect: boolean;
  /** MQTT.js `reconnectOnConnackError`: retry even a refusal that retrying cannot fix. */
  reconnectOnConnackError: boolean;
}

export type LifecycleInput =
  | { type: 'start' }
  | { type: 'storeRead' }
  /** `readStores`: reconnect() brought other stores, whose packets join the session before the CONNECT. */
  | { type: 'reconnect'; readStores?: boolean }
  | { type: 'end'; force: boolean; request: EndRequest }
  /** A connect attempt begins (the reconnect loop subscribed to it). */
  | { type: 'attempt' }
  /** The transport factory returned a socket (it may still be opening). */
  | { type: 'transportCreated' }
  | { type: 'connected'; connack: IConnackPacket }
  | { type: 'refused'; retryable: boolean }
  /** Close the connection because of `error` (reported once as an 'error' event). */
  | { type: 'drop'; error: Error }
  /** The broker ended the connection with DISCONNECT: no 'error' event, just the cause. */
  | { type: 'serverClosing'; cause: Error }
  /** The attempt failed before it had a socket (`beforeConnect` failed). */
  | { type: 'attemptFailed'; error: Error }
  /** No CONNACK within `connectTimeout`. */
  | { type: 'connectTimedOut'; error: Error }
  /** `end()` waits no more: nothing in flight, or `endTimeout` passed. */
  | { type: 'drained' }
  | { type: 'transportClosed'; error?: Error }
  /** After 'transportClosed': the cause is known, decide what follows. */
  | { type: 'closeSettled' }
  /** The backoff's answer to a `backoff` effect. */
  | { type: 'retrying'; delayMs: number }
  | { type: 'gaveUp'; error: MqttError }
  /** The network is gone (browser `offline`): the socket cannot carry bytes, no need to wait for the keepalive to say so. */
  | { type: 'networkLost'; cause: Error }
  /** The network is back (browser `online`): retry now rather than after the rest of the backoff. */
  | { type: 'networkBack' }
  /** The page woke up (resumed after a freeze, shown again): its socket may have died meanwhile. */
  | { type: 'pageResumed' }
  /** A PINGRESP arrived: the socket is alive (ends a `check`). */
  | { type: 'pingAnswered' };

export type Effect =
  /** Announce `publicState(state)`. */
  | { type: 'state' }
  | { type: 'event'; event: ClientEvent }
  /** The rest of this step's effects run only if no listener changed the state meanwhile. */
  | { type: 'guard' }
  /** Step the machine again with `input` (after the effects before it ran). */
  | { type: 'input'; input: LifecycleInput }
  | { type: 'readStore' }
  /** Start a fresh reconnect loop (its backoff count at zero); its first attempt comes back as 'attempt'. */
  | { type: 'connect' }
  /** Stop the reconnect loop: no retry is pending any more. */
  | { type: 'stopConnecting' }
  /** Ask the reconnect loop's backoff for the next delay: answered with 'retrying' or 'gaveUp'. */
  | { type: 'backoff'; cause: Error }
  | { type: 'openTransport' }
  /** Destroy the socket (`flush`: write what is queued first). */
  | { type: 'destroyTransport'; flush: boolean }
  /** The socket is gone: stop its timers, drop what it had not written, tell the session. */
  | { type: 'closeLink' }
  /** Why the connection ended, for what waited on it (a re-authentication). */
  | { type: 'lost'; cause: Error }
  /** Fail the commands in flight or queued with ClientClosedError (clean: false keeps the QoS 1/2 publishes: the session's `abort`). */
  | { type: 'abortCommands' }
  | { type: 'sendDisconnect'; request: EndRequest }
  | { type: 'startEndTimer' }
  /** With `end()` under way: DISCONNECT at once if nothing is in flight (answered with 'drained'). */
  | { type: 'checkDrained' }
  | { type: 'startKeepalive'; connack: IConnackPacket }
  /** Send a PINGREQ now: a dead socket is then found within the PINGRESP timeout, not a keepalive interval later. */
  | { type: 'probe' }
  | { type: 'stopTimers' }
  /** Resolve the promise `end()` returned (runs even past a guard). */
  | { type: 'ended' };

export interface Step {
  state: Lifecycle;
  effects: Effect[];
}

export const initialLifecycle = (restored: boolean): Lifecycle => ({ phase: { status: 'idle' }, attempt: 0, restored });

/** The status the app sees (`client.state`, `state$`). */
export function publicState(state: Lifecycle): ConnectionState {
  const phase = state.phase;
  switch (phase.status) {
    case 'restoring':
      if (phase.shown === 'offline') return phase.cause ? { status: 'offline', cause: phase.cause } : { status: 'offline' };
      return { status: phase.shown };
    case 'connecting':
      return phase.cause ? { status: 'connecting', attempt: phase.attempt, cause: phase.cause } : { status: 'connecting', attempt: phase.attempt };
    case 'connected':
      return { status: 'connected', connack: phase.connack, sessionPresent: phase.connack.sessionPresent, attempt: phase.attempt };
    case 'disconnecting':
      return { status: 'disconnecting' };
    case 'backingOff': // never seen outside a step: shown as the reconnecting it becomes
      return { status: 'reconnecting', attempt: phase.attempt + 1, delayMs: 0, cause: phase.cause };
    case 'reconnecting':
      return { status: 'reconnecting', attempt: phase.attempt, delayMs: phase.delayMs, cause: phase.cause };
    case 'offline':
      return phase.cause ? { status: 'offline', cause: phase.cause } : { status: 'offline' };
    case 'waitingForNetwork':
      return { status: 'offline', cause: phase.cause };
    case 'closed':
      return { status: 'closed' };
    case 'idle':
      return phase;
    default:
      return assertNever(phase);
  }
}

/** `end()` was called and nothing restarted the client since: commands are refused. */
export function isEnding(state: Lifecycle): boolean {
  const phase = state.phase;
  if (phase.status === 'closed' || phase.status === 'disconnecting') return true;
  if (phase.status === 'restoring') return phase.shown === 'closed' && !phase.resume;
  return (phase.status === 'connecting' || phase.status === 'connected') && (phase.after === 'end' || phase.after === 'endThenStart');
}

export type LivePhase = Extract<Phase, { status: 'connecting' | 'connected' | 'disconnecting' }>;

/** A phase with a connection attempt under way (a socket, or `beforeConnect` running). */
export function live(phase: Phase): phase is LivePhase {
  return phase.status === 'connecting' || phase.status === 'connected' || phase.status === 'disconnecting';
}

/** A socket exists (possibly closing): its close is still to come. */
export function hasTransport(state: Lifecycle): boolean {
  const phase = state.phase;
  return phase.status === 'connected' || phase.status === 'disconnecting' || (phase.status === 'connecting' && phase.transport);
}

export function withPhase(state: Lifecycle, phase: Phase, effects: Effect[]): Step {
  return { state: { ...state, phase }, effects };
}

/** The input changes nothing. */
export function same(state: Lifecycle): Step {
  return { state, effects: [] };
}
