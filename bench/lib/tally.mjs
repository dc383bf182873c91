// What a receiving worker counts, shared by K2 and K3: messages carry a sequence number in their
// first 4 bytes; the tally finds losses, duplicates, reordering and malformed payloads, and takes
// the CPU/wall marks from the first measured message (warmup + 1) to the last.
import { cpuMicros, emit } from './worker.mjs';

/**
 * @param {{ warmup: number, count: number, size: number }} settings
 * @param {(seq: number, route: unknown) => boolean} [misrouted] K3: whether `seq` came through the wrong filter
 */
export function receiveTally({ warmup, count, size }, misrouted) {
  const total = warmup + count;
  const seen = new Uint8Array(total);
  let finish = () => {};
  const t = {
    total,
    received: 0,
    unique: 0,
    duplicates: 0,
    outOfOrder: 0,
    malformed: 0,
    misrouted: 0,
    lastSeq: -1,
    mark: undefined,
    end: undefined,
    /** Resolves once every message arrived once. */
    done: new Promise((resolve) => (finish = resolve)),
    /** One message's payload, delivered through `route` (K3's filter index). */
    record(payload, route) {
      t.received++;
      if (t.received === warmup + 1) t.mark = { cpu: cpuMicros(), t: performance.now() };
      const seq = payload.length === size ? payload.readUInt32BE(0) : total;
      if (seq >= total) t.malformed++;
      else if (misrouted?.(seq, route)) t.misrouted++;
      else if (seen[seq]) t.duplicates++;
      else {
        seen[seq] = 1;
        t.unique++;
        if (seq < t.lastSeq) t.outOfOrder++;
        t.lastSeq = seq;
        if (t.unique === total) {
          t.end = { cpu: cpuMicros(), t: performance.now() };
          finish();
        }
      }
    },
    /** The counts and, once measured, the CPU and rate figures, for the worker's result line. */
    summary() {
      const { received, unique, duplicates, outOfOrder, malformed, mark, end } = t;
      const out = { received, unique, lost: total - unique, duplicates, outOfOrder, malformed, maxRssMB: process.resourceUsage().maxRSS / 1024 };
      if (misrouted) out.misrouted = t.misrouted;
      if (mark && end) {
        const cpuUs = end.cpu - mark.cpu;
        const wallMs = end.t - mark.t;
        Object.assign(out, { cpuUs, wallMs, usPerMsg: cpuUs / count, msgsPerSec: (count / wallMs) * 1000, endWall: performance.timeOrigin + end.t });
      }
      return out;
    },
    /** `report(extra)`: fills `result` with the summary (and `extra`), judges it, prints it; once only. */
    reporter(result) {
      let reported = false;
      return (extra = {}) => {
        if (reported) return;
        reported = true;
        Object.assign(result, t.summary(), extra);
        result.ok = !result.failure && t.clean;
        emit(result);
      };
    },
    /** No loss, duplicate, malformed or misrouted message, and the last one arrived. */
    get clean() {
      return total - t.unique === 0 && t.duplicates === 0 && t.malformed === 0 && t.misrouted === 0 && t.end !== undefined;
    },
  };
  return t;
}
