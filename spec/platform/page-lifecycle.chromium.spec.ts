/**
 * The network and the page lifecycle in a real browser: headless Debian chromium (playwright-core)
 * loads dist/rxmqtt.min.js and connects over WebSocket to aedes with a 10-minute reconnectPeriod
 * and a 10-minute keepalive, so that nothing here can be the backoff or the keepalive at work:
 * - `context.setOffline(true)` (the `offline` event) makes `state$` say offline;
 *   `setOffline(false)` (`online`) reconnects, and a QoS 1 publish made offline reaches the broker;
 * - a freeze and resume of the page (CDP `Page.setWebLifecycleState`) sends a PINGREQ at once, and
 *   so does the page becoming visible again.
 * `chromium.launch()` cannot freeze a page: playwright turns on focus emulation, which keeps every
 * page visible, and then `Page.setWebLifecycleState` fires no freeze/resume (playwright issue
 * 35207). So this suite starts chromium itself and attaches with `connectOverCDP({ noDefaults })`,
 * which leaves focus emulation off.
 * The times from `online` to connected are printed (for docs/browser.md), not asserted.
 * Skipped without chromium, unless RXMQTT_REQUIRE_BROWSER=1 (CI), which makes that a failure.
 */
import type { AedesPublishPacket, Client } from 'aedes';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { browserSuite, chromiumPath, CHROMIUM_ARGS, ensureBundles, IIFE_BUNDLE, serveStatic, type StaticSite } from '../helpers/chromium.js';
import { once, scaled, within } from '../helpers/wait.js';
import { startWsBroker, type WsBroker } from '../transport/ws-broker.js';

const PAGE = `<!doctype html><meta charset="utf-8"><title>page lifecycle</title><script src="/rxmqtt.min.js"></script>`;
const TEN_MINUTES = 600_000;

/** Resolves with the next `event` from the page whose detail `matches`. */
function next(fromPage: EventEmitter, event: string, matches: (detail: string) => boolean = () => true): Promise<string> {
  const seen = new EventEmitter();
  const listener = (detail: string) => matches(detail) && seen.emit('seen', detail);
  fromPage.on(event, listener);
  return once<[string]>(seen, 'seen').then(([detail]) => detail).finally(() => fromPage.off(event, listener));
}

/** Resolves with the next PUBLISH to `topic` a client sends the broker. */
function published(broker: WsBroker, topic: string): Promise<AedesPublishPacket> {
  return new Promise((done) => {
    const onPublish = (packet: AedesPublishPacket, client: Client | null) => {
      if (!client || packet.topic !== topic) return;
      broker.broker.off('publish', onPublish);
      done(packet);
    };
    broker.broker.on('publish', onPublish);
  });
}

interface Freezable {
  browser: Browser;
  /** The browser's default context: the one `noDefaults` leaves without focus emulation. */
  context: BrowserContext;
  close(): Promise<void>;
}

/** Debian chromium started here (remote debugging on a free port, a fresh profile), attached without playwright's defaults. */
async function launchFreezable(): Promise<Freezable> {
  const profile = mkdtempSync(join(tmpdir(), 'rxmqtt-chromium-'));
  const child = spawn(chromiumPath()!, [...CHROMIUM_ARGS, '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true, // its own process group, so its helper processes end with it
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const endpoint = new Promise<string>((resolve, reject) => {
    let printed = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
      const listening = /DevTools listening on (ws:\/\/\S+)/.exec(printed);
      if (listening) resolve(listening[1]);
    });
    void exited.then(() => reject(new Error(`chromium exited before listening for DevTools:\n${printed}`)));
  });
  const browser = await chromium.connectOverCDP(await within(endpoint, 'chromium to listen for DevTools'), { noDefaults: true });
  return {
    browser,
    context: browser.contexts()[0],
    close: async () => {
      try {
        await within(browser.close(), 'playwright to disconnect').catch(() => undefined);
        child.kill();
        await within(exited, 'chromium to exit');
      } finally {
        // Its helpers (the network service) may still write to the profile as they shut down.
        killGroup(child.pid!);
        rmSync(profile, { recursive: true, force: true, maxRetries: 10 });
      }
    },
  };
}

/** Ends what is left of the process group of the chromium started here (by its id; gone already is fine). */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: nothing left
  }
}

const describeBrowser = browserSuite();

describeBrowser('the network and the page lifecycle in chromium', () => {
  let browser: Freezable;
  let context: BrowserContext;
  let page: Page;
  let site: StaticSite;
  let broker: WsBroker;
  /** What the page reports: 'state' (status and cause kind), 'event' (MQTT.js events), 'puback', 'timing'. */
  const fromPage = new EventEmitter();
  const pings: string[] = [];
  const disconnects: string[] = [];
  const timings: number[] = [];
  let cdp: CDPSession;
  const connections: string[] = [];

  beforeAll(async () => {
    ensureBundles();
    site = await serveStatic({ '/': ['text/html', PAGE], '/rxmqtt.min.js': ['text/javascript', readFileSync(IIFE_BUNDLE)] });
    broker = await startWsBroker();
    broker.broker.on('ping', (_packet, client) => pings.push(client.id));
    broker.broker.on('clientDisconnect', (client) => disconnects.push(client.id));
    broker.broker.on('client', (client) => connections.push(client.id));
    browser = await launchFreezable();
    context = browser.context;
    page = await context.newPage();
    page.on('pageerror', (error) => fromPage.emit('pageerror', error));
    await page.exposeFunction('report', (event: string, detail: string) => fromPage.emit(event, detail));
    await page.goto(site.url);
    const connected = next(fromPage, 'event', (name) => name === 'connect');
    await page.evaluate(
      ({ url, tenMinutes }) => {
        const w = window as any;
        const report = w.report as (event: string, detail: string) => void;
        // Registered before the client's own listener: the time 'online' was dispatched.
        window.addEventListener('online', () => (w.onlineAt = performance.now()));
        document.addEventListener('resume', () => report('page', 'resume'));
        document.addEventListener('visibilitychange', () => report('page', document.visibilityState));
        const client = w.rxmqtt.connect(url, { clientId: 'rxmqtt-life', reconnectPeriod: tenMinutes, keepalive: tenMinutes / 1000, clean: false });
        w.client = client;
        client.state$.subscribe((state: { status: string; cause?: { kind?: string } }) => {
          report('state', state.cause?.kind && state.status === 'offline' ? `offline ${state.cause.kind}` : state.status);
          if (state.status !== 'connected' || w.onlineAt === undefined) return;
          report('timing', String(performance.now() - w.onlineAt));
          w.onlineAt = undefined;
        });
        for (const name of ['connect', 'close', 'offline', 'reconnect', 'error']) client.on(name, () => report('event', name));
      },
      { url: `ws://127.0.0.1:${broker.port}`, tenMinutes: TEN_MINUTES },
    );
    await connected;
    fromPage.on('timing', (ms: string) => timings.push(Number(ms)));
  }, scaled(180_000));

  afterAll(async () => {
    if (timings.length > 0) console.log(`online -> connected in chromium: ${timings.map((ms) => `${ms.toFixed(1)} ms`).join(', ')}`);
    const ended = page?.evaluate(() => new Promise<void>((done) => (window as any).client?.end(true, () => done())));
    await within(ended ?? Promise.resolve(), 'the client to end').catch(() => undefined);
    try {
      await browser?.close();
    } finally {
      await broker?.close();
      await site?.close();
    }
  });

  it('reports offline at once on the offline event, reconnects on online, and the QoS 1 publish made offline arrives', async () => {
    const events: string[] = [];
    const onEvent = (name: string) => events.push(name);
    fromPage.on('event', onEvent);
    try {
      const offline = next(fromPage, 'state', (status) => status.startsWith('offline'));
      const offlineEvent = next(fromPage, 'event', (name) => name === 'offline');
      await context.setOffline(true);
      // From the event: with a 10-minute keepalive nothing else could say so within this test.
      expect(await offline).toBe('offline ERR_NETWORK_OFFLINE');
      await offlineEvent;
      expect(events).toEqual(['close', 'offline']);

      const acked = next(fromPage, 'puback');
      await page.evaluate(() => {
        const w = window as any;
        w.client.publish('life/offline', 'sent while offline', { qos: 1 }, (error?: Error) => w.report('puback', error ? error.message : 'ok'));
      });
      const arrived = published(broker, 'life/offline');
      const reconnected = next(fromPage, 'event', (name) => name === 'connect');
      await context.setOffline(false);
      // The backoff would wait 10 minutes: only the online event reconnects within the test.
      await reconnected;
      expect((await arrived).payload.toString()).toBe('sent while offline');
      expect(await acked).toBe('ok');
      expect(events).toEqual(['close', 'offline', 'reconnect', 'connect']);
    } finally {
      fromPage.off('event', onEvent);
      await context.setOffline(false);
    }
  });

  it('reconnects on online again and again (three offline/online cycles)', async () => {
    for (let cycle = 0; cycle < 3; cycle++) {
      const offline = next(fromPage, 'state', (status) => status.startsWith('offline'));
      await context.setOffline(true);
      await offline;
      const reconnected = next(fromPage, 'event', (name) => name === 'connect');
      await context.setOffline(false);
      await reconnected;
    }
    expect(timings.length).toBeGreaterThanOrEqual(4);
  });

  it('sends a PINGREQ right after the page resumes from a freeze (the keepalive is 10 minutes), and is connected after', async () => {
    const before = { pings: pings.length, disconnects: disconnects.length, connections: connections.length };
    cdp = await context.newCDPSession(page);
    const resumed = next(fromPage, 'page', (name) => name === 'resume');
    const pinged = new Promise<void>((done) => broker.broker.once('ping', () => done()));
    await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
    await cdp.send('Page.setWebLifecycleState', { state: 'active' });
    await resumed;
    await within(pinged, 'a PINGREQ after the page resumed');
    expect(pings.length).toBe(before.pings + 1);
    // Chromium closes a frozen page's WebSocket (code 1006 once it resumes): the client, which
    // was checking its socket, reconnects at once rather than after the 10-minute backoff.
    await within(page.evaluate(() => new Promise<void>((done) => ((window as any).client.connected ? done() : (window as any).client.once('connect', done)))), 'connected after the resume');
    console.log(`after a freeze: ${disconnects.length - before.disconnects} WebSocket(s) closed, ${connections.length - before.connections} new connection(s)`);
  });

  it('sends a PINGREQ when the page becomes visible again', async () => {
    expect(await page.evaluate(() => document.visibilityState)).toBe('hidden'); // since the freeze
    const before = pings.length;
    const shown = next(fromPage, 'page', (name) => name === 'visible');
    const pinged = new Promise<void>((done) => broker.broker.once('ping', () => done()));
    // What playwright's launch() turns on for every page: a focused, visible page.
    await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: true });
    await shown;
    await within(pinged, 'a PINGREQ after the page became visible');
    expect(pings.length).toBe(before + 1);
  });
});
