import { asyncScheduler, defer, Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { backoffDelay, BackoffCounter, DEFAULT_BACKOFF, resolveBackoff } from '../../lib/connection/backoff-policy.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import { retryBackoff } from '../../operators/retryBackoff.js';

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

const noJitter = { jitter: 0 };

describe('retryBackoff', () => {
  it('resubscribes after initialDelay * factor^(n-1) and passes the error through after maxAttempts', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-#');
      const result = source.pipe(retryBackoff({ initialDelay: 10, factor: 2, maxAttempts: 2, ...noJitter }));
      expectObservable(result).toBe('a 11ms a 21ms a-#');
      expectSubscriptions(source.subscriptions).toBe(['^-!', '12ms ^-!', '34ms ^-!']);
    });
  });

  it('caps every delay at maxDelay', () => {
    testScheduler().run(({ cold, expectSubscriptions, expectObservable }) => {
      const source = cold('#');
      // delays 10, 20, then 40 and 80 capped at 25
      const result = source.pipe(retryBackoff({ initialDelay: 10, factor: 2, maxDelay: 25, maxAttempts: 4, ...noJitter }));
      expectObservable(result).toBe('80ms #');
      expectSubscriptions(source.subscriptions).toBe(['(^!)', '10ms (^!)', '30ms (^!)', '55ms (^!)', '80ms (^!)']);
    });
  });

  it('keeps the delay fixed with factor 1', () => {
    testScheduler().run(({ cold, expectSubscriptions }) => {
      const source = cold('#');
      source.pipe(retryBackoff({ initialDelay: 7, factor: 1, maxAttempts: 3, ...noJitter })).subscribe({ error: () => undefined });
      expectSubscriptions(source.subscriptions).toBe(['(^!)', '7ms (^!)', '14ms (^!)', '21ms (^!)']);
    });
  });

  it('shortens each delay by jitter * random() * base', () => {
    testScheduler().run(({ cold, expectSubscriptions }) => {
      const source = cold('#');
      // random 0.5, jitter 0.5: 100 * 0.75 = 75, then 200 * 0.75 = 150
      source.pipe(retryBackoff({ initialDelay: 100, factor: 2, jitter: 0.5, maxAttempts: 2, random: () => 0.5 })).subscribe({ error: () => undefined });
      expectSubscriptions(source.subscriptions).toBe(['(^!)', '75ms (^!)', '225ms (^!)']);
    });
  });

  it('waits 0 ms with full jitter when random() is 0.999..., and the whole base when it is 0', () => {
    testScheduler().run(({ cold, expectSubscriptions }) => {
      const low = cold('#');
      const high = cold('#');
      low.pipe(retryBackoff({ initialDelay: 100, jitter: 1, maxAttempts: 1, random: () => 0.9999 })).subscribe({ error: () => undefined });
      high.pipe(retryBackoff({ initialDelay: 100, jitter: 1, maxAttempts: 1, random: () => 0 })).subscribe({ error: () => undefined });
      expectSubscriptions(low.subscriptions).toBe(['(^!)', '(^!)']);
      expectSubscriptions(high.subscriptions).toBe(['(^!)', '100ms (^!)']);
    });
  });

  it('resets the attempt count when the source stayed up resetAfter ms before failing', () => {
    const subscribedAt: number[] = [];
    testScheduler().run(({ expectObservable }) => {
      let subscriptions = 0;
      const source = new Observable<never>((subscriber) => {
        subscribedAt.push(asyncScheduler.now());
        // The third subscription stays up exactly resetAfter ms; the others fail at once.
        const upFor = ++subscriptions === 3 ? 50 : 0;
        return asyncScheduler.schedule(() => subscriber.error(new Error('x')), upFor);
      });
      const result = source.pipe(retryBackoff({ initialDelay: 10, factor: 2, resetAfter: 50, maxAttempts: 4, ...noJitter }));
      expectObservable(result).toBe('230ms #', undefined, new Error('x'));
    });
    // 0 +10, 10 +20, 30 up until 80: reset, +10, 90 +20, 110 +40, 150 +80, 230: 4 retries used up.
    expect(subscribedAt).toEqual([0, 10, 30, 90, 110, 150, 230]);
  });

  it('does not reset when the source failed before resetAfter', () => {
    testScheduler().run(({ expectObservable }) => {
      let subscriptions = 0;
      const times: number[] = [];
      const source = new Observable<never>((subscriber) => {
        times.push(asyncScheduler.now());
        // Up 49 ms on the third subscription: one short of resetAfter.
        const upFor = ++subscriptions === 3 ? 49 : 0;
        return asyncScheduler.schedule(() => subscriber.error(new Error('x')), upFor);
      });
      const result = source.pipe(retryBackoff({ initialDelay: 10, factor: 2, resetAfter: 50, maxAttempts: 3, ...noJitter }));
      // 0 +10 -> 10 +20 -> 30, fails at 79 +40 -> 119, fails: 3 retries used up.
      expectObservable(result).toBe('119ms #', undefined, new Error('x'));
    });
  });

  it('passes the error through at once when shouldRetry says no, without counting it', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const fatal = new Error('fatal');
      const source = cold('-#', undefined, fatal);
      const result = source.pipe(retryBackoff({ initialDelay: 10, shouldRetry: (e) => e !== fatal }));
      expectObservable(result).toBe('-#', undefined, fatal);
      expectSubscriptions(source.subscriptions).toBe('^!');
    });
  });

  it('passes the error through when shouldRetry throws', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-#');
      const result = source.pipe(
        retryBackoff({
          shouldRetry: () => {
            throw new Error('classifier bug');
          },
        }),
      );
      expectObservable(result).toBe('-#');
    });
  });

  it('passes values and completion through', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a-b-|').pipe(retryBackoff({ initialDelay: 10 }))).toBe('a-b-|');
    });
  });

  it('never retries with maxAttempts 0', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('--#').pipe(retryBackoff({ maxAttempts: 0 }))).toBe('--#');
    });
  });

  it('cancels the pending retry when unsubscribed', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('#');
      expectObservable(source.pipe(retryBackoff({ initialDelay: 10, ...noJitter })), '^ 15ms !').toBe('');
      expectSubscriptions(source.subscriptions).toBe(['(^!)', '10ms (^!)']);
    });
  });

  it('backs off on its own for every subscriber', () => {
    testScheduler().run(({ cold, expectSubscriptions }) => {
      const source = cold('#');
      const retried = source.pipe(retryBackoff({ initialDelay: 10, maxAttempts: 1, ...noJitter }));
      retried.subscribe({ error: () => undefined });
      testSchedulerDelay(5, () => retried.subscribe({ error: () => undefined }));
      expectSubscriptions(source.subscriptions).toBe(['(^!)', '5ms (^!)', '10ms (^!)', '15ms (^!)']);
    });
  });

  it('waits on the scheduler it is given', () => {
    const scheduler = testScheduler();
    const subscribedAt: number[] = [];
    const source = new Observable<never>((subscriber) => {
      subscribedAt.push(scheduler.now());
      subscriber.error(new Error('x'));
    });
    source.pipe(retryBackoff({ initialDelay: 30, maxAttempts: 1, scheduler, ...noJitter })).subscribe({ error: () => undefined });
    scheduler.flush();
    expect(subscribedAt).toEqual([0, 30]);
  });

  it('throws an InvalidArgumentError for a config out of range', () => {
    expect(() => retryBackoff({ jitter: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => retryBackoff({ factor: 0.5 })).toThrow(/factor/);
    expect(() => retryBackoff({ initialDelay: -1 })).toThrow(/initialDelay/);
    expect(() => retryBackoff({ maxDelay: 2 ** 31 })).toThrow(/maxDelay/);
    expect(() => retryBackoff({ maxAttempts: 1.5 })).toThrow(/maxAttempts/);
    expect(() => retryBackoff({ resetAfter: Number.NaN })).toThrow(/resetAfter/);
  });
});

/** Runs `fn` after `ms` of virtual time (inside TestScheduler#run, asyncScheduler is virtual). */
function testSchedulerDelay(ms: number, fn: () => void): void {
  asyncScheduler.schedule(fn, ms);
}

describe('backoffDelay', () => {
  const policy = { initialDelay: 1000, maxDelay: 30_000, factor: 2, jitter: 0 };

  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [5, 16_000],
    [6, 30_000],
    [60, 30_000],
    [5000, 30_000],
  ])('gives retry %i a base delay of %i ms without jitter', (attempt, expected) => {
    expect(backoffDelay(attempt, policy)).toBe(expected);
  });

  it.each([0, 0.25, 0.5, 0.999999])('stays within [base * (1 - jitter), base] for random() = %f', (r) => {
    for (let attempt = 1; attempt <= 8; attempt++) {
      const base = Math.min(30_000, 1000 * 2 ** (attempt - 1));
      const delay = backoffDelay(attempt, { ...policy, jitter: 0.5 }, () => r);
      expect(delay).toBeGreaterThanOrEqual(Math.round(base * 0.5));
      expect(delay).toBeLessThanOrEqual(base);
      expect(Number.isInteger(delay)).toBe(true);
    }
  });

  it('keeps a random source that strays out of [0, 1) within the bounds', () => {
    expect(backoffDelay(1, { ...policy, jitter: 0.5 }, () => 7)).toBe(500);
    expect(backoffDelay(1, { ...policy, jitter: 0.5 }, () => -3)).toBe(1000);
  });

  it('does not call random() without jitter', () => {
    let calls = 0;
    expect(backoffDelay(1, policy, () => ++calls)).toBe(1000);
    expect(calls).toBe(0);
  });

  it('stays 0 with initialDelay 0 however many retries', () => {
    expect(backoffDelay(100_000, { ...policy, initialDelay: 0 })).toBe(0);
  });
});

describe('retryBackoff onRetry and upFrom', () => {
  it('tells onRetry the retry number, the delay and the error before each wait, and not when it gives up', () => {
    const scheduler = testScheduler();
    const at: number[] = [];
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('a-#', undefined, 'boom');
      const result = source.pipe(retryBackoff({ initialDelay: 10, factor: 2, maxAttempts: 2, ...noJitter, onRetry: () => at.push(scheduler.now()) }));
      expectObservable(result).toBe('a 11ms a 21ms a-#', undefined, 'boom');
    });
    // Told when each try failed (frames 2 and 14), before the wait, not when the third gave up.
    expect(at).toEqual([2, 14]);
    // Checked outside run(): the marble comparison flushes the scheduler first.
    const told: Array<{ attempt: number; delayMs: number; error: unknown }> = [];
    testScheduler().run(({ cold }) => {
      cold('a-#', undefined, 'boom')
        .pipe(retryBackoff({ initialDelay: 10, factor: 2, maxAttempts: 2, ...noJitter, onRetry: (r) => told.push(r) }))
        .subscribe({ error: () => undefined });
    });
    expect(told).toEqual([
      { attempt: 1, delayMs: 10, error: 'boom' },
      { attempt: 2, delayMs: 20, error: 'boom' },
    ]);
  });

  it('does not wait when onRetry made the subscriber unsubscribe', () => {
    testScheduler().run(({ cold, expectSubscriptions }) => {
      const source = cold('#');
      const subscription = source
        .pipe(retryBackoff({ initialDelay: 5, ...noJitter, onRetry: () => subscription.unsubscribe() }))
        .subscribe({ error: () => undefined });
      expectSubscriptions(source.subscriptions).toBe(['(^!)']);
    });
  });

  it("with upFrom 'firstValue' resets the count only after a try that emitted and then stayed up resetAfter", () => {
    testScheduler().run(({ cold, expectSubscriptions }) => {
      // Each try takes 30 ms to fail and never emits: never up, so the delays keep growing
      // (10, 20, 40) although every try lasted longer than resetAfter (20).
      const silent = cold('30ms #');
      silent.pipe(retryBackoff({ initialDelay: 10, factor: 2, resetAfter: 20, maxAttempts: 3, upFrom: 'firstValue', ...noJitter })).subscribe({ error: () => undefined });
      expectSubscriptions(silent.subscriptions).toBe(['^ 29ms !', '40ms ^ 29ms !', '90ms ^ 29ms !', '160ms ^ 29ms !']);
    });
    const scheduler = testScheduler();
    const subscribedAt: number[] = [];
    scheduler.run(({ cold }) => {
      // The same tries with the default upFrom ('subscribe') count as up for 30 ms: each resets the
      // count, so the delay stays 10; then tries that fail at once grow it to 20 and give up.
      const source = defer(() => {
        subscribedAt.push(scheduler.now());
        return subscribedAt.length <= 3 ? cold('30ms #') : cold('#');
      });
      source.pipe(retryBackoff({ initialDelay: 10, factor: 2, resetAfter: 20, maxAttempts: 2, ...noJitter })).subscribe({ error: () => undefined });
    });
    expect(subscribedAt).toEqual([0, 40, 80, 120, 140]);
    const flakyScheduler = testScheduler();
    const startedAt: number[] = [];
    flakyScheduler.run(({ cold }) => {
      // The first two tries are up at their first value (10 ms in) and fail 25 ms later: up 25 >= 20,
      // so each resets the count and the next retry waits initialDelay again. Later tries fail at
      // once without a value, so the delays grow (10, then 20) until maxAttempts passes the error.
      const source = defer(() => {
        startedAt.push(flakyScheduler.now());
        return startedAt.length <= 2 ? cold('10ms a 24ms #') : cold('#');
      });
      source.pipe(retryBackoff({ initialDelay: 10, factor: 2, resetAfter: 20, maxAttempts: 2, upFrom: 'firstValue', ...noJitter })).subscribe({ error: () => undefined });
    });
    expect(startedAt).toEqual([0, 45, 90, 110]);
  });
});

describe('BackoffCounter', () => {
  it('gives up after maxAttempts and resets after a long enough try', () => {
    const counter = new BackoffCounter(resolveBackoff({ initialDelay: 10, maxAttempts: 2, resetAfter: 100, jitter: 0 }));
    expect([counter.next(), counter.next(), counter.next()]).toEqual([10, 20, undefined]);
    expect(counter.next(99)).toBeUndefined();
    expect(counter.next(100)).toBe(10);
  });

  it('has the documented defaults', () => {
    expect(resolveBackoff()).toEqual({ ...DEFAULT_BACKOFF });
    expect(DEFAULT_BACKOFF).toEqual({ initialDelay: 1000, maxDelay: 30_000, factor: 2, jitter: 0.5, maxAttempts: Infinity, resetAfter: 10_000 });
  });
});
