/**
 * The lifecycle machine's answers to what the browser says about the network and the page
 * (lib/platform/page-lifecycle.browser.ts): pure steps like the rest of lifecycle.ts.
 *
 * - `networkLost` (`offline`): a socket that cannot carry bytes is closed now rather than after a
 *   keepalive timeout, and no retry runs until the network is back (state `offline` at once).
 * - `networkBack` (`online`): a client waiting for the network, or for the rest of a backoff
 *   delay, connects now. A client that is connected, connecting or ended is left alone.
 * - `pageResumed` (freeze then resume, hidden then visible, restored from the back/forward
 *   cache): a connected client sends a PINGREQ now, so a socket that died while the page slept is
 *   found within the PINGRESP timeout, and reconnects at once if it closes before the PINGRESP
 *   (`pingAnswered`); a client waiting for its backoff retries now.
 */
import { CLOSE_EVENT, CONNECT, DESTROY, GUARD, OFFLINE_EVENT, STATE, STOP_CONNECTING } from './lifecycle-effects.js';
import { assertNever, same, withPhase, type After, type Effect, type Lifecycle, type LifecycleConfig, type Step } from './lifecycle-state.js';

const PROBE: Effect = { type: 'probe' };

export function networkLost(state: Lifecycle, cause: Error, config: LifecycleConfig): Step {
  const phase = state.phase;
  switch (phase.status) {
    case 'connecting':
      if (!phase.transport) return config.autoReconnect ? waitForNetwork(state, cause) : same(state);
      return withPhase(state, { ...phase, after: afterLoss(phase.after), dropped: phase.dropped ?? cause }, [DESTROY]);
    case 'connected':
      // The close comes back as 'transportClosed', and closeSettled reads `after`.
      return withPhase(state, { ...phase, after: afterLoss(phase.after), dropped: phase.dropped ?? cause }, [DESTROY]);
    case 'disconnecting':
      // No DISCONNECT can get through: end() ends on the close rather than on its timeout.
      return withPhase(state, { ...phase, dropped: phase.dropped ?? cause }, [DESTROY]);
    case 'reconnecting':
    case 'backingOff':
      return waitForNetwork(state, cause);
    case 'idle':
    case 'restoring':
    case 'offline':
    case 'waitingForNetwork':
    case 'closed':
      return same(state);
    default:
      return assertNever(phase);
  }
}

/** Wait for the network instead of the backoff; an end() under way still ends. */
function afterLoss(after: After): After {
  return after === 'end' || after === 'endThenStart' ? after : 'network';
}

/** No socket: the pending retry (or the attempt still in `beforeConnect`) is dropped until 'networkBack'. */
function waitForNetwork(state: Lifecycle, cause: Error): Step {
  return withPhase({ ...state, lastCause: cause }, { status: 'waitingForNetwork', cause }, [STOP_CONNECTING, STATE]);
}

export function networkBack(state: Lifecycle): Step {
  const phase = state.phase;
  if (phase.status === 'waitingForNetwork') {
    // Shown as reconnecting until the loop's first attempt, which announces 'reconnect' and connecting.
    return withPhase(state, { status: 'reconnecting', attempt: state.attempt + 1, delayMs: 0, cause: phase.cause }, [STATE, CONNECT]);
  }
  // A fresh loop drops the pending delay; its attempt announces itself ('reconnect', connecting).
  if (phase.status === 'reconnecting') return { state, effects: [STOP_CONNECTING, CONNECT] };
  return same(state);
}

export function pageResumed(state: Lifecycle): Step {
  const phase = state.phase;
  if (phase.status === 'connected' && (phase.after === 'policy' || phase.after === 'check') && !phase.dropped) {
    return withPhase(state, { ...phase, after: 'check' }, [PROBE]);
  }
  if (phase.status === 'reconnecting') return networkBack(state);
  return same(state);
}

/** The PINGRESP of the check (or any later one): the socket survived, its close goes back to the policy. */
export function pingAnswered(state: Lifecycle): Step {
  const phase = state.phase;
  return phase.status === 'connected' && phase.after === 'check' ? withPhase(state, { ...phase, after: 'policy' }, []) : same(state);
}

/**
 * What follows the close of a socket the network or the page decided about (with autoReconnect):
 * `network` waits for 'networkBack'; `check` reconnects at once. Announced as the backoff's
 * 'retrying' would have been ('offline' only for the first close since the client was connected).
 * Undefined for the other `after`s.
 */
export function closedByNetworkOrPage(state: Lifecycle, after: After, cause: Error, offlineEvent: boolean): Step | undefined {
  if (after !== 'network' && after !== 'check') return undefined;
  const effects: Effect[] = [{ type: 'lost', cause }, STOP_CONNECTING, STATE, CLOSE_EVENT, GUARD];
  if (offlineEvent) effects.push(OFFLINE_EVENT);
  if (after === 'network') return withPhase(state, { status: 'waitingForNetwork', cause }, effects);
  effects.push(CONNECT);
  return withPhase(state, { status: 'reconnecting', attempt: state.attempt + 1, delayMs: 0, cause }, effects);
}
