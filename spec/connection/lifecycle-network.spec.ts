/**
 * The lifecycle machine's network and page inputs (lib/connection/lifecycle-network.ts):
 * `networkLost` (browser `offline`), `networkBack` (`online`) and `pageResumed` (resume after a
 * freeze, visible again, back/forward cache). Pure steps, effect lists asserted exactly, as in
 * lifecycle.spec.ts; `drive` runs an `input` effect in place as the shell does.
 */
import { MqttError, TransportError } from '../../lib/errors.js';
import { publicState, step } from '../../lib/connection/lifecycle.js';
import type { After, Effect, Lifecycle, LifecycleConfig, LifecycleInput, Phase } from '../../lib/connection/lifecycle.js';
import type { IConnackPacket } from '../../lib/protocol/codec.js';
import { drive, policy } from '../helpers/lifecycle-drive.js';

const connack: IConnackPacket = { cmd: 'connack', returnCode: 0, sessionPresent: false };
const noReconnect: LifecycleConfig = { autoReconnect: false, reconnectOnConnackError: false };
const offlineCause = new MqttError('ERR_NETWORK_OFFLINE', 'The network went offline');
const reset = new TransportError('read ECONNRESET');

const lifecycle = (phase: Phase, attempt: number, extra: Partial<Lifecycle> = {}): Lifecycle => ({ phase, attempt, restored: true, ...extra });
const connected = (after: After = 'policy', dropped?: Error) => lifecycle({ status: 'connected', attempt: 1, connack, after, ...(dropped && { dropped }) }, 1);
const connecting = (transport: boolean, attempt = 1) => lifecycle({ status: 'connecting', attempt, transport, after: 'policy' }, attempt);
const disconnecting = () => lifecycle({ status: 'disconnecting', attempt: 1, sent: false, end: {}, after: 'end' }, 1);
const reconnecting = () => lifecycle({ status: 'reconnecting', attempt: 2, delayMs: 600_000, cause: reset }, 1, { lastCause: reset });
const waiting = (extra: Partial<Lifecycle> = {}) => lifecycle({ status: 'waitingForNetwork', cause: offlineCause }, 1, { lastCause: offlineCause, ...extra });
const idle = () => lifecycle({ status: 'idle' }, 0);
const offline = () => lifecycle({ status: 'offline', cause: reset }, 1);
const closed = () => lifecycle({ status: 'closed' }, 1);
const restoringClosed = () => lifecycle({ status: 'restoring', shown: 'closed', resume: false }, 1, { restored: false });

const lost: LifecycleInput = { type: 'networkLost', cause: offlineCause };
const back: LifecycleInput = { type: 'networkBack' };
const resumed: LifecycleInput = { type: 'pageResumed' };
const closedSocket: LifecycleInput = { type: 'transportClosed' };

const event = (type: 'close' | 'offline' | 'end' | 'reconnect'): Effect => ({ type: 'event', event: { type } });
const fx = {
  state: { type: 'state' }, guard: { type: 'guard' }, connect: { type: 'connect' }, stopConnecting: { type: 'stopConnecting' },
  destroy: { type: 'destroyTransport', flush: false }, probe: { type: 'probe' }, closeLink: { type: 'closeLink' },
  settle: { type: 'input', input: { type: 'closeSettled' } }, open: { type: 'openTransport' },
  close: event('close'), offline: event('offline'), end: event('end'), reconnect: event('reconnect'),
} satisfies Record<string, Effect>;
const lostCause = (cause: Error): Effect => ({ type: 'lost', cause });


function expectIgnored(next: LifecycleInput, states: Lifecycle[], config = policy): void {
  expect(states.map((before) => step(before, next, config))).toEqual(states.map((before) => ({ state: before, effects: [] })));
}

const events = (effects: Effect[]) => effects.flatMap((effect) => (effect.type === 'event' ? [effect.event.type] : []));

describe('lifecycle: network lost (browser offline)', () => {
  it('closes a connected socket at once, with the network as the cause and no error event', () => {
    expect(step(connected(), lost, policy)).toEqual({ state: connected('network', offlineCause), effects: [fx.destroy] });
  });

  it("on the close waits for the network, shown offline, announced close then 'offline' (no backoff asked for)", () => {
    const { state, effects } = drive(connected(), [lost, closedSocket]);
    expect(state).toEqual(lifecycle({ status: 'waitingForNetwork', cause: offlineCause }, 1, { lastCause: offlineCause }));
    expect(effects).toEqual([fx.destroy, fx.closeLink, fx.settle, lostCause(offlineCause), fx.stopConnecting, fx.state, fx.close, fx.guard, fx.offline]);
    expect(publicState(state)).toEqual({ status: 'offline', cause: offlineCause });
  });

  it("a socket of a reconnect attempt (already announced 'offline') closes without a second 'offline'", () => {
    const { effects } = drive(connecting(true, 2), [lost, closedSocket]);
    expect(events(effects)).toEqual(['close']);
  });

  it("with reconnectPeriod 0 goes offline as after any close, without the 'offline' event (as MQTT.js)", () => {
    const { state, effects } = drive(connected(), [lost, closedSocket], noReconnect);
    expect(state.phase).toEqual({ status: 'offline', cause: offlineCause });
    expect(events(effects)).toEqual(['close']);
  });

  it('a reconnect() under way gives way to the network: wait instead of reconnecting on the close', () => {
    expect(step(connected('reconnect'), lost, policy).state).toEqual(connected('network', offlineCause));
  });

  it('keeps an earlier drop as the cause', () => {
    expect(step(connected('policy', reset), lost, policy).state).toEqual(connected('network', reset));
  });

  it('while reconnecting drops the pending backoff and shows offline at once', () => {
    const { state, effects } = step(reconnecting(), lost, policy);
    expect(state).toEqual(waiting());
    expect(effects).toEqual([fx.stopConnecting, fx.state]);
    expect(publicState(state)).toEqual({ status: 'offline', cause: offlineCause });
  });

  it('while beforeConnect runs (no socket yet) abandons the attempt; with reconnectPeriod 0 lets it run', () => {
    expect(step(connecting(false), lost, policy)).toEqual({ state: waiting(), effects: [fx.stopConnecting, fx.state] });
    expectIgnored(lost, [connecting(false)], noReconnect);
  });

  it('during end() closes the socket now, and the close ends the client', () => {
    const { state, effects } = drive(disconnecting(), [lost, closedSocket]);
    expect(state.phase).toEqual({ status: 'closed', cause: offlineCause });
    expect(events(effects)).toEqual(['close', 'end']);
  });

  it('is ignored without a connection to lose (idle, restoring, offline, already waiting, closed)', () => {
    expectIgnored(lost, [idle(), restoringClosed(), offline(), waiting(), closed()]);
  });
});

describe('lifecycle: network back (browser online)', () => {
  it("reconnects at once from waiting: reconnecting with no delay, then the attempt announces 'reconnect'", () => {
    const { state, effects } = step(waiting(), back, policy);
    expect(state.phase).toEqual({ status: 'reconnecting', attempt: 2, delayMs: 0, cause: offlineCause });
    expect(effects).toEqual([fx.state, fx.connect]);
    const attempt = step(state, { type: 'attempt' }, policy);
    expect(attempt.effects).toEqual([fx.reconnect, fx.state, fx.open]);
    expect(publicState(attempt.state)).toEqual({ status: 'connecting', attempt: 2, cause: offlineCause });
  });

  it('while reconnecting retries now instead of after the rest of the backoff delay (a fresh loop)', () => {
    expect(step(reconnecting(), back, policy)).toEqual({ state: reconnecting(), effects: [fx.stopConnecting, fx.connect] });
  });

  it('online during a running attempt does nothing (beforeConnect, socket opening, connected, ending)', () => {
    expectIgnored(back, [connecting(false), connecting(true), connected(), disconnecting()]);
  });

  it('online after end() does nothing', () => {
    expectIgnored(back, [closed(), restoringClosed()]);
  });

  it('online while offline for other reasons (reconnectPeriod 0, gave up) or never started does nothing', () => {
    expectIgnored(back, [offline(), idle()]);
  });

  it("reconnect() and end() while waiting for the network work as when offline", () => {
    expect(step(waiting(), { type: 'reconnect' }, policy).effects).toEqual([fx.reconnect, fx.connect]);
    const ended = step(waiting(), { type: 'end', force: false, request: {} }, policy);
    expect(ended.state.phase).toEqual({ status: 'closed' });
    expect(events(ended.effects)).toEqual(['end']);
  });
});

describe('lifecycle: page resumed (freeze/resume, visible, back/forward cache)', () => {
  it('probes a connected socket at once (a PINGREQ; no PINGRESP in time then drops it), and checks its close', () => {
    expect(step(connected(), resumed, policy)).toEqual({ state: connected('check'), effects: [fx.probe] });
    expect(step(connected('check'), resumed, policy)).toEqual({ state: connected('check'), effects: [fx.probe] });
  });

  it('the PINGRESP ends the check: a later close goes back to the backoff', () => {
    expect(step(connected('check'), { type: 'pingAnswered' }, policy)).toEqual({ state: connected(), effects: [] });
    expectIgnored({ type: 'pingAnswered' }, [connected(), connected('reconnect'), reconnecting()]);
  });

  it("a close before the PINGRESP (Chromium closes a frozen page's WebSocket) reconnects at once, announced as a drop", () => {
    const { state, effects } = drive(connected('check', reset), [closedSocket]);
    expect(state.phase).toEqual({ status: 'reconnecting', attempt: 2, delayMs: 0, cause: reset });
    expect(effects).toEqual([fx.closeLink, fx.settle, lostCause(reset), fx.stopConnecting, fx.state, fx.close, fx.guard, fx.offline, fx.connect]);
  });

  it('with reconnectPeriod 0 a close during the check goes offline, as any close', () => {
    expect(drive(connected('check', reset), [closedSocket], noReconnect).state.phase).toEqual({ status: 'offline', cause: reset });
  });

  it('a network loss during the check waits for the network', () => {
    expect(step(connected('check'), lost, policy).state).toEqual(connected('network', offlineCause));
  });

  it('retries a pending reconnect now, as online does', () => {
    expect(step(reconnecting(), resumed, policy)).toEqual({ state: reconnecting(), effects: [fx.stopConnecting, fx.connect] });
  });

  it('does nothing to a socket already being closed, an attempt, a wait for the network, or an ended client', () => {
    expectIgnored(resumed, [connected('reconnect'), connected('policy', reset), connecting(true), disconnecting(), waiting(), offline(), closed(), idle()]);
  });
});
