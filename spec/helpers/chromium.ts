/**
 * What every real-browser spec needs: Debian's chromium (driven by playwright-core, never a
 * downloaded browser), the flags it runs headless with here, a static HTTP server on 127.0.0.1
 * for the pages, and `describeBrowser`, which skips a suite when chromium is missing unless
 * RXMQTT_REQUIRE_BROWSER=1 (CI) makes that a failure.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';

export const CHROMIUM_ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'];

/** The IIFE bundle every page script can load as the global `rxmqtt` (built by scripts/bundle.mjs). */
export const IIFE_BUNDLE = resolve('dist/rxmqtt.min.js');

/** The SharedWorker script of `acrossTabs({ worker })` (built by scripts/bundle.mjs). */
export const SHARED_WORKER_BUNDLE = resolve('dist/rxmqtt-shared-worker.js');

/** Where Debian's chromium is, if it is installed. */
export function chromiumPath(): string | undefined {
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Builds the browser bundles when `npm run build` has not run (so a spec is self-contained). */
export function ensureBundles(): void {
  const needed = ['dist/rxmqtt.min.js', 'dist/rxmqtt.esm.js', 'dist/browser/rxmqtt.js', 'dist/rxmqtt-shared-worker.js'].map((file) => resolve(file));
  if (needed.some((file) => !existsSync(file))) execFileSync(process.execPath, ['scripts/bundle.mjs'], { stdio: 'inherit' });
}

function describeMissing(name: string): void {
  describe(name, () => {
    it('has chromium installed', () => {
      throw new Error('chromium is required (RXMQTT_REQUIRE_BROWSER=1) but neither /usr/bin/chromium nor `which chromium` was found');
    });
  });
}

/** `describe` when chromium is installed; else a failing suite under RXMQTT_REQUIRE_BROWSER=1, else a skip (with a warning). */
export function browserSuite(): (name: string, body: () => void) => void {
  if (chromiumPath()) return describe;
  if (process.env.RXMQTT_REQUIRE_BROWSER === '1') return describeMissing;
  console.warn('chromium is not installed: skipping a real-browser spec (set RXMQTT_REQUIRE_BROWSER=1 to fail instead)');
  return describe.skip;
}

export interface StaticSite {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Serves `files` (path -> [content type, body]) on a free loopback port; anything else is a 404. */
export async function serveStatic(files: Record<string, [contentType: string, body: string | Buffer]>): Promise<StaticSite> {
  const server = createServer((request, response) => {
    const file = files[(request.url ?? '').split('?')[0]];
    if (file) response.writeHead(200, { 'content-type': file[0] }).end(file[1]);
    else response.writeHead(404).end();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    server,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
