import { Observable, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { AckTimeoutError, InvalidArgumentError, MqttError } from '../../lib/errors.js';
import { awaitAck } from '../../operators/awaitAck.js';

const results = { r: { messageId: 1 } };

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('awaitAck', () => {
  it('mirrors a source that completes within the timeout', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('---(r|)', results);
      expectObservable(source.pipe(awaitAck({ timeout: 5 }))).toBe('---(r|)', results);
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('errors with an AckTimeoutError when the source has not completed after timeout ms, and unsubscribes from it', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('---------(r|)', results);
      expectObservable(source.pipe(awaitAck({ timeout: 5 }))).toBe('-----#', results, new AckTimeoutError(5));
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
  });

  it('matches the marble diagram of its documentation', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('---(r|)', results).pipe(awaitAck({ timeout: 5 }))).toBe('---(r|)', results);
      expectObservable(cold('---------(r|)', results).pipe(awaitAck({ timeout: 5 }))).toBe('-----#', results, new AckTimeoutError(5));
    });
  });

  it('keeps the timer running after a value until the source completes', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-r-----|', results).pipe(awaitAck(4))).toBe('-r--#', results, new AckTimeoutError(4));
      expectObservable(cold('-r-r|', results).pipe(awaitAck(5))).toBe('-r-r|', results);
    });
  });

  it('times out when the completion would come at the very instant of the timeout', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      // The timer was scheduled before the source's own actions, so at frame 5 it runs first.
      expectObservable(cold('-----(r|)', results).pipe(awaitAck(5))).toBe('-----#', results, new AckTimeoutError(5));
      expectObservable(cold('----(r|)', results).pipe(awaitAck(5))).toBe('----(r|)', results);
    });
  });

  it('passes a source error through and stops the timer', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const refused = new MqttError('ERR_PUBLISH', 'refused');
      expectObservable(cold('--#', undefined, refused).pipe(awaitAck(5))).toBe('--#', undefined, refused);
    });
  });

  it('completes at once with a source that completes synchronously, leaving no timer behind', () => {
    const scheduler = testScheduler();
    const seen: string[] = [];
    new Observable<number>((subscriber) => {
      subscriber.next(1);
      subscriber.complete();
    })
      .pipe(awaitAck({ timeout: 10, scheduler }))
      .subscribe({ next: (v) => seen.push(`next:${v}`), error: () => seen.push('error'), complete: () => seen.push('complete') });
    expect(seen).toEqual(['next:1', 'complete']);
    expect(scheduler.actions).toHaveLength(0);
  });

  it('stops the timer when unsubscribed', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-------(r|)', results);
      expectObservable(source.pipe(awaitAck(5)), '^--!').toBe('---', results);
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('times every subscription on its own', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const waited = cold('---(r|)', results).pipe(awaitAck(4));
      expectObservable(waited).toBe('---(r|)', results);
      expectObservable(waited, '--^').toBe('-----(r|)', results);
    });
  });

  it('errors at once with timeout 0 unless the source completes synchronously', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-(r|)', results).pipe(awaitAck(0))).toBe('#', results, new AckTimeoutError(0));
      expectObservable(of(results.r).pipe(awaitAck(0))).toBe('(r|)', results);
    });
  });

  it('reports the timeout as an AckTimeoutError carrying its code and timeoutMs', () => {
    let error: unknown;
    testScheduler().run(({ cold }) => {
      cold('-----|').pipe(awaitAck({ timeout: 3 })).subscribe({ error: (err) => (error = err) });
    });
    expect(error).toBeInstanceOf(AckTimeoutError);
    expect(error).toBeInstanceOf(MqttError);
    expect(error).toMatchObject({ code: 'ERR_ACK_TIMEOUT', timeoutMs: 3, message: 'No acknowledgement within 3 ms' });
  });

  it('waits on the scheduler it is given', () => {
    const scheduler = testScheduler();
    let error: unknown;
    new Observable<never>(() => undefined).pipe(awaitAck({ timeout: 30, scheduler })).subscribe({ error: (err) => (error = err) });
    scheduler.flush();
    expect(scheduler.now()).toBe(30);
    expect(error).toBeInstanceOf(AckTimeoutError);
  });

  it.each([-1, NaN, Infinity, '5' as unknown as number, undefined as unknown as number])(
    'throws an InvalidArgumentError at the call for the timeout %p',
    (timeout) => {
      expect(() => awaitAck(timeout)).toThrow(InvalidArgumentError);
      expect(() => awaitAck({ timeout })).toThrow(InvalidArgumentError);
    },
  );
});
