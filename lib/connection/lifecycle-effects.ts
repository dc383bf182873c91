/**
 * The effects of the lifecycle machine (lifecycle.ts) that carry no data, made once and shared:
 * effects are never mutated.
 */
import type { Effect } from './lifecycle-state.js';

export const RECONNECT_EVENT: Effect = { type: 'event', event: { type: 'reconnect' } };
export const OFFLINE_EVENT: Effect = { type: 'event', event: { type: 'offline' } };
export const CLOSE_EVENT: Effect = { type: 'event', event: { type: 'close' } };
export const END_EVENT: Effect = { type: 'event', event: { type: 'end' } };
export const DESTROY: Effect = { type: 'destroyTransport', flush: false };
export const FLUSH_AND_DESTROY: Effect = { type: 'destroyTransport', flush: true };
export const STATE: Effect = { type: 'state' };
export const GUARD: Effect = { type: 'guard' };
export const STOP_CONNECTING: Effect = { type: 'stopConnecting' };
export const CONNECT: Effect = { type: 'connect' };
export const ABORT_COMMANDS: Effect = { type: 'abortCommands' };
export const STOP_TIMERS: Effect = { type: 'stopTimers' };
export const ENDED: Effect = { type: 'ended' };
export const START_END_TIMER: Effect = { type: 'startEndTimer' };
export const READ_STORE: Effect = { type: 'readStore' };
export const OPEN_TRANSPORT: Effect = { type: 'openTransport' };
export const CHECK_DRAINED: Effect = { type: 'checkDrained' };
export const CLOSE_LINK: Effect = { type: 'closeLink' };
/** Step the machine with a plain reconnect() (after a close that other stores must wait for). */
export const RECONNECT_INPUT: Effect = { type: 'input', input: { type: 'reconnect' } };
