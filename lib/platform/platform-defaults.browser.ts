/**
 * The browser build's connection defaults (swapped in by scripts/bundle.mjs), as MQTT.js's browser
 * build has them: without a URL, the protocol is `wss` on an https page and `ws` otherwise, and the
 * host (and port, when the page has one) is the page's.
 *
 * ```ts
 * // on https://app.example:8443/
 * connect({ path: '/mqtt' }); // wss://app.example:8443/mqtt
 * ```
 */
import type { ClientOptions } from '../options/client-options.js';

export function platformDefaults(options: ClientOptions): ClientOptions {
  const page = pageUrl();
  const out: ClientOptions = { ...options };
  out.protocol ??= page?.protocol === 'https:' ? 'wss' : 'ws';
  if (!out.host && !out.hostname && page?.hostname) {
    out.host = page.hostname.replace(/^\[|\]$/g, '');
    if (out.port === undefined && page.port) out.port = Number(page.port);
  }
  return out;
}

/** The page's (or worker's) URL, when there is one. */
function pageUrl(): URL | undefined {
  const href = (globalThis as { location?: { href?: string } }).location?.href;
  if (!href) return undefined;
  try {
    return new URL(href);
  } catch {
    return undefined;
  }
}
