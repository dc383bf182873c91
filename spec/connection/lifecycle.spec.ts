/**
 * The pure connection lifecycle machine (lib/connection/lifecycle.ts): `step(state, input, config)`
 * in, the next state and the effects the shell runs out. Effect lists are asserted exactly: their
 * order is the MQTT.js event order, and a `guard` skips what follows it when a listener took over
 * (except `ended`, which always resolves the promise `end()` returned).
 */
import { ConnackError, MqttError, TransportError } from '../../lib/errors.js';
import { hasTransport, isEnding, publicState, step } from '../../lib/connection/lifecycle.js';
import type { After, Effect, Lifecycle, LifecycleConfig, LifecycleInput, Phase, Step } from '../../lib/connection/lifecycle.js';
import type { IConnackPacket } from '../../lib/protocol/codec.js';
import { drive, policy } from '../helpers/lifecycle-drive.js';

type Fields<S extends Phase['status']> = Partial<Omit<Extract<Phase, { status: S }>, 'status'>>;

const connack: IConnackPacket = { cmd: 'connack', returnCode: 0, sessionPresent: false };
const reset = new TransportError('read ECONNRESET');
const refusal = new ConnackError(5);
const exhausted = new MqttError('ERR_RECONNECT_EXHAUSTED', 'Gave up reconnecting after 3 attempts');
/** A clean close nobody explained: the broker closed the connection. */
const byBroker = expect.objectContaining({ code: 'ERR_CONNECTION_CLOSED' });

// Builders: a Lifecycle whose phase has sensible defaults, the store already read.
const lifecycle = (phase: Phase, attempt: number, extra: Partial<Lifecycle> = {}): Lifecycle => ({ phase, attempt, restored: true, ...extra });
const idle = (extra?: Partial<Lifecycle>) => lifecycle({ status: 'idle' }, 0, extra);
const restoring = (f: Fields<'restoring'> = {}) => lifecycle({ status: 'restoring', shown: 'idle', resume: true, ...f }, 0, { restored: false });
const offline = (f: Fields<'offline'> = {}, extra?: Partial<Lifecycle>) => lifecycle({ status: 'offline', ...f }, 1, extra);
const closed = (f: Fields<'closed'> = {}, extra?: Partial<Lifecycle>) => lifecycle({ status: 'closed', ...f }, 1, extra);
function connecting(f: Fields<'connecting'> = {}, extra?: Partial<Lifecycle>): Lifecycle {
  const phase = { status: 'connecting' as const, attempt: 1, transport: true, after: 'policy' as After, ...f };
  return lifecycle(phase, phase.attempt, extra);
}
function connected(f: Fields<'connected'> = {}): Lifecycle {
  const phase = { status: 'connected' as const, attempt: 1, connack, after: 'policy' as After, ...f };
  return lifecycle(phase, phase.attempt);
}
function disconnecting(f: Fields<'disconnecting'> = {}): Lifecycle {
  const phase = { status: 'disconnecting' as const, attempt: 1, sent: false, end: {}, after: 'end' as const, ...f };
  return lifecycle(phase, phase.attempt);
}
function backingOff(f: Fields<'backingOff'> = {}): Lifecycle {
  const phase = { status: 'backingOff' as const, attempt: 1, cause: reset, offlineEvent: true, ...f };
  return lifecycle(phase, phase.attempt, { lastCause: phase.cause });
}
/** `attempt` is the one to come: the lifecycle has made one less. */
function reconnecting(f: Fields<'reconnecting'> = {}): Lifecycle {
  const phase = { status: 'reconnecting' as const, attempt: 2, delayMs: 1000, cause: reset, ...f };
  return lifecycle(phase, phase.attempt - 1, { lastCause: phase.cause });
}

const input = {
  start: { type: 'start' }, storeRead: { type: 'storeRead' }, reconnect: { type: 'reconnect' }, attempt: { type: 'attempt' },
  end: { type: 'end', force: false, request: {} }, force: { type: 'end', force: true, request: {} },
  closed: { type: 'transportClosed' }, settled: { type: 'closeSettled' }, drained: { type: 'drained' },
} satisfies Record<string, LifecycleInput>;
const drop = (error: Error): LifecycleInput => ({ type: 'drop', error });

const event = (type: 'close' | 'offline' | 'end' | 'reconnect'): Effect => ({ type: 'event', event: { type } });
const errorEvent = (error: Error): Effect => ({ type: 'event', event: { type: 'error', error } });
const fx = {
  state: { type: 'state' }, guard: { type: 'guard' }, ended: { type: 'ended' },
  close: event('close'), offline: event('offline'), end: event('end'), reconnect: event('reconnect'),
  connect: { type: 'connect' }, stopConnecting: { type: 'stopConnecting' }, open: { type: 'openTransport' }, readStore: { type: 'readStore' },
  abort: { type: 'abortCommands' }, stopTimers: { type: 'stopTimers' }, closeLink: { type: 'closeLink' },
  settle: { type: 'input', input: input.settled }, toClosed: { type: 'input', input: input.closed },
  destroy: { type: 'destroyTransport', flush: false }, flushAndDestroy: { type: 'destroyTransport', flush: true },
} satisfies Record<string, Effect>;
const lost = (cause: unknown): Effect => ({ type: 'lost', cause }) as Effect;
const backoff = (cause: Error): Effect[] => [lost(cause), { type: 'backoff', cause }];
/** A finished end() once the socket closed with `cause`. */
const endsAfterClose = (cause: unknown): Effect[] => [lost(cause), fx.stopConnecting, fx.state, fx.close, fx.guard, fx.abort, fx.stopTimers, fx.end, fx.ended];

/** One step from `before` gives exactly `expected`. */
function expectStep(before: Lifecycle, next: LifecycleInput, expected: Step, config = policy): void {
  expect(step(before, next, config)).toEqual(expected);
}

/** `next` leaves each of `states` as it is, with no effect. */
function expectIgnored(next: LifecycleInput, states: Lifecycle[], config = policy): void {
  expect(states.map((before) => step(before, next, config))).toEqual(states.map((before) => ({ state: before, effects: [] })));
}


const events = (effects: Effect[]) => effects.flatMap((effect) => (effect.type === 'event' ? [effect.event.type] : []));

describe('connection lifecycle machine', () => {
  describe('start and the outgoing store', () => {
    it('start from idle with a store to read goes to restoring and reads the store', () => {
      expectStep(idle({ restored: false }), input.start, { state: restoring({ shown: 'idle', resume: true }), effects: [fx.readStore] });
    });

    it('start from idle or offline connects (a fresh reconnect loop)', () => {
      expectStep(idle(), input.start, { state: idle(), effects: [fx.connect] });
      expectStep(offline({ cause: reset }), input.start, { state: offline({ cause: reset }), effects: [fx.connect] });
    });

    it('start from offline before the store was read keeps showing offline with its cause', () => {
      const restoringOffline = lifecycle({ status: 'restoring', shown: 'offline', cause: reset, resume: true }, 1, { restored: false });
      expectStep(offline({ cause: reset }, { restored: false }), input.start, { state: restoringOffline, effects: [fx.readStore] });
    });

    it('start while the store is read after end() asks to connect once it is read', () => {
      expectStep(restoring({ shown: 'closed', resume: false }), input.start, { state: restoring({ shown: 'closed', resume: true }), effects: [] });
    });

    it('start while a connection is under way or pending does nothing', () => {
      expectIgnored(input.start, [connecting(), connected(), disconnecting(), reconnecting()]);
    });

    it('the store read connects when a start() asked for it', () => {
      expectStep(restoring(), input.storeRead, { state: idle(), effects: [fx.connect] });
    });

    it('the store read after end() stays closed, with the cause it had', () => {
      const restoringClosed = restoring({ shown: 'closed', cause: reset, resume: false });
      expectStep(restoringClosed, input.storeRead, { state: lifecycle({ status: 'closed', cause: reset }, 0), effects: [] });
    });

    it('the store read outside restoring only marks the store as read', () => {
      expectStep(offline({}, { restored: false }), input.storeRead, { state: offline(), effects: [] });
    });
  });

  describe('attempts', () => {
    it('the first attempt is connecting attempt 1, announced, then opens a transport', () => {
      expectStep(idle(), input.attempt, { state: connecting({ attempt: 1, transport: false }), effects: [fx.state, fx.open] });
    });

    it("an attempt after reconnecting announces 'reconnect' before the connecting state, with the last cause", () => {
      const next = connecting({ attempt: 2, transport: false, cause: reset }, { lastCause: reset });
      expectStep(reconnecting({ attempt: 2 }), input.attempt, { state: next, effects: [fx.reconnect, fx.state, fx.open] });
    });

    it('a created transport is recorded on the attempt, and ignored outside one', () => {
      expectStep(connecting({ transport: false }), { type: 'transportCreated' }, { state: connecting({ transport: true }), effects: [] });
      expectIgnored({ type: 'transportCreated' }, [offline(), reconnecting()]);
    });

    it('a CONNACK announces connected, starts the keepalive, then emits connect', () => {
      const connectEvent: Effect = { type: 'event', event: { type: 'connect', connack } };
      const effects: Effect[] = [fx.state, { type: 'startKeepalive', connack }, connectEvent];
      expectStep(connecting({ attempt: 2 }), { type: 'connected', connack }, { state: lifecycle({ status: 'connected', attempt: 2, connack, after: 'policy' }, 2), effects });
    });

    it('a CONNACK or a refusal outside an attempt is ignored', () => {
      expectIgnored({ type: 'connected', connack }, [reconnecting(), connected()]);
      expectIgnored({ type: 'refused', retryable: false }, [reconnecting(), connected()]);
    });

    it.each([[true, false], [false, true]])('a refusal (retryable %s) records whether retrying cannot fix it (refusedForGood %s)', (retryable, refusedForGood) => {
      expectStep(connecting(), { type: 'refused', retryable }, { state: connecting({ refusedForGood }), effects: [] });
    });
  });

  describe('drops and closes', () => {
    it('a drop reports the error, then flushes and destroys the socket unless a listener took over', () => {
      expectStep(connected(), drop(reset), { state: connected({ dropped: reset }), effects: [errorEvent(reset), fx.guard, fx.flushAndDestroy] });
    });

    it('drop reports once: a second drop only destroys', () => {
      expectStep(connected({ dropped: reset }), drop(new TransportError('again')), { state: connected({ dropped: reset }), effects: [fx.flushAndDestroy] });
    });

    it('a drop without a socket (beforeConnect running, offline, reconnecting) is ignored', () => {
      expectIgnored(drop(reset), [connecting({ transport: false }), offline(), reconnecting()]);
    });

    it('a broker DISCONNECT becomes the cause without an error event', () => {
      const cause = new MqttError('ERR_SERVER_DISCONNECT', 'Disconnected by the broker (code 142)');
      expectStep(connected(), { type: 'serverClosing', cause }, { state: connected({ dropped: cause }), effects: [] });
    });

    it('a failed beforeConnect is reported, then closed like a connection (ignored once a socket exists)', () => {
      const error = new MqttError('ERR_BEFORE_CONNECT', 'token fetch failed');
      const { state, effects } = drive(connecting({ transport: false }), [{ type: 'attemptFailed', error }]);
      expect(effects).toEqual([errorEvent(error), fx.guard, fx.toClosed, fx.closeLink, fx.settle, ...backoff(error)]);
      expect(state.phase).toEqual({ status: 'backingOff', attempt: 1, cause: error, offlineEvent: true });
      expectIgnored({ type: 'attemptFailed', error }, [connecting({ transport: true }), offline()]);
    });

    it('connectTimedOut with a socket drops it; without one it fails the attempt', () => {
      const error = new MqttError('ERR_CONNECT_TIMEOUT', 'No CONNACK within 30000 ms');
      const timedOut: LifecycleInput = { type: 'connectTimedOut', error };
      expectStep(connecting({ transport: true }), timedOut, { state: connecting({ dropped: error }), effects: [errorEvent(error), fx.guard, fx.flushAndDestroy] });
      expectStep(connecting({ transport: false }), timedOut, { state: connecting({ transport: false, dropped: error }), effects: [errorEvent(error), fx.guard, fx.toClosed] });
    });

    it('connectTimedOut after end() or reconnect() (or after the close) is ignored', () => {
      expectIgnored({ type: 'connectTimedOut', error: reset }, [connecting({ after: 'end' }), connecting({ after: 'reconnect' }), disconnecting(), offline()]);
    });

    // Unreachable through the shell today (timeout's `first` stops at the CONNACK), but the machine
    // would drop a live connection for a deadline that no longer applies.
    it('connectTimedOut once connected is ignored', () => {
      expectIgnored({ type: 'connectTimedOut', error: reset }, [connected()]);
    });

    it('a transport error nobody reported is reported as a TransportError, then closeSettled decides', () => {
      const socketError = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
      const { state, effects } = step(connected(), { type: 'transportClosed', error: socketError }, policy);
      const cause = (state.phase as Extract<Phase, { status: 'connected' }>).dropped;
      expect(cause).toBeInstanceOf(TransportError);
      expect(cause).toMatchObject({ message: 'Connection failed: read ECONNRESET', cause: socketError, errno: 'ECONNRESET' });
      expect(effects).toEqual([fx.closeLink, errorEvent(cause!), fx.settle]);
    });

    it("a TransportError from the transport itself (browser and mini-program sockets) is reported as it is, not wrapped again", () => {
      // Wrapped, its errno read 'ERR_TRANSPORT' (the inner error's code) and the browser's closeCode was one level down.
      const closed = Object.assign(new TransportError('WebSocket closed with code 1006'), { closeCode: 1006 });
      const { state, effects } = step(connected(), { type: 'transportClosed', error: closed }, policy);
      const cause = (state.phase as Extract<Phase, { status: 'connected' }>).dropped;
      expect(cause).toBe(closed);
      expect(cause).toMatchObject({ code: 'ERR_TRANSPORT', errno: undefined, closeCode: 1006 });
      expect(effects).toEqual([fx.closeLink, errorEvent(closed), fx.settle]);
    });

    it('a socket error after a reported drop or a broker DISCONNECT is not reported again', () => {
      expectStep(connected({ dropped: reset }), { type: 'transportClosed', error: new Error('EPIPE') }, { state: connected({ dropped: reset }), effects: [fx.closeLink, fx.settle] });
    });

    it('transportClosed and closeSettled without a connection under way are ignored', () => {
      expectIgnored(input.closed, [reconnecting(), offline(), closed()]);
      expectIgnored(input.settled, [reconnecting(), offline(), closed()]);
    });
  });

  describe('after the close', () => {
    it('closeSettled after a drop with the policy asks the backoff', () => {
      const asking = lifecycle({ status: 'backingOff', attempt: 1, cause: reset, offlineEvent: true }, 1, { lastCause: reset });
      expectStep(connected({ dropped: reset }), input.settled, { state: asking, effects: backoff(reset) });
    });

    it.each([
      ["the first attempt failed: 'offline' is due", 1, true],
      ["a retry failed: 'offline' was already announced", 3, false],
    ])('closeSettled when %s', (_, attempt, offlineEvent) => {
      const { state } = step(connecting({ attempt, dropped: reset }), input.settled, policy);
      expect(state.phase).toEqual({ status: 'backingOff', attempt, cause: reset, offlineEvent });
    });

    it('a close nobody explained is caused by the broker closing the connection', () => {
      const { state } = step(connected(), input.settled, policy);
      expect(state.lastCause).toBeInstanceOf(MqttError);
      expect(state.lastCause).toMatchObject({ code: 'ERR_CONNECTION_CLOSED', message: 'Connection closed by the broker' });
    });

    it.each<[string, boolean, Effect[]]>([
      ['the first failure', true, [fx.state, fx.close, fx.guard, fx.offline]],
      ['a failed retry', false, [fx.state, fx.close, fx.guard]],
    ])("'retrying' after %s announces reconnecting with the delay, close, then offline only if due", (_, offlineEvent, effects) => {
      const next = lifecycle({ status: 'reconnecting', attempt: 2, delayMs: 500, cause: reset }, 1, { lastCause: reset });
      expectStep(backingOff({ attempt: 1, offlineEvent }), { type: 'retrying', delayMs: 500 }, { state: next, effects });
    });

    it('gaveUp announces offline with the exhaustion error between close and offline', () => {
      const state = lifecycle({ status: 'offline', cause: reset }, 3, { lastCause: reset });
      expectStep(backingOff({ attempt: 3, offlineEvent: false }), { type: 'gaveUp', error: exhausted }, { state, effects: [fx.state, fx.close, fx.guard, errorEvent(exhausted), fx.offline] });
    });

    it("the backoff's answer outside backingOff is ignored", () => {
      expectIgnored({ type: 'retrying', delayMs: 10 }, [connecting(), reconnecting(), closed()]);
      expectIgnored({ type: 'gaveUp', error: exhausted }, [connecting(), reconnecting(), closed()]);
    });

    // No 'offline' event: MQTT.js emits it only when it sets up a reconnect (reconnectPeriod > 0, not suppressed).
    const goesOffline = (cause: Error): Effect[] => [lost(cause), fx.stopConnecting, fx.state, fx.close, fx.guard];

    it.each<[string, boolean, LifecycleConfig, Effect[]]>([
      ['cannot fix goes offline', true, policy, goesOffline(refusal)],
      ['cannot fix asks the backoff with reconnectOnConnackError', true, { ...policy, reconnectOnConnackError: true }, backoff(refusal)],
      ['can fix asks the backoff', false, policy, backoff(refusal)],
    ])('a refusal that retrying %s', (_, refusedForGood, config, effects) => {
      expect(step(connecting({ refusedForGood, dropped: refusal }), input.settled, config).effects).toEqual(effects);
    });

    it("reconnectPeriod 0 (autoReconnect false) goes offline without an 'offline' event, as MQTT.js", () => {
      const state = lifecycle({ status: 'offline', cause: reset }, 1, { lastCause: reset });
      expectStep(connected({ dropped: reset }), input.settled, { state, effects: goesOffline(reset) }, { ...policy, autoReconnect: false });
    });
  });

  describe('end()', () => {
    const request = { reasonCode: 4 };

    it('end() while connected waits for in-flight (disconnecting, end timer, checkDrained)', () => {
      const effects: Effect[] = [fx.state, { type: 'startEndTimer' }, { type: 'checkDrained' }];
      expectStep(connected(), { type: 'end', force: false, request }, { state: disconnecting({ end: request }), effects });
    });

    it('end() after a drop still waits, and keeps the drop as the cause', () => {
      expect(step(connected({ dropped: reset }), input.end, policy).state).toEqual(disconnecting({ dropped: reset }));
    });

    it('drained sends DISCONNECT once, and only while disconnecting', () => {
      const sent = disconnecting({ end: request, sent: true });
      expectStep(disconnecting({ end: request }), input.drained, { state: sent, effects: [fx.abort, { type: 'sendDisconnect', request }] });
      expectIgnored(input.drained, [sent, connected(), closed()]);
    });

    it('the close after DISCONNECT ends: closed, close, end, ended', () => {
      const state = lifecycle({ status: 'closed', cause: byBroker }, 1, { lastCause: byBroker });
      expect(drive(disconnecting({ sent: true }), [input.closed])).toEqual({ state, effects: [fx.closeLink, fx.settle, ...endsAfterClose(byBroker)] });
    });

    it('end(force) while connected aborts commands and destroys the socket without flushing; the close then ends: closed, close, end, ended', () => {
      const forced = step(connected(), input.force, policy);
      expect(forced).toEqual({ state: connected({ after: 'end' }), effects: [fx.abort, fx.destroy] });
      const { state, effects } = drive(forced.state, [input.closed]);
      expect(state.phase).toEqual({ status: 'closed', cause: byBroker });
      expect(effects).toEqual([fx.closeLink, fx.settle, ...endsAfterClose(byBroker)]);
    });

    it('end() while the socket is still opening destroys it (over a pending reconnect()) and ends on its close', () => {
      expectStep(connecting({ after: 'reconnect' }), input.end, { state: connecting({ after: 'end' }), effects: [fx.abort, fx.destroy] });
    });

    it('end() without a socket (offline, reconnecting, beforeConnect running, idle, backingOff) closes at once', () => {
      const socketless = [offline({ cause: reset }), reconnecting(), connecting({ transport: false }), idle(), backingOff()];
      const closedAtOnce = [fx.stopConnecting, fx.abort, fx.stopTimers, fx.state, fx.end, fx.ended];
      expect(socketless.map((before) => step(before, input.end, policy))).toEqual(
        socketless.map((before) => ({ state: { ...before, phase: { status: 'closed' } }, effects: closedAtOnce })),
      );
    });

    it('end() or end(force) while disconnecting changes nothing (the first promise stands)', () => {
      expectIgnored(input.end, [disconnecting(), disconnecting({ sent: true })]);
      expectIgnored(input.force, [disconnecting(), disconnecting({ after: 'endThenStart' })]);
    });

    it('end() while the store is read shows closed at once and cancels the pending connect', () => {
      expectStep(restoring({ shown: 'idle' }), input.end, { state: restoring({ shown: 'closed', resume: false }), effects: [fx.abort, fx.state, fx.end, fx.ended] });
    });

    // Reachable: the shell forgets its promise at 'ended', so a second end() while the store is
    // still being read runs the machine again and 'end' is emitted twice. MQTT.js emits it once.
    it("a second end() while the store is read resolves without a second 'end'", () => {
      const { effects } = step(restoring({ shown: 'closed', resume: false }), input.end, policy);
      expect(events(effects)).toEqual([]);
      expect(effects).toContainEqual(fx.ended);
    });

    // Masked by the shell (end() on a closed client returns at once), but the machine emits 'end' again.
    it("end() on a closed client only resolves, without a second 'end'", () => {
      const { effects } = step(closed(), input.end, policy);
      expect(events(effects)).toEqual([]);
      expect(effects).toContainEqual(fx.ended);
    });
  });

  describe('reconnect()', () => {
    it('reconnect() while connected destroys the socket and reconnects on close without a delay', () => {
      const asked = step(connected(), input.reconnect, policy);
      expect(asked).toEqual({ state: connected({ after: 'reconnect' }), effects: [fx.destroy] });
      const afterClose = drive(asked.state, [input.closed]);
      expect(afterClose).toEqual({
        state: lifecycle({ status: 'reconnecting', attempt: 2, delayMs: 0, cause: byBroker }, 1, { lastCause: byBroker }),
        effects: [fx.closeLink, fx.settle, lost(byBroker), fx.state, fx.close, fx.guard, fx.stopConnecting, fx.connect],
      });
      expect(step(afterClose.state, input.attempt, policy).effects).toEqual([fx.reconnect, fx.state, fx.open]);
    });

    it('reconnect() while the socket is opening destroys it', () => {
      expectStep(connecting({ transport: true }), input.reconnect, { state: connecting({ after: 'reconnect' }), effects: [fx.destroy] });
    });

    it('reconnect() while beforeConnect runs announces itself and starts a fresh loop', () => {
      expectStep(connecting({ transport: false }), input.reconnect, { state: connecting({ transport: false }), effects: [fx.reconnect, fx.stopConnecting, fx.connect] });
    });

    it('reconnect() while reconnecting drops the pending delay; the new attempt announces itself', () => {
      expectStep(reconnecting(), input.reconnect, { state: reconnecting(), effects: [fx.stopConnecting, fx.connect] });
    });

    it.each<[string, Lifecycle, Step]>([
      ['idle starts without an announcement', idle(), { state: idle(), effects: [fx.connect] }],
      ['offline announces and connects', offline(), { state: offline(), effects: [fx.reconnect, fx.connect] }],
      ['closed announces and connects', closed(), { state: closed(), effects: [fx.reconnect, fx.connect] }],
      ['offline before the store was read announces and reads it', offline({}, { restored: false, attempt: 0 }), { state: restoring({ shown: 'offline' }), effects: [fx.reconnect, fx.readStore] }],
      ['restoring from idle connects after the read', restoring(), { state: restoring(), effects: [] }],
      ['restoring after end() announces and connects after the read', restoring({ shown: 'closed', resume: false }), { state: restoring({ shown: 'closed' }), effects: [fx.reconnect] }],
    ])('reconnect() from %s', (_, before, expected) => {
      expectStep(before, input.reconnect, expected);
    });

    it('reconnect() while disconnecting restarts after the end', () => {
      const asked = step(disconnecting(), input.reconnect, policy);
      expect(asked).toEqual({ state: disconnecting({ after: 'endThenStart' }), effects: [] });
      expect(isEnding(asked.state)).toBe(true);
      const state = lifecycle({ status: 'closed', cause: byBroker }, 1, { lastCause: byBroker });
      expect(drive(asked.state, [input.closed])).toEqual({
        state,
        effects: [fx.closeLink, fx.settle, ...endsAfterClose(byBroker), { type: 'event', event: { type: 'reconnect' } }, fx.connect],
      });
    });

    // MQTT.js emits 'reconnect' for every reconnect() call, a deferred one included.
    it("reconnect() while disconnecting announces 'reconnect' once the end is done", () => {
      const seen = events(drive(disconnecting(), [input.reconnect, input.closed, input.attempt]).effects);
      expect(seen).toContain('reconnect');
      expect(seen.indexOf('reconnect')).toBeGreaterThan(seen.indexOf('end'));
    });

    // Reachable: end(true) then reconnect() before the socket's close arrives: as during a graceful end().
    it('reconnect() after end(force), before the close, restarts after the end', () => {
      expect(drive(connected(), [input.force, input.reconnect]).state.phase).toMatchObject({ after: 'endThenStart' });
    });

    describe('with other stores (MQTT.js reconnect({ incomingStore, outgoingStore }))', () => {
      const withStores: LifecycleInput = { type: 'reconnect', readStores: true };

      it('after end() announces itself and reads them before connecting', () => {
        const read = step(closed(), withStores, policy);
        expect(read).toEqual({ state: lifecycle({ status: 'restoring', shown: 'closed', resume: true }, 1, { restored: false }), effects: [fx.reconnect, fx.readStore] });
        expect(isEnding(read.state)).toBe(false);
        expect(step(read.state, input.storeRead, policy).effects).toEqual([fx.connect]);
      });

      it('while connected closes, shows offline while they are read, then connects', () => {
        const asked = step(connected(), withStores, policy);
        expect(asked.effects).toEqual([fx.destroy]);
        const afterClose = drive(asked.state, [input.closed]);
        expect(afterClose.effects).toEqual([fx.closeLink, fx.settle, lost(byBroker), fx.stopConnecting, fx.state, fx.close, fx.guard, { type: 'input', input: input.reconnect }, fx.reconnect, fx.readStore]);
        expect(publicState(afterClose.state)).toMatchObject({ status: 'offline' });
        expect(step(afterClose.state, input.storeRead, policy).effects).toEqual([fx.connect]);
      });

      it('while reconnecting or while beforeConnect runs stops the loop and reads them first', () => {
        for (const before of [reconnecting(), connecting({ transport: false, cause: reset })]) {
          const read = step(before, withStores, policy);
          expect(read.state.phase).toEqual({ status: 'restoring', shown: 'offline', cause: reset, resume: true });
          expect(read.effects).toEqual([fx.stopConnecting, fx.state, fx.reconnect, fx.readStore]);
        }
      });

      it('while disconnecting reads them once the end is done', () => {
        expect(drive(disconnecting(), [withStores, input.closed]).effects.slice(-2)).toEqual([fx.reconnect, fx.readStore]);
      });
    });
  });

  describe('projections', () => {
    const cause = reset;
    const resumed = { ...connack, sessionPresent: true };
    /** Rows `[name, state, expected]` keyed by name: the projection of each state, or the expectations. */
    const byName = <T>(rows: [string, Lifecycle, T][], projection?: (state: Lifecycle) => T) =>
      Object.fromEntries(rows.map(([name, state, expected]) => [name, projection ? projection(state) : expected]));

    it('publicState for every phase', () => {
      const rows: [string, Lifecycle, ReturnType<typeof publicState>][] = [
        ['idle', idle(), { status: 'idle' }],
        ['restoring from idle', restoring(), { status: 'idle' }],
        ['restoring from offline', restoring({ shown: 'offline', cause }), { status: 'offline', cause }],
        ['restoring after end()', restoring({ shown: 'closed', cause, resume: false }), { status: 'closed' }],
        ['connecting', connecting({ attempt: 2 }), { status: 'connecting', attempt: 2 }],
        ['connecting after a drop', connecting({ attempt: 2, cause }), { status: 'connecting', attempt: 2, cause }],
        ['connected', connected({ connack: resumed }), { status: 'connected', connack: resumed, sessionPresent: true, attempt: 1 }],
        ['disconnecting', disconnecting(), { status: 'disconnecting' }],
        // The backoff has not answered yet: the next attempt, with no delay.
        ['backingOff', backingOff({ attempt: 1, cause }), { status: 'reconnecting', attempt: 2, delayMs: 0, cause }],
        ['reconnecting', reconnecting({ attempt: 3, delayMs: 250, cause }), { status: 'reconnecting', attempt: 3, delayMs: 250, cause }],
        ['offline', offline(), { status: 'offline' }],
        ['offline with a cause', offline({ cause }), { status: 'offline', cause }],
        ['closed', closed(), { status: 'closed' }],
      ];
      expect(byName(rows, publicState)).toStrictEqual(byName(rows));
    });

    // The closed phase keeps its cause for the machine; the app's state shows none (as before).
    it('publicState while closed shows no cause, as before the lifecycle machine (the cause was the close event\'s)', () => {
      expect(publicState(closed({ cause }))).toEqual({ status: 'closed' });
    });

    it('isEnding from end() until something restarts the client', () => {
      const rows: [string, Lifecycle, boolean][] = [
        ['closed', closed(), true],
        ['disconnecting', disconnecting(), true],
        ['restoring after end()', restoring({ shown: 'closed', resume: false }), true],
        ['restoring restarted after end()', restoring({ shown: 'closed', resume: true }), false],
        ['restoring from idle', restoring(), false],
        ['connecting after end()', connecting({ after: 'end' }), true],
        ['connected after end(force)', connected({ after: 'end' }), true],
        ['connected after reconnect()', connected({ after: 'reconnect' }), false],
        ['connected', connected(), false],
        ['reconnecting', reconnecting(), false],
        ['offline', offline(), false],
        ['idle', idle(), false],
      ];
      expect(byName(rows, isEnding)).toEqual(byName(rows));
    });

    it('hasTransport while a socket exists, possibly closing', () => {
      const rows: [string, Lifecycle, boolean][] = [
        ['connected', connected(), true],
        ['disconnecting', disconnecting({ sent: true }), true],
        ['connecting with a socket', connecting({ transport: true }), true],
        ['beforeConnect running', connecting({ transport: false }), false],
        ['backingOff', backingOff(), false],
        ['restoring', restoring(), false],
        ['idle', idle(), false],
        ['closed', closed(), false],
      ];
      expect(byName(rows, hasTransport)).toEqual(byName(rows));
    });
  });
});
