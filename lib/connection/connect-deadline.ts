/**
 * The connect timeout of one attempt: a handshake signal under RxJS `timeout({ first })`. CONNACK
 * (or the end of the attempt) completes the signal, so nothing of it stays behind on a connected
 * client.
 */
import { EMPTY, Subject, timeout, type SchedulerLike } from 'rxjs';

/** The attempt's handshake signal; `timedOut` runs with it when it did not complete within `ms`. */
export function connectDeadline(ms: number, scheduler: SchedulerLike, timedOut: (handshake: Subject<void>) => void): Subject<void> {
  const handshake = new Subject<void>();
  const expire = () => {
    timedOut(handshake);
    return EMPTY;
  };
  handshake.pipe(timeout({ first: ms, scheduler, with: expire })).subscribe();
  return handshake;
}
