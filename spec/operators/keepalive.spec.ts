import { merge, Subject, tap } from 'rxjs';
import type { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { InvalidArgumentError, TimeoutError } from '../../lib/errors.js';
import { keepalive } from '../../operators/keepalive.js';
import type { KeepaliveConfig, KeepaliveSignal } from '../../operators/keepalive.js';

/** s = 'sent', p = 'pong', x = 'probe' on the source; P = 'ping' on the result. */
const signals: Record<string, KeepaliveSignal> = { s: 'sent', p: 'pong', x: 'probe' };
const pings = { P: 'ping' } as const;
const timeout = (ms: number) => new TimeoutError('ERR_KEEPALIVE_TIMEOUT', 'Keepalive timeout', ms);

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** Wires the result back like a connection would: every emitted ping is written, so it comes back as `echo`. */
function withEcho(source: Observable<KeepaliveSignal>, config: KeepaliveConfig, echo: KeepaliveSignal = 'sent') {
  const written = new Subject<KeepaliveSignal>();
  return merge(source, written).pipe(
    keepalive(config),
    tap(() => written.next(echo)),
  );
}

describe('keepalive', () => {
  it('emits a ping after intervalMs without a sent packet', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const source = hot<KeepaliveSignal>('-', signals);
      expectObservable(source.pipe(keepalive({ intervalMs: 10 })), '^ 14ms !').toBe('10ms P', pings);
    });
  });

  it('postpones the ping by intervalMs after each sent packet', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const source = hot<KeepaliveSignal>('5ms s 6ms s', signals);
      expectObservable(source.pipe(keepalive({ intervalMs: 10 })), '^ 25ms !').toBe('22ms P', pings);
    });
  });

  it('pings every intervalMs whatever is sent when reschedulePings is false', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const source = hot<KeepaliveSignal>('5ms s 5ms p s 8ms p', signals);
      const result = source.pipe(keepalive({ intervalMs: 10, reschedulePings: false }));
      expectObservable(result, '^ 25ms !').toBe('10ms P 9ms P', pings);
    });
  });

  it('errors with ERR_KEEPALIVE_TIMEOUT when no pong arrives within intervalMs after a ping', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const source = hot<KeepaliveSignal>('-', signals);
      expectObservable(source.pipe(keepalive({ intervalMs: 10 }))).toBe('10ms P 9ms #', pings, timeout(10));
    });
  });

  it('waits timeoutMs for the pong when it is given', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const source = hot<KeepaliveSignal>('-', signals);
      expectObservable(source.pipe(keepalive({ intervalMs: 10, timeoutMs: 3 }))).toBe('10ms P 2ms #', pings, timeout(3));
    });
  });

  it('does not ping again while a pong is overdue when timeoutMs exceeds intervalMs', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const source = hot<KeepaliveSignal>('-', signals);
      expectObservable(source.pipe(keepalive({ intervalMs: 10, timeoutMs: 25 }))).toBe('10ms P 24ms #', pings, timeout(25));
    });
  });

  it('cancels the timeout when the pong arrives', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const source = hot<KeepaliveSignal>('12ms p', signals);
      expectObservable(source.pipe(keepalive({ intervalMs: 10 }))).toBe('10ms P 9ms P 9ms #', pings, timeout(10));
    });
  });

  describe("'probe' (check the connection now)", () => {
    it('pings at once and errors after timeoutMs without a pong, long before the interval', () => {
      testScheduler().run(({ hot, expectObservable }) => {
        const source = hot<KeepaliveSignal>('3ms x', signals);
        expectObservable(source.pipe(keepalive({ intervalMs: 1000, timeoutMs: 5 }))).toBe('3ms P 4ms #', pings, timeout(5));
      });
    });

    it('a pong after a probe keeps the connection, and the next ping is one interval after the probe', () => {
      testScheduler().run(({ hot, expectObservable }) => {
        const source = hot<KeepaliveSignal>('3ms x p', signals);
        expectObservable(source.pipe(keepalive({ intervalMs: 10, timeoutMs: 5 })), '^ 14ms !').toBe('3ms P 9ms P', pings);
      });
    });

    it('is ignored while a pong is awaited (one PINGREQ in flight, its timeout unchanged)', () => {
      testScheduler().run(({ hot, expectObservable }) => {
        const source = hot<KeepaliveSignal>('12ms x', signals);
        expectObservable(source.pipe(keepalive({ intervalMs: 10, timeoutMs: 5 }))).toBe('10ms P 4ms #', pings, timeout(5));
      });
    });

    it('is ignored when intervalMs is 0 (keepalive off)', () => {
      testScheduler().run(({ hot, expectObservable }) => {
        const source = hot<KeepaliveSignal>('3ms x', signals);
        expectObservable(source.pipe(keepalive({ intervalMs: 0 })), '^ 50ms !').toBe('-', pings);
      });
    });
  });

  it('reports the timeout as a TimeoutError carrying its code', () => {
    const scheduler = testScheduler();
    let error: unknown;
    scheduler.run(({ hot }) => {
      hot<KeepaliveSignal>('-', signals).pipe(keepalive({ intervalMs: 10 })).subscribe({ error: (err) => (error = err) });
    });
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: 'ERR_KEEPALIVE_TIMEOUT', message: 'Keepalive timeout', timeoutMs: 10 });
  });

  it('keeps the timeout running when the ping itself comes back as sent', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const source = hot<KeepaliveSignal>('-', signals);
      expectObservable(withEcho(source, { intervalMs: 10 })).toBe('10ms P 9ms #', pings, timeout(10));
    });
  });

  it('counts the next interval from the ping that was sent, not from the pong', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const source = hot<KeepaliveSignal>('17ms p 9ms p', signals);
      expectObservable(withEcho(source, { intervalMs: 10 }), '^ 35ms !').toBe('10ms P 9ms P 9ms P', pings);
    });
  });

  it('accepts a pong that arrives synchronously while the ping is emitted', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const source = hot<KeepaliveSignal>('-', signals);
      expectObservable(withEcho(source, { intervalMs: 10 }, 'pong'), '^ 35ms !').toBe('10ms P 9ms P 9ms P', pings);
    });
  });

  it('matches the marble diagram of its documentation', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const source = hot<KeepaliveSignal>('--s---p-------', signals);
      expectObservable(source.pipe(keepalive({ intervalMs: 3, timeoutMs: 2 }))).toBe('-----P--P-#', pings, timeout(2));
    });
  });

  it('uses the scheduler it is given', () => {
    const scheduler = testScheduler();
    scheduler.run(({ hot, expectObservable }) => {
      const source = hot<KeepaliveSignal>('-', signals);
      expectObservable(source.pipe(keepalive({ intervalMs: 4, scheduler })), '^ 5ms !').toBe('4ms P', pings);
    });
  });

  it('emits nothing and never times out when intervalMs is 0', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const source = hot<KeepaliveSignal>('--s--p--s 1000ms |', signals);
      expectObservable(source.pipe(keepalive({ intervalMs: 0 }))).toBe('-------- 1001ms |', pings);
    });
  });

  it('completes when the source completes, even while waiting for a pong', () => {
    testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot<KeepaliveSignal>('12ms |', signals);
      expectObservable(source.pipe(keepalive({ intervalMs: 10 }))).toBe('10ms P 1ms |', pings);
      expectSubscriptions(source.subscriptions).toBe('^ 11ms !');
    });
  });

  it('passes a source error through', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const source = hot<KeepaliveSignal>('3ms #', signals, new Error('socket closed'));
      expectObservable(source.pipe(keepalive({ intervalMs: 10 }))).toBe('3ms #', pings, new Error('socket closed'));
      expectObservable(source.pipe(keepalive({ intervalMs: 0 }))).toBe('3ms #', pings, new Error('socket closed'));
    });
  });

  it('unsubscribes from the source when it times out', () => {
    testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot<KeepaliveSignal>('-', signals);
      expectObservable(source.pipe(keepalive({ intervalMs: 2 }))).toBe('2ms P 1ms #', pings, timeout(2));
      expectSubscriptions(source.subscriptions).toBe('^ 3ms !');
    });
  });

  it.each<[string, KeepaliveConfig]>([
    ['a negative intervalMs', { intervalMs: -1 }],
    ['a NaN intervalMs', { intervalMs: NaN }],
    ['an infinite timeoutMs', { intervalMs: 10, timeoutMs: Infinity }],
    ['a string intervalMs', { intervalMs: '10' as unknown as number }],
  ])('throws an InvalidArgumentError at the call for %s', (_name, config) => {
    expect(() => keepalive(config)).toThrow(InvalidArgumentError);
  });
});
