/**
 * The connection lifecycle as a pure machine: `step(state, input, config) -> { state, effects }`.
 *
 * It decides what the client does between sockets: when to open one, what a closed socket leads
 * to (ended, reconnect now, reconnect after the backoff's delay, offline), how `end()` and
 * `reconnect()` interleave with a live or half-open connection, and which MQTT.js events are
 * emitted in which order. It opens no socket, starts no timer and reads no clock: the connection
 * shell (connection.ts) executes the effects, and the backoff's delay comes back in as an input
 * (`retrying`, `gaveUp`) from the `retryBackoff` operator the shell's reconnect loop runs on.
 * The vocabulary (states, inputs, effects) is in lifecycle-state.ts.
 */
import { MqttError, TransportError } from '../errors.js';
import {
  assertNever,
  hasTransport,
  live,
  type After,
  type EndRequest,
  type Effect,
  type Lifecycle,
  type LifecycleConfig,
  type LifecycleInput,
  type Phase,
  type Step,
  same,
  withPhase,
} from './lifecycle-state.js';
import { closedByNetworkOrPage, networkBack, networkLost, pageResumed, pingAnswered } from './lifecycle-network.js';
import {
  ABORT_COMMANDS, CHECK_DRAINED, CLOSE_EVENT, CLOSE_LINK, CONNECT, DESTROY, END_EVENT, ENDED, FLUSH_AND_DESTROY, GUARD, OFFLINE_EVENT, OPEN_TRANSPORT,
  READ_STORE, RECONNECT_EVENT, RECONNECT_INPUT, START_END_TIMER, STATE, STOP_CONNECTING, STOP_TIMERS,
} from './lifecycle-effects.js';

export * from './lifecycle-state.js';

export function step(state: Lifecycle, input: LifecycleInput, config: LifecycleConfig): Step {
  switch (input.type) {
    case 'start':
      return start(state, []);
    case 'storeRead':
      return storeRead(state);
    case 'reconnect':
      return reconnect(input.readStores ? { ...state, restored: false } : state);
    case 'end':
      return end(state, input.force, input.request);
    case 'attempt':
      return attempt(state);
    case 'transportCreated':
      return state.phase.status === 'connecting' ? withPhase(state, { ...state.phase, transport: true }, []) : same(state);
    case 'connected':
      return connected(state, input);
    case 'refused':
      return state.phase.status === 'connecting' ? withPhase(state, { ...state.phase, refusedForGood: !input.retryable }, []) : same(state);
    case 'drop':
      return drop(state, input.error);
    case 'serverClosing':
      return live(state.phase) ? withPhase(state, { ...state.phase, dropped: input.cause }, []) : same(state);
    case 'attemptFailed':
      return attemptFailed(state, input.error);
    case 'connectTimedOut':
      // Only an attempt still waiting for its CONNACK can time out; one that end() or reconnect()
      // already closes no longer has a deadline.
      if (state.phase.status !== 'connecting' || state.phase.after !== 'policy') return same(state);
      return hasTransport(state) ? drop(state, input.error) : attemptFailed(state, input.error);
    case 'drained':
      return drained(state);
    case 'transportClosed':
      return transportClosed(state, input.error);
    case 'closeSettled':
      return closeSettled(state, config);
    case 'retrying':
      return retrying(state, input.delayMs);
    case 'gaveUp':
      return gaveUp(state, input.error);
    case 'networkLost':
      return networkLost(state, input.cause, config);
    case 'networkBack':
      return networkBack(state);
    case 'pageResumed':
      return pageResumed(state);
    case 'pingAnswered':
      return pingAnswered(state);
    default:
      return assertNever(input);
  }
}

/** From idle, offline or closed: read the store first if there is one to read, then connect. */
function start(state: Lifecycle, effects: Effect[]): Step {
  const phase = state.phase;
  if (phase.status === 'restoring') return withPhase(state, { ...phase, resume: true }, effects);
  if (phase.status !== 'idle' && phase.status !== 'offline' && phase.status !== 'closed' && phase.status !== 'waitingForNetwork') return { state, effects };
  if (!state.restored) {
    const shown = phase.status === 'waitingForNetwork' ? 'offline' : phase.status;
    const restoring: Phase = { status: 'restoring', shown, cause: phase.status === 'idle' ? undefined : phase.cause, resume: true };
    return withPhase(state, restoring, [...effects, READ_STORE]);
  }
  return { state, effects: [...effects, CONNECT] };
}

/** The store is read: connect if a `start()` (and no `end()` after it) asked for it meanwhile. */
function storeRead(state: Lifecycle): Step {
  const phase = state.phase;
  if (phase.status !== 'restoring') return same({ ...state, restored: true });
  const back: Phase = phase.shown === 'idle' ? { status: 'idle' } : { status: phase.shown, cause: phase.cause };
  const restored = { ...state, restored: true, phase: back };
  return phase.resume ? start(restored, []) : same(restored);
}

function reconnect(state: Lifecycle): Step {
  const phase = state.phase;
  // MQTT.js emits 'reconnect' for every reconnect() call, whatever the state.
  const announce: Effect = RECONNECT_EVENT;
  switch (phase.status) {
    case 'disconnecting':
      return withPhase(state, { ...phase, after: 'endThenStart' }, []);
    case 'idle':
      return start(state, []);
    case 'restoring':
      return start(state, phase.shown === 'idle' ? [] : [announce]);
    case 'offline':
    case 'waitingForNetwork':
    case 'closed':
      return start(state, [announce]);
    case 'connecting':
      if (!phase.transport) return state.restored ? { state, effects: [announce, STOP_CONNECTING, CONNECT] } : readThenStart(state, phase.cause);
      return withPhase(state, { ...phase, after: reconnectAfter(phase.after) }, [DESTROY]);
    case 'connected':
      return withPhase(state, { ...phase, after: reconnectAfter(phase.after) }, [DESTROY]);
    case 'reconnecting':
    case 'backingOff':
      // The pending retry is dropped; the new loop's attempt starts from 'reconnecting' and announces itself.
      return state.restored ? { state, effects: [STOP_CONNECTING, CONNECT] } : readThenStart(state, phase.cause);
    default:
      return assertNever(phase);
  }
}

/** No socket to wait for, but other stores to read first: stop the loop, read them, then connect. */
function readThenStart(state: Lifecycle, cause: Error | undefined): Step {
  return start(withPhase(state, { status: 'offline', cause }, []).state, [STOP_CONNECTING, STATE, RECONNECT_EVENT]);
}

/** reconnect() before the socket closed: after an end() under way, start again once it is done. */
function reconnectAfter(after: After): After {
  return after === 'end' || after === 'endThenStart' ? 'endThenStart' : 'reconnect';
}

/** Gracefully when connected (in-flight acks first), at once otherwise or with `force`. */
function end(state: Lifecycle, force: boolean, request: EndRequest): Step {
  const phase = state.phase;
  if (phase.status === 'disconnecting') return same(state);
  // Already ended: nothing to do but answer this end() too ('end' was emitted once).
  if (phase.status === 'closed' || (phase.status === 'restoring' && phase.shown === 'closed' && !phase.resume)) return { state, effects: [ENDED] };
  if (phase.status === 'connected' && !force && phase.after !== 'end' && phase.after !== 'endThenStart') {
    const disconnecting: Phase = { status: 'disconnecting', attempt: phase.attempt, sent: false, end: request, after: 'end', dropped: phase.dropped };
    return withPhase(state, disconnecting, [STATE, START_END_TIMER, CHECK_DRAINED]);
  }
  if (phase.status === 'connected' || (phase.status === 'connecting' && phase.transport)) {
    return withPhase(state, { ...phase, after: 'end' }, [ABORT_COMMANDS, DESTROY]);
  }
  return finishEnd(state, [ABORT_COMMANDS]);
}

/** Nothing is in flight any more, or `endTimeout` passed: DISCONNECT now. */
function drained(state: Lifecycle): Step {
  const phase = state.phase;
  if (phase.status !== 'disconnecting' || phase.sent) return same(state);
  return withPhase(state, { ...phase, sent: true }, [ABORT_COMMANDS, { type: 'sendDisconnect', request: phase.end }]);
}

/** The reconnect loop subscribed: a new attempt, announced as 'reconnect' when it is a retry. */
function attempt(state: Lifecycle): Step {
  const number = state.attempt + 1;
  const phase: Phase = { status: 'connecting', attempt: number, cause: state.lastCause, transport: false, after: 'policy' };
  const effects: Effect[] = state.phase.status === 'reconnecting' ? [RECONNECT_EVENT] : [];
  effects.push(STATE, OPEN_TRANSPORT);
  return { state: { ...state, attempt: number, phase }, effects };
}

function connected(state: Lifecycle, input: Extract<LifecycleInput, { type: 'connected' }>): Step {
  const phase = state.phase;
  if (phase.status !== 'connecting') return same(state);
  const { connack } = input;
  return withPhase(state, { status: 'connected', attempt: phase.attempt, connack, after: phase.after, dropped: phase.dropped }, [
    STATE,
    { type: 'startKeepalive', connack },
    { type: 'event', event: { type: 'connect', connack } },
  ]);
}

/** Report `error` once, then close the socket (unless an 'error' listener took over). */
function drop(state: Lifecycle, error: Error): Step {
  const phase = state.phase;
  if (!hasTransport(state) || !live(phase)) return same(state);
  if (phase.dropped) return { state, effects: [FLUSH_AND_DESTROY] };
  return withPhase(state, { ...phase, dropped: error }, [
    { type: 'event', event: { type: 'error', error } },
    GUARD,
    FLUSH_AND_DESTROY,
  ]);
}

/** The attempt failed before it had a socket: reported, then closed like any connection. */
function attemptFailed(state: Lifecycle, error: Error): Step {
  const phase = state.phase;
  if (phase.status !== 'connecting' || phase.transport) return same(state);
  return withPhase(state, { ...phase, dropped: error }, [
    { type: 'event', event: { type: 'error', error } },
    GUARD,
    { type: 'input', input: { type: 'transportClosed' } },
  ]);
}

/** The socket is gone. A socket error nobody reported yet is the cause, reported now. */
function transportClosed(state: Lifecycle, error: Error | undefined): Step {
  const phase = state.phase;
  if (!live(phase)) return same(state);
  const effects: Effect[] = [CLOSE_LINK];
  let next = state;
  if (!phase.dropped && error) {
    // A transport that reports its own TransportError (browser, mini-program sockets) said it all;
    // a Node socket's error (ECONNRESET...) is wrapped, its code kept.
    const cause = error instanceof TransportError ? error : new TransportError(`Connection failed: ${error.message}`, error);
    next = { ...state, phase: { ...phase, dropped: cause } };
    effects.push({ type: 'event', event: { type: 'error', error: cause } });
  }
  effects.push({ type: 'input', input: { type: 'closeSettled' } });
  return { state: next, effects };
}

/** What follows a closed socket: the end, a reconnect now, offline, or the backoff's delay. */
function closeSettled(state: Lifecycle, config: LifecycleConfig): Step {
  const phase = state.phase;
  if (!live(phase)) return same(state);
  const cause = phase.dropped ?? new MqttError('ERR_CONNECTION_CLOSED', 'Connection closed by the broker');
  const base: Lifecycle = { ...state, lastCause: cause };
  const close: Effect = CLOSE_EVENT;
  const lost: Effect = { type: 'lost', cause };
  const { after } = phase;
  if (phase.status === 'disconnecting' || after === 'end' || after === 'endThenStart') {
    const ended = finishEnd({ ...base, phase: { status: 'closed', cause } }, [lost, STOP_CONNECTING, STATE, close, GUARD, ABORT_COMMANDS]);
    // A reconnect() that came during the end: 'reconnect' after 'end', as MQTT.js's deferred reconnect.
    return after === 'endThenStart' ? start(ended.state, [...ended.effects, RECONNECT_EVENT]) : ended;
  }
  if (after === 'reconnect' && !state.restored) {
    // reconnect() brought other stores: offline for the time it takes to read them, unless a
    // 'close' listener has other plans. The 'reconnect' input then reads them and connects.
    return withPhase(base, { status: 'offline', cause }, [lost, STOP_CONNECTING, STATE, close, GUARD, RECONNECT_INPUT]);
  }
  if (after === 'reconnect') {
    const next: Phase = { status: 'reconnecting', attempt: phase.attempt + 1, delayMs: 0, cause };
    return withPhase(base, next, [lost, STATE, close, GUARD, STOP_CONNECTING, CONNECT]);
  }
  const wasReconnecting = phase.status === 'connecting' && phase.attempt > 1;
  const woken = config.autoReconnect ? closedByNetworkOrPage(base, after, cause, !wasReconnecting) : undefined;
  if (woken) return woken;
  const refusedForGood = phase.status === 'connecting' && phase.refusedForGood === true;
  if (!config.autoReconnect || (refusedForGood && !config.reconnectOnConnackError)) {
    // The state says offline, but no 'offline' event: MQTT.js 5 emits it only when it sets up a
    // reconnect (_setupReconnect: reconnectPeriod > 0, not suppressed by a refused CONNACK).
    return withPhase(base, { status: 'offline', cause }, [lost, STOP_CONNECTING, STATE, close, GUARD]);
  }
  return withPhase(base, { status: 'backingOff', attempt: phase.attempt, cause, offlineEvent: !wasReconnecting }, [lost, { type: 'backoff', cause }]);
}

/** The backoff gave a delay: announce the close; the loop retries by itself after `delayMs`. */
function retrying(state: Lifecycle, delayMs: number): Step {
  const phase = state.phase;
  if (phase.status !== 'backingOff') return same(state);
  const effects: Effect[] = [STATE, CLOSE_EVENT, GUARD];
  if (phase.offlineEvent) effects.push(OFFLINE_EVENT);
  return withPhase(state, { status: 'reconnecting', attempt: phase.attempt + 1, delayMs, cause: phase.cause }, effects);
}

/** The backoff ran out of attempts: offline, with an error saying so. */
function gaveUp(state: Lifecycle, error: MqttError): Step {
  const phase = state.phase;
  if (phase.status !== 'backingOff') return same(state);
  return withPhase(state, { status: 'offline', cause: phase.cause }, [
    STATE,
    CLOSE_EVENT,
    GUARD,
    { type: 'event', event: { type: 'error', error } },
    OFFLINE_EVENT,
  ]);
}

/** Closed for good: 'end', and the promise `end()` returned resolves. */
function finishEnd(state: Lifecycle, effects: Effect[]): Step {
  const phase = state.phase;
  const done: Effect[] = [END_EVENT, ENDED];
  if (phase.status === 'restoring') {
    return withPhase(state, { ...phase, shown: 'closed', resume: false }, [...effects, STATE, ...done]);
  }
  if (phase.status === 'closed') return { state, effects: [...effects, STOP_TIMERS, ...done] };
  return withPhase(state, { status: 'closed' }, [STOP_CONNECTING, ...effects, STOP_TIMERS, STATE, ...done]);
}

