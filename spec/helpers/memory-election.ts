/**
 * An in-memory Election for Node specs (Node has BroadcastChannel but no `navigator.locks`): the
 * candidates of a key queue up in order; the first leads until it resigns, then the next.
 */
import type { Election } from '../../lib/sharing/election.js';

export function memoryElection(): Election {
  const queues = new Map<string, Array<() => void>>();
  const crown = (queue: Array<() => void>) => {
    const leader = queue[0];
    if (leader) queueMicrotask(() => queue[0] === leader && leader());
  };
  return {
    campaign(key, onLead) {
      let queue = queues.get(key);
      if (queue === undefined) queues.set(key, (queue = []));
      const candidate = () => onLead();
      queue.push(candidate);
      if (queue.length === 1) crown(queue);
      return () => {
        const at = queue.indexOf(candidate);
        if (at < 0) return;
        queue.splice(at, 1);
        if (at === 0) crown(queue);
      };
    },
  };
}
