/**
 * What the runtime says about the network and the page, for the connection's lifecycle: Node has
 * neither a page nor `online`/`offline` events, so there is nothing to watch. The browser build
 * swaps this file for `page-lifecycle.browser.ts`, which listens to `window`/`document` (or a
 * worker's `self`).
 */
import type { Observable } from 'rxjs';

/**
 * `networkLost` (`offline`), `networkBack` (`online`), `pageResumed` (the page resumed after a
 * freeze, became visible, or came back from the back/forward cache).
 */
export type PageSignal = 'networkLost' | 'networkBack' | 'pageResumed';

/** Node: undefined, nothing to listen to. */
export function pageLifecycle(): Observable<PageSignal> | undefined {
  return undefined;
}
