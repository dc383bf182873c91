/**
 * Holds a client's publishes in flight at an aedes broker: each PUBLISH of `clientId` is recorded
 * (`payload#id`, `+dup` when DUP=1) and, while `hold()` is true, never authorised, so the broker
 * sends no PUBACK / PUBREC for it.
 */
import type { AedesHandle } from './aedes.js';
import type { IPublishPacket } from '../../lib/protocol/codec.js';

export function withholdPublishAcks(aedes: AedesHandle, clientId: string, hold: () => boolean) {
  const seen: string[] = [];
  let arrived: (() => void) | undefined;
  aedes.broker.authorizePublish = (from, packet, callback) => {
    if (from?.id === clientId) {
      const { payload, messageId, dup } = packet as IPublishPacket;
      seen.push(`${payload.toString()}#${messageId}${dup ? '+dup' : ''}`);
      arrived?.();
      if (hold()) return;
    }
    callback(null);
  };
  return {
    seen,
    /** Resolves once the broker was handed `n` PUBLISHes of the client in all. */
    count: (n: number) => (seen.length >= n ? Promise.resolve() : new Promise<void>((resolve) => (arrived = () => seen.length >= n && resolve()))),
  };
}
