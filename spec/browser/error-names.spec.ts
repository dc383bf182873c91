/**
 * Error classes keep their names in the minified browser bundle: minifiers rename classes, so an
 * error whose `name` came from its constructor would print as `Ot: ...` and fail an app's
 * `err.name === 'StoreQuotaError'`. Loads dist/rxmqtt.min.js in a fresh V8 context (no browser
 * needed: the check is about the minified code) and constructs every exported error class.
 */
import { readFileSync } from 'node:fs';
import { createContext, runInContext } from 'node:vm';
import { ensureBundles, IIFE_BUNDLE } from '../helpers/chromium.js';

type ErrorClass = new (...args: unknown[]) => Error;

/** The bundle's global `rxmqtt`, evaluated in a context of its own (its own Error too). */
function loadBundle(): { exports: Record<string, unknown>; ErrorBase: ErrorClass } {
  ensureBundles();
  const context = createContext({ console, TextEncoder, TextDecoder, setTimeout, clearTimeout, queueMicrotask, URL });
  runInContext(`globalThis.self = globalThis; ${readFileSync(IIFE_BUNDLE, 'utf8')}; globalThis.rxmqtt = rxmqtt;`, context);
  return { exports: context.rxmqtt as Record<string, unknown>, ErrorBase: runInContext('Error', context) as ErrorClass };
}

/** Arguments each class accepts (most take a kind or a message first; the SUBACK one a packet). */
function argumentsFor(name: string): unknown[] {
  const suback = { cmd: 'suback', granted: [0x80], messageId: 1 };
  if (name === 'ErrorWithSubackPacket') return ['refused', suback];
  if (name === 'SubackError') return [suback];
  return ['ERR_CONNECTION_CLOSED', 'message'];
}

describe('error names in the minified browser bundle', () => {
  const { exports, ErrorBase } = loadBundle();
  const errorClasses = Object.entries(exports).filter(([, value]) => typeof value === 'function' && (value as ErrorClass).prototype instanceof ErrorBase);

  it('exports the error classes (the check below has something to check)', () => {
    expect(errorClasses.map(([name]) => name)).toEqual(expect.arrayContaining(['MqttError', 'ConnackError', 'StoreQuotaError', 'SharingUnsupportedError']));
  });

  it.each(errorClasses.map(([name, value]) => [name, value as ErrorClass]))('keeps %s as the name of its errors', (name, ErrorClass) => {
    const error = new ErrorClass(...argumentsFor(name));
    expect(error.name).toBe(name);
    expect(String(error).startsWith(`${name}: `) || String(error) === name).toBe(true);
  });
});
