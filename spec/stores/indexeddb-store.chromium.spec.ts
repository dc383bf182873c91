/**
 * IndexedDBStore in a real browser: headless Debian chromium (playwright-core) loads
 * dist/rxmqtt.min.js. First the scenario: with the broker down from the start (nothing
 * listens on the WebSocket port), a client with `clean: false` and IndexedDB stores publishes 200
 * QoS 1 and 200 QoS 2 messages; once all 400 `cbStorePut` fired the page reloads, creates the
 * client again (same clientId, same store names), the broker starts on that port and a Node
 * subscriber gets every message, the QoS 2 ones exactly once. Then the in-flight variant: the
 * client publishes 200 QoS 1 and 200 QoS 2 messages to aedes, which never acknowledges them. Once all 400
 * `cbStorePut` fired, the broker goes down and the page reloads; the reloaded page creates the
 * client again (same clientId, same store names), the broker comes back, and a Node subscriber
 * gets every message, the QoS 2 ones exactly once. Then a tiny quota (CDP
 * `Storage.overrideQuotaForOrigin`): a put that does not fit fails the publish with
 * StoreQuotaError, and nothing is reported stored that is not.
 * Skipped without chromium, unless RXMQTT_REQUIRE_BROWSER=1 (CI), which makes that a failure.
 */
import type { AedesPublishPacket } from 'aedes';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { browserSuite, chromiumPath, CHROMIUM_ARGS, ensureBundles, IIFE_BUNDLE, serveStatic, type StaticSite } from '../helpers/chromium.js';
import { scaled, within } from '../helpers/wait.js';
import { startWsBroker, type WsBroker } from '../transport/ws-broker.js';

const PAGE = `<!doctype html><meta charset="utf-8"><title>IndexedDBStore</title><script src="/rxmqtt.min.js"></script>`;
const CLIENT_ID = 'idb-chromium';
const PER_QOS = 200;

/** Runs in the page: publishes PER_QOS QoS 1 then PER_QOS QoS 2 messages to `topic`, reporting each `cbStorePut`. */
function publishAll(args: { topic: string; perQos: number }): void {
  const w = window as any;
  for (const qos of [1, 2]) {
    for (let i = 0; i < args.perQos; i++) {
      const payload = `q${qos}-${i}`;
      w.client.publish(args.topic, payload, { qos, cbStorePut: () => w.report('stored', payload) }, (error?: { code?: unknown }) => error && w.report('publishError', String(error.code)));
    }
  }
}

/** Counts, per payload, the PUBLISHes to `topic` that clients send to `broker`; resolves `all` once `expected` payloads arrived. */
function countArrivals(broker: WsBroker, topic: string, expected: number) {
  const received = new Map<string, number>();
  const dups = { dup: 0, fresh: 0 };
  let arrivedAll!: () => void;
  const all = new Promise<void>((done) => (arrivedAll = done));
  broker.broker.on('publish', (packet: AedesPublishPacket, client: unknown) => {
    if (!client || packet.topic !== topic) return;
    const payload = packet.payload.toString();
    received.set(payload, (received.get(payload) ?? 0) + 1);
    void (packet.dup ? dups.dup++ : dups.fresh++);
    if (received.size === expected) arrivedAll();
  });
  return { received, dups, all };
}

/** Runs in the page: creates the client of CLIENT_ID with its IndexedDB stores (`window.client`). */
function createClient(args: { url: string; clientId: string }): void {
  const w = window as any;
  const { IndexedDBStore, connect } = w.rxmqtt;
  w.client = connect(args.url, {
    clientId: args.clientId,
    clean: false,
    reconnectPeriod: 50,
    connectTimeout: 5000,
    outgoingStore: new IndexedDBStore(`${args.clientId}-outgoing`),
    incomingStore: new IndexedDBStore(`${args.clientId}-incoming`),
  });
  w.client.on('error', (error: { code?: unknown }) => w.report('clientError', String(error.code)));
  w.client.on('connect', () => w.report('connect'));
}

/** A free port on 127.0.0.1 (nothing listens on it until the broker starts there). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

/** Resolves once `emitter` emitted `event` `count` times in all. */
function counted(emitter: EventEmitter, event: string, count: number): Promise<void> {
  let seen = 0;
  return new Promise((done) => emitter.on(event, () => ++seen === count && done()));
}

const describeBrowser = browserSuite();

describeBrowser('IndexedDBStore in chromium', () => {
  let browser: Browser;
  let page: Page;
  let site: StaticSite;
  let broker: WsBroker | undefined;
  let port: number;
  const fromPage = new EventEmitter();

  beforeAll(async () => {
    ensureBundles();
    site = await serveStatic({ '/': ['text/html', PAGE], '/rxmqtt.min.js': ['text/javascript', readFileSync(IIFE_BUNDLE)] });
    port = await freePort();
    browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    page.on('pageerror', (error) => fromPage.emit('pageerror', error));
    // Survives reloads: the page reports through it after each one.
    await page.exposeFunction('report', (event: string, detail?: string) => fromPage.emit(event, detail));
    await page.goto(site.url);
  }, scaled(180_000));

  afterAll(async () => {
    await page
      ?.evaluate(() => new Promise<void>((done) => ((window as any).client ? (window as any).client.end(true, () => done()) : done())))
      .catch(() => undefined);
    await browser?.close();
    await broker?.close();
    await site?.close();
  });

  it('delivers after a reload 200 QoS 1 and 200 QoS 2 publishes made with the broker down from the start, once all their cbStorePut fired, the QoS 2 ones exactly once', async () => {
    const clientId = 'idb-offline';
    const topic = 'idb/offline';
    const downPort = await freePort(); // nothing listens there until the broker starts below
    const url = `ws://127.0.0.1:${downPort}`;
    const stored = counted(fromPage, 'stored', 2 * PER_QOS);
    const page = await browser.newPage();
    try {
      await page.exposeFunction('report', (event: string, detail?: string) => fromPage.emit(event, detail));
      await page.goto(site.url);
      await page.evaluate(createClient, { url, clientId });
      const publishing = performance.now();
      await page.evaluate(publishAll, { topic, perQos: PER_QOS });
      await within(stored, `${2 * PER_QOS} cbStorePut callbacks with the broker down`, scaled(60_000));
      const storedMs = performance.now() - publishing;
      expect(await page.evaluate(() => (window as any).client.connected)).toBe(false);

      // The page reloads (its client goes with it, never having connected) and creates its client again.
      await page.reload();
      await page.evaluate(createClient, { url, clientId });
      const started = performance.now();
      const down = await startWsBroker({ port: downPort });
      try {
        const { received, dups, all } = countArrivals(down, topic, 2 * PER_QOS);
        await within(all, `all ${2 * PER_QOS} offline messages at the broker`, scaled(60_000));
        const resumeMs = performance.now() - started;
        console.log(`IndexedDBStore offline publishes in chromium: the ${2 * PER_QOS} puts (broker down) took ${storedMs.toFixed(0)} ms; after the reload, ${received.size} messages arrived ${resumeMs.toFixed(0)} ms after the broker started (DUP=1: ${dups.dup}, DUP=0: ${dups.fresh})`);
        for (let i = 0; i < PER_QOS; i++) {
          expect(received.get(`q1-${i}`)).toBeGreaterThanOrEqual(1);
          expect(received.get(`q2-${i}`)).toBe(1);
        }
      } finally {
        await page.evaluate(() => new Promise<void>((done) => (window as any).client.end(true, () => done()))).catch(() => undefined);
        await down.close();
      }
    } finally {
      await page.close();
    }
  });

  it('resumes 200 QoS 1 and 200 QoS 2 publishes stored before a reload once the broker is back, the QoS 2 ones exactly once', async () => {
    // The first broker takes the PUBLISHes and never acknowledges them: they stay in flight.
    broker = await startWsBroker({ port });
    broker.broker.authorizePublish = (client, _packet, callback) => client?.id === CLIENT_ID || callback(null);
    const url = `ws://127.0.0.1:${port}`;
    const stored = counted(fromPage, 'stored', 2 * PER_QOS);
    const usage = () => page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
    const usageBefore = await usage();
    await page.evaluate(createClient, { url, clientId: CLIENT_ID });
    const publishing = performance.now();
    await page.evaluate((perQos) => {
      const w = window as any;
      for (const qos of [1, 2]) {
        for (let i = 0; i < perQos; i++) {
          const payload = `q${qos}-${i}`;
          w.client.publish('idb/t', payload, { qos, cbStorePut: () => w.report('stored', payload) }, (error?: { code?: unknown }) => error && w.report('publishError', String(error.code)));
        }
      }
    }, PER_QOS);
    await within(stored, `${2 * PER_QOS} cbStorePut callbacks`, scaled(60_000));
    const storedMs = performance.now() - publishing;
    const bytesPerMessage = ((await usage()) - usageBefore) / (2 * PER_QOS);

    // Broker down, then the page reloads (the tab's client goes with it) and creates its client again.
    await broker.close();
    broker = undefined;
    await page.reload();
    await page.evaluate(createClient, { url, clientId: CLIENT_ID });

    // The broker comes back; the Node subscriber is there before it accepts the page (this runs
    // before the server's first 'connection' callback).
    const received = new Map<string, number>();
    const dups = { dup: 0, fresh: 0 };
    let arrivedAll!: () => void;
    const all = new Promise<void>((done) => (arrivedAll = done));
    const started = performance.now();
    broker = await startWsBroker({ port });
    broker.broker.on('publish', (packet: AedesPublishPacket, client: unknown) => {
      if (!client || packet.topic !== 'idb/t') return;
      const payload = packet.payload.toString();
      received.set(payload, (received.get(payload) ?? 0) + 1);
      void (packet.dup ? dups.dup++ : dups.fresh++);
      if (received.size === 2 * PER_QOS) arrivedAll();
    });
    await within(all, `all ${2 * PER_QOS} messages at the subscriber`, scaled(60_000));
    const resumeMs = performance.now() - started;
    console.log(`IndexedDBStore resume in chromium: ${received.size} messages in ${resumeMs.toFixed(0)} ms after the broker started (DUP=1: ${dups.dup}, DUP=0: ${dups.fresh}); the ${2 * PER_QOS} puts took ${storedMs.toFixed(0)} ms; about ${bytesPerMessage.toFixed(0)} bytes of storage per stored message (payloads of 4 to 6 bytes)`);

    for (let i = 0; i < PER_QOS; i++) {
      expect(received.get(`q1-${i}`)).toBeGreaterThanOrEqual(1);
      expect(received.get(`q2-${i}`)).toBe(1);
    }
  });

  it('fails a publish whose put exceeds the quota with StoreQuotaError through its callback, and stores nothing it did not report', async () => {
    broker ??= await startWsBroker({ port });
    const url = `ws://127.0.0.1:${port}`;
    // Another origin (localhost, not 127.0.0.1), whose storage is untouched: Chromium applies an
    // overridden quota to an origin whose storage is not in use yet. Below what one 256 KB payload
    // of random bytes needs (DevTools' "simulate custom storage quota").
    const origin = `http://localhost:${new URL(site.url).port}`;
    const quotaPage = await browser.newPage();
    const cdp = await quotaPage.context().newCDPSession(quotaPage);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 64 * 1024 });
    await quotaPage.goto(`${origin}/`);
    try {
      const outcome = await within(quotaPage.evaluate(
        (args) =>
          new Promise<{ storedCalled: boolean; error?: { quotaError: boolean; code: unknown; kind: unknown }; left: unknown[] }>((done) => {
            const w = window as any;
            const outgoingStore = new w.rxmqtt.IndexedDBStore('idb-quota-outgoing');
            const client = w.rxmqtt.connect(args.url, { clientId: 'idb-quota', clean: false, reconnectPeriod: 0, outgoingStore });
            client.on('error', () => undefined);
            let storedCalled = false;
            // Random bytes: Chromium compresses what it stores, and zeros would fit.
            const payload = new Uint8Array(256 * 1024);
            for (let i = 0; i < payload.length; i += 65536) crypto.getRandomValues(payload.subarray(i, i + 65536));
            client.on('connect', () =>
              client.publish('idb/quota', payload, { qos: 1, cbStorePut: () => (storedCalled = true) }, (error?: any) => {
                const left: unknown[] = [];
                const stream = outgoingStore.createStream();
                stream.on('data', (packet: { messageId: number }) => left.push(packet.messageId));
                stream.on('end', () => client.end(true, () => done({ storedCalled, error: error && { quotaError: error instanceof w.rxmqtt.StoreQuotaError, code: error.code, kind: error.kind }, left })));
              }),
            );
          }),
        { url },
      ), 'the publish callback in the quota page');
      expect(outcome.error).toEqual({ quotaError: true, code: 'ERR_STORE_QUOTA', kind: 'ERR_STORE_QUOTA' });
      expect(outcome.storedCalled).toBe(false);
      expect(outcome.left).toEqual([]);
    } finally {
      await cdp.send('Storage.overrideQuotaForOrigin', { origin });
      await quotaPage.close();
    }
  });
});
