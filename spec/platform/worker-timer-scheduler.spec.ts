// The worker-timer scheduler with a fake worker (the test fires its timers) and jest's fake
// timers for the setTimeout fallback: RxJS timers, intervals and cancellation run through it.
import { jest } from '@jest/globals';
import { interval, take, timer } from 'rxjs';
import { workerTimers, workerTimerScheduler, type TimerWorker } from '../../lib/platform/worker-timer-scheduler.js';

class FakeWorker implements TimerWorker {
  static started: FakeWorker[] = [];
  onmessage: TimerWorker['onmessage'] = null;
  onerror: TimerWorker['onerror'] = null;
  /** Timers the page asked for and has not cancelled: id -> delay. */
  readonly timers = new Map<number, number>();

  constructor(readonly source: string) {
    FakeWorker.started.push(this);
  }

  postMessage([op, id, ms]: [op: 'set' | 'clear', id: number, ms?: number]): void {
    if (op === 'set') this.timers.set(id, ms!);
    else this.timers.delete(id);
  }

  /** Fires every pending timer, as the worker would when they are due. */
  fireAll(): void {
    const due = [...this.timers.keys()];
    this.timers.clear();
    for (const id of due) this.onmessage?.({ data: id });
  }
}

const fakeWorker = (source: string) => new FakeWorker(source);

describe('workerTimerScheduler', () => {
  beforeEach(() => {
    FakeWorker.started = [];
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('starts one worker on the first timer and runs an RxJS timer when the worker says it is due', () => {
    const scheduler = workerTimerScheduler(workerTimers(fakeWorker));
    expect(FakeWorker.started).toHaveLength(0);
    const values: number[] = [];
    timer(1500, scheduler).subscribe((v) => values.push(v));
    timer(10, scheduler).subscribe((v) => values.push(v + 100));
    expect(FakeWorker.started).toHaveLength(1);
    const worker = FakeWorker.started[0];
    expect([...worker.timers.values()]).toEqual([1500, 10]);
    expect(worker.source).toMatch(/setTimeout/);
    worker.fireAll();
    expect(values).toEqual([0, 100]);
  });

  it('re-arms an action that schedules itself again (interval)', () => {
    const scheduler = workerTimerScheduler(workerTimers(fakeWorker));
    const values: number[] = [];
    interval(1000, scheduler).pipe(take(3)).subscribe((v) => values.push(v));
    const worker = FakeWorker.started[0];
    for (let i = 0; i < 3; i++) {
      expect([...worker.timers.values()]).toEqual([1000]);
      worker.fireAll();
    }
    expect(values).toEqual([0, 1, 2]);
    expect(worker.timers.size).toBe(0);
  });

  it('cancels the worker timer when the subscription ends', () => {
    const scheduler = workerTimerScheduler(workerTimers(fakeWorker));
    const values: number[] = [];
    const subscription = timer(5000, scheduler).subscribe((v) => values.push(v));
    const worker = FakeWorker.started[0];
    expect(worker.timers.size).toBe(1);
    subscription.unsubscribe();
    expect(worker.timers.size).toBe(0);
    worker.onmessage?.({ data: 1 });
    expect(values).toEqual([]);
  });

  it('falls back to setTimeout when no worker can start (no Worker, or a CSP refusing blob:)', () => {
    jest.useFakeTimers();
    const scheduler = workerTimerScheduler(
      workerTimers(() => {
        throw new Error('SecurityError: worker-src');
      }),
    );
    const values: number[] = [];
    timer(2000, scheduler).subscribe((v) => values.push(v));
    jest.advanceTimersByTime(1999);
    expect(values).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(values).toEqual([0]);
  });

  it('uses setTimeout by default where the runtime has no Worker (Node)', () => {
    jest.useFakeTimers();
    const values: number[] = [];
    timer(100, workerTimerScheduler()).subscribe((v) => values.push(v));
    jest.advanceTimersByTime(100);
    expect(values).toEqual([0]);
  });

  it('re-arms pending timers on setTimeout when the worker fails after starting', () => {
    jest.useFakeTimers();
    const scheduler = workerTimerScheduler(workerTimers(fakeWorker));
    const values: number[] = [];
    timer(3000, scheduler).subscribe((v) => values.push(v));
    jest.advanceTimersByTime(1000);
    FakeWorker.started[0].onerror?.({});
    jest.advanceTimersByTime(1999);
    expect(values).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(values).toEqual([0]);
    // Later timers go straight to setTimeout.
    timer(10, scheduler).subscribe((v) => values.push(v + 1));
    jest.advanceTimersByTime(10);
    expect(values).toEqual([0, 1]);
    expect(FakeWorker.started).toHaveLength(1);
  });

  it('reads the clock like asyncScheduler', () => {
    jest.useFakeTimers({ now: 1_700_000_000_000 });
    expect(workerTimerScheduler(workerTimers(fakeWorker)).now()).toBe(1_700_000_000_000);
  });
});
