/**
 * The browser bundle in a real browser: headless Debian chromium (driven by playwright-core) loads
 * a page from a local HTTP server, connects with `rxmqtt.connect('ws://...')` from
 * dist/rxmqtt.min.js to aedes behind a WebSocket server, subscribes with `client.topic()`,
 * receives what Node publishes, publishes back, and carries on after the broker restarts. Also
 * the tree-shaken app of scripts/bundle-report.mjs (`connect` + `client.topic()`, bundled from
 * dist/browser/ with rxjs external, rxjs from an import map) receives a message, with
 * `localStorage.debug` logging on.
 * Skipped without chromium, unless RXMQTT_REQUIRE_BROWSER=1 (CI), which makes that a failure.
 */
import type { AedesPublishPacket, Subscription } from 'aedes';
import { execFileSync } from 'node:child_process';
import { browserSuite, chromiumPath, CHROMIUM_ARGS } from '../helpers/chromium.js';
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { once, scaled } from '../helpers/wait.js';
import { startWsBroker, type WsBroker } from '../transport/ws-broker.js';

const root = resolve('.');
const BUNDLE = resolve(root, 'dist/rxmqtt.min.js');
const ESM_BUNDLE = resolve(root, 'dist/rxmqtt.esm.js');
const BROWSER_MODULE = resolve(root, 'dist/browser/rxmqtt.js');

const PAGE = `<!doctype html><meta charset="utf-8"><title>rxmqtt</title><script src="/rxmqtt.min.js"></script>`;
/** The topic app's page: rxjs, external to the app, is the app's own copy, here from an import map. */
const TOPIC_APP_PAGE = `<!doctype html><meta charset="utf-8"><title>topic app</title>
<script type="importmap">{ "imports": { "rxjs": "/rxjs.js" } }</script><script type="module" src="/topic-app.js"></script>`;

/** Runs an ES module script with node and returns what it prints (a bundle's code). */
const printed = (script: string) => execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, maxBuffer: 1 << 24 });

/**
 * Serves the test pages at / and /topic-app.html, /rxmqtt.min.js and /rxmqtt.esm.js from dist/,
 * the topic app and an ES module of rxjs for it, on 127.0.0.1.
 */
async function startStaticServer(): Promise<{ url: string; server: Server }> {
  const files: Record<string, Buffer> = {
    '/rxmqtt.min.js': readFileSync(BUNDLE),
    '/rxmqtt.esm.js': readFileSync(ESM_BUNDLE),
    '/topic-app.js': printed(`import { buildTopicApp } from './scripts/bundle-report.mjs'; process.stdout.write(await buildTopicApp());`),
    '/rxjs.js': printed(
      `import * as esbuild from 'esbuild'; const r = await esbuild.build({ stdin: { contents: "export * from 'rxjs'", resolveDir: '.' }, bundle: true, format: 'esm', write: false }); process.stdout.write(r.outputFiles[0].contents);`,
    ),
  };
  const server = createServer((request, response) => {
    const file = files[request.url ?? ''];
    if (file) response.writeHead(200, { 'content-type': 'text/javascript' }).end(file);
    else if (request.url === '/') response.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    else if (request.url === '/topic-app.html') response.writeHead(200, { 'content-type': 'text/html' }).end(TOPIC_APP_PAGE);
    else response.writeHead(404).end();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

/** Resolves when the broker sees a SUBSCRIBE to `topic` from any client. */
function subscribed(broker: WsBroker, topic: string): Promise<void> {
  return new Promise((done) => {
    const onSubscribe = (subscriptions: Subscription[]) => {
      if (!subscriptions.some((s) => s.topic === topic)) return;
      broker.broker.off('subscribe', onSubscribe);
      done();
    };
    broker.broker.on('subscribe', onSubscribe);
  });
}

/** Resolves with the payload of the next client PUBLISH to `topic` the broker routes. */
function published(broker: WsBroker, topic: string): Promise<string> {
  return new Promise((done) => {
    const onPublish = (packet: AedesPublishPacket, client: unknown) => {
      if (!client || packet.topic !== topic) return;
      broker.broker.off('publish', onPublish);
      done(packet.payload.toString());
    };
    broker.broker.on('publish', onPublish);
  });
}

function publish(broker: WsBroker, topic: string, payload: string): Promise<void> {
  return new Promise((done) => broker.broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain: false, dup: false }, () => done()));
}

const executablePath = chromiumPath();
const describeBrowser = browserSuite();

describeBrowser('the browser bundle in chromium', () => {
  let browser: Browser;
  let page: Page;
  let site: { url: string; server: Server };
  let broker: WsBroker;
  /** What the page reports: 'connect', 'message' (topic + payload), 'clientError' (not 'error': once() rejects on that). */
  const fromPage = new EventEmitter();

  beforeAll(async () => {
    // Self-contained: build the bundle when `npm run build` has not run.
    if (!existsSync(BUNDLE) || !existsSync(ESM_BUNDLE) || !existsSync(BROWSER_MODULE)) execFileSync(process.execPath, ['scripts/bundle.mjs'], { cwd: root, stdio: 'inherit' });
    site = await startStaticServer();
    broker = await startWsBroker();
    browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    page.on('pageerror', (error) => fromPage.emit('pageerror', error));
    // Counts the timer workers the bundle starts (its connection timers run in one).
    await page.addInitScript(() => {
      const w = window as any;
      const Native = w.Worker;
      w.workersStarted = 0;
      w.Worker = class extends Native {
        constructor(...args: unknown[]) {
          super(...args);
          w.workersStarted++;
        }
      };
    });
    await page.exposeFunction('report', (event: string, detail?: string) => fromPage.emit(event, detail));
    await page.goto(site.url);
  }, scaled(180_000));

  afterAll(async () => {
    await page?.evaluate(() => new Promise<void>((done) => (window as any).client?.end(true, () => done()))).catch(() => undefined);
    await browser?.close();
    await broker?.close();
    await new Promise((done) => site?.server.close(done));
  });

  it('loads the bundle as the global rxmqtt', async () => {
    expect(await page.evaluate(() => typeof (window as any).rxmqtt.connect)).toBe('function');
  });

  it('loads dist/rxmqtt.esm.js as an ES module with a default export', async () => {
    const members = await page.evaluate(async () => {
      const mqtt = await import('/rxmqtt.esm.js' as string);
      return [typeof mqtt.default.connect, typeof mqtt.connectAsync, typeof mqtt.RxMqttClient];
    });
    expect(members).toEqual(['function', 'function', 'function']);
  });

  it('connects over WebSocket, receives on client.topic() and publishes back', async () => {
    const connected = once(fromPage, 'connect');
    const ready = subscribed(broker, 'browser/in');
    await page.evaluate((url) => {
      const w = window as any;
      const report = w.report as (event: string, detail?: string) => void;
      const client = w.rxmqtt.connect(url, { clientId: 'rxmqtt-chromium', reconnectPeriod: 100 });
      w.client = client;
      client.on('connect', () => report('connect'));
      client.on('error', (error: Error) => report('clientError', error.message));
      client.topic('browser/in').subscribe((m: { topic: string; payload: Uint8Array }) => {
        const text = new TextDecoder().decode(m.payload);
        report('message', `${m.topic} ${text}`);
        client.publish('browser/out', `echo ${text}`);
      });
    }, `ws://127.0.0.1:${broker.port}`);
    await connected;
    await ready;
    expect(broker.handshakes[0].protocol).toBe('mqtt');

    const received = once<[string]>(fromPage, 'message');
    const echoed = published(broker, 'browser/out');
    await publish(broker, 'browser/in', 'hello from node');
    expect((await received)[0]).toBe('browser/in hello from node');
    expect(await echoed).toBe('echo hello from node');
  });

  it('defaults to ws:// on the page\'s host, and keeps alive with PINGREQs timed by a worker', async () => {
    const pong = once<[string]>(fromPage, 'pingresp');
    await page.evaluate((port) => {
      const w = window as any;
      // No URL: ws (an http page) to the page's host, 127.0.0.1, on the broker's port.
      const pinger = w.rxmqtt.connect({ port, clientId: 'rxmqtt-chromium-ping', keepalive: 1 });
      w.pinger = pinger;
      pinger.on('packetreceive', (packet: { cmd: string }) => packet.cmd === 'pingresp' && (pinger.end(), w.report('pingresp')));
    }, broker.port);
    await pong;
    expect(broker.handshakes.map((h) => h.protocol)).toEqual(['mqtt', 'mqtt']);
    expect(await page.evaluate(() => (window as any).workersStarted)).toBe(1);
  });

  it('reconnects after the broker restarts on the same port and receives again', async () => {
    const port = broker.port;
    const reconnected = once(fromPage, 'connect');
    await broker.close();
    broker = await startWsBroker({ port });
    const ready = subscribed(broker, 'browser/in');
    await reconnected;
    await ready;

    const received = once<[string]>(fromPage, 'message');
    const echoed = published(broker, 'browser/out');
    await publish(broker, 'browser/in', 'after restart');
    expect((await received)[0]).toBe('browser/in after restart');
    expect(await echoed).toBe('echo after restart');
    expect(await page.evaluate(() => (window as any).client.connected)).toBe(true);
  });

  it('runs the tree-shaken connect + topic() app: it receives a message, and logs as localStorage.debug asks', async () => {
    const appPage = await browser.newPage();
    try {
      const logged: string[] = [];
      appPage.on('console', (message) => message.type() === 'debug' && logged.push(message.text()));
      appPage.on('pageerror', (error) => fromPage.emit('pageerror', error));
      await appPage.addInitScript((url) => {
        localStorage.setItem('debug', 'rxmqtt:*,-rxmqtt:transport');
        (window as any).brokerUrl = url;
      }, `ws://127.0.0.1:${broker.port}`);
      const received = new EventEmitter();
      await appPage.exposeFunction('onMessage', (topic: string, text: string) => received.emit('message', `${topic} ${text}`));
      const message = once<[string]>(received, 'message');
      const ready = subscribed(broker, 'a/+');
      await appPage.goto(`${site.url}topic-app.html`);
      await ready;
      await publish(broker, 'a/b', 'to the app');
      expect((await message)[0]).toBe('a/b to the app');
      expect(logged.some((line) => line.includes('rxmqtt:conn '))).toBe(true);
      // Off: the excluded namespace, and mqtt-packet's parser, not asked for.
      expect(logged.filter((line) => /rxmqtt:transport|mqtt-packet/.test(line))).toEqual([]);
    } finally {
      await appPage.close();
    }
  });
});
