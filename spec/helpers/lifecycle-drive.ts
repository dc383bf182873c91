// Steps the pure connection lifecycle (lib/connection/lifecycle.ts) through a list of inputs as
// the shell does when no listener intervenes: an `input` effect is fed back in place.
import { step } from '../../lib/connection/lifecycle.js';
import type { Effect, Lifecycle, LifecycleConfig, LifecycleInput, Step } from '../../lib/connection/lifecycle.js';

/** Reconnects after a drop; a refused CONNACK that no retry can fix ends the client. */
export const policy: LifecycleConfig = { autoReconnect: true, reconnectOnConnackError: false };

/** The state after `inputs`, and every effect on the way (nested `input` effects included, in order). */
export function drive(state: Lifecycle, inputs: LifecycleInput[], config = policy): Step {
  const effects: Effect[] = [];
  for (const next of inputs) {
    const result = step(state, next, config);
    state = result.state;
    for (const effect of result.effects) {
      effects.push(effect);
      if (effect.type !== 'input') continue;
      const nested = drive(state, [effect.input], config);
      state = nested.state;
      effects.push(...nested.effects);
    }
  }
  return { state, effects };
}
