/**
 * The Angular example (examples/angular), as built by `ng build` against the packed rxmqtt, in
 * Debian's chromium (playwright-core) against the built `rxmqtt broker --ws-port 0` as a child
 * process: a value published from Node shows up in both views (the async pipe and toSignal), a
 * value published from the page's form reaches Node, and the two views share one subscription
 * (one SUBSCRIBE; UNSUBSCRIBE only when the last view leaves), as the broker reports on $SYS.
 * Every wait ends on an event (a broker line, a DOM change, a message) with a deadline. The tests
 * run in order on one page, each from where the one before left it.
 *
 * Needs the built app (`node scripts/pack-for-examples.mjs`, then `npm ci && npx ng build` in
 * examples/angular): without it the suite skips with a warning, unless RXMQTT_REQUIRE_ANGULAR=1
 * (CI) makes that a failure. Without chromium it follows RXMQTT_REQUIRE_BROWSER (helpers/chromium.ts).
 */
import { EventEmitter } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { connectAsync, utf8, type MqttClient } from '../../lib/index.js';
import { browserSuite, chromiumPath, CHROMIUM_ARGS, serveStatic, type StaticSite } from '../helpers/chromium.js';
import { CliRun } from '../helpers/cli-runner.js';
import { HANG_DEADLINE_MS, once } from '../helpers/wait.js';

/** Where `ng build` puts the app (angular.json's project name, the application builder's browser/). */
const APP = 'examples/angular/dist/rxmqtt-angular-example/browser';
const APP_DIR = resolve(APP);
/** The command `npm run build` bundles (the package's `bin`). */
const CLI = 'dist/cli/rxmqtt.mjs';
/** examples/angular/src/app/demo-topic.ts */
const DEMO_TOPIC = 'demo/angular/value';
const LISTENING = /^rxmqtt broker listening on mqtt:\/\/127\.0\.0\.1:(\d+) and ws:\/\/127\.0\.0\.1:(\d+)$/;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.txt': 'text/plain',
};

/** Every file of the built app by URL path, and `/` as index.html. */
function appFiles(): Record<string, [string, Buffer]> {
  const files: Record<string, [string, Buffer]> = {};
  for (const name of readdirSync(APP_DIR, { recursive: true, encoding: 'utf8' })) {
    const path = join(APP_DIR, name);
    if (!existsSync(path) || !CONTENT_TYPES[extname(name)]) continue;
    files[`/${name}`] = [CONTENT_TYPES[extname(name)]!, readFileSync(path)];
  }
  files['/'] = files['/index.html']!;
  return files;
}

/** The suite as browserSuite() decides, or a failing/skipped one when the app is not built. */
function angularSuite(): (name: string, body: () => void) => void {
  const built = existsSync(join(APP_DIR, 'index.html')) && existsSync(resolve(CLI));
  if (built) return browserSuite();
  const missing = `the Angular example is not built (${existsSync(resolve(CLI)) ? APP : CLI} is missing): run node scripts/pack-for-examples.mjs, then npm ci && npx ng build in examples/angular`;
  if (process.env.RXMQTT_REQUIRE_ANGULAR === '1') {
    return (name) =>
      describe(name, () => {
        it('has the Angular example built', () => {
          throw new Error(`${missing} (RXMQTT_REQUIRE_ANGULAR=1)`);
        });
      });
  }
  console.warn(`${missing}; skipping its chromium spec (set RXMQTT_REQUIRE_ANGULAR=1 to fail instead)`);
  return describe.skip;
}

/** What the broker's $SYS topics say a client subscribed to or unsubscribed from. */
interface SubscriptionChange {
  change: 'subscribes' | 'unsubscribes';
  clientId: string;
  topics: string[];
}

/** A change of the page's client (its ids start with rxmqtt-angular-, app.config.ts) for the demo topic. */
const fromPage = (change: SubscriptionChange) => change.clientId.startsWith('rxmqtt-angular-') && change.topics.includes(DEMO_TOPIC);

angularSuite()('examples/angular in chromium', () => {
  let broker: CliRun;
  let site: StaticSite;
  let browser: Browser;
  let page: Page;
  let node: MqttClient;
  const changes: SubscriptionChange[] = [];
  /** Emits 'change' for each entry of `changes`, 'message' for each of `atNode`. */
  const events = new EventEmitter();
  /** The payloads Node's subscriber received on the demo topic. */
  const atNode: string[] = [];

  /** Resolves once the broker has reported `count` changes of the page's demo subscription. */
  async function pageChanges(count: number): Promise<Array<SubscriptionChange['change']>> {
    while (changes.filter(fromPage).length < count) await once(events, 'change');
    return changes.filter(fromPage).map((change) => change.change);
  }

  /** Resolves once Node's subscriber has received `value` on the demo topic. */
  async function nodeReceived(value: string): Promise<void> {
    while (!atNode.includes(value)) await once(events, 'message');
  }

  beforeAll(async () => {
    broker = new CliRun(resolve(CLI), ['broker', '-h', '127.0.0.1', '-p', '0', '--ws-port', '0'], 'ignore');
    const [listening] = await broker.waitForLines(1);
    const [, tcpPort, wsPort] = LISTENING.exec(listening) ?? [];
    if (!wsPort) throw new Error(`unexpected listening line: ${listening}`);

    node = await connectAsync(`mqtt://127.0.0.1:${tcpPort}`, { clientId: 'node-side', reconnectPeriod: 0 });
    // aedes reports every SUBSCRIBE and UNSUBSCRIBE on $SYS/<id>/new/subscribes and /unsubscribes,
    // as JSON: { clientId, subs: [{ topic, qos }] } and { clientId, subs: [topic] }.
    node.topic('$SYS/+/new/:change', { codec: utf8() }).subscribe((message) => {
      const change = message.params.change;
      if (change !== 'subscribes' && change !== 'unsubscribes') return;
      const body = JSON.parse(message.value) as { clientId: string; subs: Array<{ topic: string } | string> };
      changes.push({ change, clientId: body.clientId, topics: body.subs.map((sub) => (typeof sub === 'string' ? sub : sub.topic)) });
      events.emit('change');
    });
    // Node's own subscription to the demo topic, for the whole suite (so no test races a SUBSCRIBE).
    node.topic(DEMO_TOPIC, { codec: utf8(), qos: 1 }).subscribe((message) => {
      atNode.push(message.value);
      events.emit('message');
    });
    // Its SUBACK comes after the broker handled the SUBSCRIBEs of both topic() streams above.
    await node.subscribeAsync(DEMO_TOPIC, { qos: 1 });

    site = await serveStatic(appFiles());
    browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    page.setDefaultTimeout(HANG_DEADLINE_MS);
    await page.goto(`${site.url}?broker=${encodeURIComponent(`ws://127.0.0.1:${wsPort}`)}`);
  });

  afterAll(async () => {
    await browser?.close();
    await node?.endAsync(true);
    broker?.child.kill('SIGTERM');
    await broker?.exit();
    await site?.close();
  });

  it('connects to the broker from the query parameter and shows the status', async () => {
    await page.getByTestId('status').filter({ hasText: /^connected$/ }).waitFor();
    const id = await broker.waitForLine((line) => line.startsWith('client connected: rxmqtt-angular-'));
    expect(id).toMatch(/^client connected: rxmqtt-angular-[0-9a-f]+$/);
  });

  it('shows a value published from Node in the async-pipe view and the toSignal view', async () => {
    // Both views subscribe when they render; publish once the broker has the subscription.
    expect(await pageChanges(1)).toEqual(['subscribes']);
    await node.publishAsync(DEMO_TOPIC, 'from node 1', { qos: 1 });
    await page.getByTestId('async-value').filter({ hasText: /^from node 1$/ }).waitFor();
    await page.getByTestId('signal-value').filter({ hasText: /^from node 1$/ }).waitFor();

    await node.publishAsync(DEMO_TOPIC, 'from node 2', { qos: 1 });
    await page.getByTestId('async-value').filter({ hasText: /^from node 2$/ }).waitFor();
    await page.getByTestId('signal-value').filter({ hasText: /^from node 2$/ }).waitFor();
  });

  it('publishes a value from the form that reaches Node, and the views show it back', async () => {
    await page.getByTestId('publish-input').fill('from the page');
    await page.getByTestId('publish-button').click();

    await nodeReceived('from the page');
    await page.getByTestId('publish-outcome').filter({ hasText: /^published from the page$/ }).waitFor();
    await page.getByTestId('async-value').filter({ hasText: /^from the page$/ }).waitFor();
    await page.getByTestId('signal-value').filter({ hasText: /^from the page$/ }).waitFor();
  });

  it('keeps the subscription while one view is left, replays the latest value to a view that comes back, and unsubscribes when the last view leaves', async () => {
    // Both views share one stream of MqttService: one SUBSCRIBE for the two.
    expect(await pageChanges(1)).toEqual(['subscribes']);
    await page.getByTestId('show-async').uncheck();
    await page.getByTestId('async-value').waitFor({ state: 'detached' });

    // The page's next PUBLISH follows any UNSUBSCRIBE on its connection, and the broker reports
    // an UNSUBSCRIBE on $SYS as it handles it: once the publish is back at Node, one would be in.
    await page.getByTestId('publish-input').fill('one view left');
    await page.getByTestId('publish-button').click();
    await nodeReceived('one view left');
    await page.getByTestId('signal-value').filter({ hasText: /^one view left$/ }).waitFor();
    expect(changes.filter(fromPage).map((change) => change.change)).toEqual(['subscribes']);

    // Nothing is published now: the view that comes back shows what the shared stream replays.
    await page.getByTestId('show-async').check();
    await page.getByTestId('async-value').filter({ hasText: /^one view left$/ }).waitFor();

    await page.getByTestId('show-async').uncheck();
    await page.getByTestId('show-signal').uncheck();
    expect(await pageChanges(2)).toEqual(['subscribes', 'unsubscribes']);
  });

  it('subscribes afresh when a view comes back after the last one left, without the value from before the gap', async () => {
    await page.getByTestId('show-signal').check();
    expect(await pageChanges(3)).toEqual(['subscribes', 'unsubscribes', 'subscribes']);
    await expect(page.getByTestId('signal-value').count()).resolves.toBe(0);
    await node.publishAsync(DEMO_TOPIC, 'after the gap', { qos: 1 });
    await page.getByTestId('signal-value').filter({ hasText: /^after the gap$/ }).waitFor();
  });
});
