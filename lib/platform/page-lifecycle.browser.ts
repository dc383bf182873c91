/**
 * The browser build's page lifecycle (swapped in by scripts/bundle.mjs for page-lifecycle.ts):
 * the `online`/`offline` events of `window` (or of a worker's `self`, which has them too), and on
 * a page the Page Lifecycle API's `resume` (after a freeze), `visibilitychange` to visible and
 * `pageshow` from the back/forward cache, as an Observable of `PageSignal`s. Each subscription
 * adds its listeners and removes them on unsubscribe (the client's `end()`).
 *
 * ```
 * offline       online     resume / visible / pageshow(persisted)
 * networkLost   networkBack   pageResumed
 * ```
 */
import { Observable } from 'rxjs';
import type { PageSignal } from './page-lifecycle.js';

export type { PageSignal } from './page-lifecycle.js';

/** The members of `window`/`self` and `document` this file uses (tests pass plain EventTargets). */
export interface PageScope {
  addEventListener(type: string, listener: (event: Event) => void): void;
  removeEventListener(type: string, listener: (event: Event) => void): void;
  document?: PageScope & { readonly visibilityState?: string };
}

/**
 * @param scope the global to listen on. @default globalThis
 * @returns the signals, or undefined where the global has no events (nothing to watch)
 */
export function pageLifecycle(scope: PageScope = globalThis as unknown as PageScope): Observable<PageSignal> | undefined {
  if (typeof scope.addEventListener !== 'function') return undefined;
  return new Observable<PageSignal>((subscriber) => {
    const resumed = () => subscriber.next('pageResumed');
    const page = scope.document;
    const listeners: [PageScope, string, (event: Event) => void][] = [
      [scope, 'offline', () => subscriber.next('networkLost')],
      [scope, 'online', () => subscriber.next('networkBack')],
    ];
    if (page) {
      listeners.push(
        // A frozen page ran no timers and read no socket: its connection may be dead by now.
        [page, 'resume', resumed],
        // Hidden tabs are throttled (timers at most once a minute in Chrome): check on return.
        [page, 'visibilitychange', () => page.visibilityState === 'visible' && resumed()],
        [scope, 'pageshow', (event) => (event as Event & { persisted?: boolean }).persisted === true && resumed()],
      );
    }
    for (const [target, type, listener] of listeners) target.addEventListener(type, listener);
    return () => {
      for (const [target, type, listener] of listeners) target.removeEventListener(type, listener);
    };
  });
}
