/**
 * Connection defaults that depend on where rxmqtt runs, applied by `connect()` when it gets no
 * URL. In Node there are none (`mqtt://localhost:1883`); the browser build swaps this file for
 * `platform-defaults.browser.ts`.
 */
import type { ClientOptions } from '../options/client-options.js';

export function platformDefaults(options: ClientOptions): ClientOptions {
  return options;
}
