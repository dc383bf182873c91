/**
 * The page's signals (lib/platform/page-lifecycle.browser.ts) from plain EventTargets standing in
 * for `window`/`self` and `document`: which events become which signal, and that unsubscribing
 * (the client's end()) removes every listener it added. The Node file watches nothing.
 */
import type { PageSignal } from '../../lib/platform/page-lifecycle.js';
import { pageLifecycle as nodePageLifecycle } from '../../lib/platform/page-lifecycle.js';
import { pageLifecycle, type PageScope } from '../../lib/platform/page-lifecycle.browser.js';

/** An EventTarget that counts the listeners added and not removed yet. */
class CountingTarget extends EventTarget {
  listening = 0;
  visibilityState = 'visible';
  override addEventListener(...args: Parameters<EventTarget['addEventListener']>): void {
    this.listening++;
    super.addEventListener(...args);
  }
  override removeEventListener(...args: Parameters<EventTarget['removeEventListener']>): void {
    this.listening--;
    super.removeEventListener(...args);
  }
}

function page(withDocument = true) {
  const scope = new CountingTarget() as CountingTarget & { document?: CountingTarget };
  if (withDocument) scope.document = new CountingTarget();
  const signals: PageSignal[] = [];
  const subscription = pageLifecycle(scope as unknown as PageScope)!.subscribe((signal) => signals.push(signal));
  return { scope, document: scope.document, signals, subscription };
}

const pageshow = (persisted: boolean) => Object.assign(new Event('pageshow'), { persisted });

describe('page lifecycle signals (browser build)', () => {
  it('offline is networkLost, online is networkBack', () => {
    const { scope, signals, subscription } = page();
    scope.dispatchEvent(new Event('offline'));
    scope.dispatchEvent(new Event('online'));
    expect(signals).toEqual(['networkLost', 'networkBack']);
    subscription.unsubscribe();
  });

  it('resume, visibilitychange to visible and pageshow from the back/forward cache are pageResumed', () => {
    const { scope, document, signals, subscription } = page();
    document!.dispatchEvent(new Event('resume'));
    document!.visibilityState = 'hidden';
    document!.dispatchEvent(new Event('visibilitychange'));
    document!.visibilityState = 'visible';
    document!.dispatchEvent(new Event('visibilitychange'));
    scope.dispatchEvent(pageshow(false)); // a first load, not a page restored from the cache
    scope.dispatchEvent(pageshow(true));
    expect(signals).toEqual(['pageResumed', 'pageResumed', 'pageResumed']);
    subscription.unsubscribe();
  });

  it('in a worker (no document) listens to online and offline only', () => {
    const { scope, signals, subscription } = page(false);
    expect(scope.listening).toBe(2);
    scope.dispatchEvent(pageshow(true));
    scope.dispatchEvent(new Event('offline'));
    expect(signals).toEqual(['networkLost']);
    subscription.unsubscribe();
  });

  it('removes every listener it added on unsubscribe, and signals nothing after', () => {
    const { scope, document, signals, subscription } = page();
    expect([scope.listening, document!.listening]).toEqual([3, 2]);
    subscription.unsubscribe();
    expect([scope.listening, document!.listening]).toEqual([0, 0]);
    scope.dispatchEvent(new Event('offline'));
    document!.dispatchEvent(new Event('resume'));
    expect(signals).toEqual([]);
  });

  it('watches nothing where the global has no events', () => {
    expect(pageLifecycle({} as PageScope)).toBeUndefined();
  });
});

describe('page lifecycle signals (Node)', () => {
  it('watches nothing: Node has no page and no online/offline events', () => {
    expect(nodePageLifecycle()).toBeUndefined();
  });
});
