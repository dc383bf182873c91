/**
 * The browser example (examples/browser: index.html and app.js over the `rxmqtt` global of
 * dist/rxmqtt.min.js) in Debian's chromium (playwright-core), served as its own comment says
 * (the repository root over HTTP, so its `../../dist/rxmqtt.min.js` resolves) and opened with
 * `?url=ws://127.0.0.1:<port>&filter=demo/%23` against aedes behind a WebSocket server. What a
 * user sees: the status turns to connected; a message published from Node to a matching topic is
 * listed with its topic, QoS and payload, one to another topic is not; the "Watch" form switches
 * the list to another filter; the publish form's message reaches a Node subscriber with the QoS
 * chosen in the form; an invalid filter shows its error. A script error, a console error or a
 * failed load (the bundle missing, say) in the page fails the test it happened in. Every wait ends on
 * an event (a broker event, a DOM change, a message) with a deadline. The tests run in order on
 * one page, each from where the one before left it.
 * Skipped without chromium, unless RXMQTT_REQUIRE_BROWSER=1 (CI), which makes that a failure.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { connectAsync, type MqttClient, type QoS } from '../../lib/index.js';
import { browserSuite, chromiumPath, CHROMIUM_ARGS, ensureBundles, IIFE_BUNDLE, serveStatic, type StaticSite } from '../helpers/chromium.js';
import { HANG_DEADLINE_MS, once, scaled } from '../helpers/wait.js';
import { startWsBroker, type WsBroker } from '../transport/ws-broker.js';

/** Where the page is when the repository root is served (the path its comment opens). */
const PAGE_PATH = '/examples/browser/';

/** The repository's files the page loads, at the paths they have under the repository root. */
function exampleFiles(): Record<string, [string, Buffer]> {
  const page: [string, Buffer] = ['text/html', readFileSync('examples/browser/index.html')];
  return {
    [PAGE_PATH]: page,
    [`${PAGE_PATH}index.html`]: page,
    [`${PAGE_PATH}app.js`]: ['text/javascript', readFileSync('examples/browser/app.js')],
    '/dist/rxmqtt.min.js': ['text/javascript', readFileSync(IIFE_BUNDLE)],
  };
}

/** A row of the page's message list, as shown. */
interface Listed {
  topic: string;
  qos: string;
  payload: string;
}

/** Runs in the page: the rows of #messages, newest first, as the page shows them. */
function readList(): Listed[] {
  return Array.from(document.querySelectorAll('#messages li'), (item) => ({
    topic: item.querySelector('.topic')?.textContent ?? '',
    qos: /QoS \d/.exec(item.querySelector('.meta')?.textContent ?? '')?.[0] ?? '',
    payload: item.lastChild?.textContent ?? '',
  }));
}

/** A message Node's subscriber received. */
interface AtNode {
  topic: string;
  payload: string;
  qos: QoS;
}

browserSuite()('examples/browser in chromium', () => {
  let broker: WsBroker;
  let site: StaticSite;
  let browser: Browser;
  let page: Page;
  let node: MqttClient;
  /** The page's SUBSCRIBEs and UNSUBSCRIBEs as the broker handled them: `+filter`, `-filter`. */
  const pageFilters: string[] = [];
  const atNode: AtNode[] = [];
  /** Uncaught exceptions, console errors and failed loads of the page. */
  const pageErrors: string[] = [];
  /** Emits 'filters' for each entry of `pageFilters`, 'message' for each of `atNode`. */
  const events = new EventEmitter();

  /** Resolves with the page's subscription changes once the broker handled `count` of them. */
  async function filterChanges(count: number): Promise<string[]> {
    while (pageFilters.length < count) await once(events, 'filters');
    return [...pageFilters];
  }

  /** Resolves once the list shows a row with `topic` and `payload`, then with the whole list. */
  async function listed(topic: string, payload: string): Promise<Listed[]> {
    await page.waitForFunction(
      (row) => Array.from(document.querySelectorAll('#messages li')).some((item) => item.querySelector('.topic')?.textContent === row.topic && item.lastChild?.textContent === row.payload),
      { topic, payload },
    );
    return page.evaluate(readList);
  }

  /** Resolves with the first message Node received on `topic`. */
  async function nodeReceived(topic: string): Promise<AtNode> {
    while (!atNode.some((message) => message.topic === topic)) await once(events, 'message');
    return atNode.find((message) => message.topic === topic)!;
  }

  beforeAll(async () => {
    ensureBundles();
    site = await serveStatic(exampleFiles());
    broker = await startWsBroker();
    const url = `ws://127.0.0.1:${broker.port}`;
    // The page's client id is rxmqtt-page-<hex> (app.js).
    const fromPage = (client: { id: string } | null) => client?.id.startsWith('rxmqtt-page-') ?? false;
    broker.broker.on('subscribe', (subscriptions, client) => {
      if (!fromPage(client)) return;
      for (const subscription of subscriptions) pageFilters.push(`+${subscription.topic}`);
      events.emit('filters');
    });
    broker.broker.on('unsubscribe', (filters, client) => {
      if (!fromPage(client)) return;
      for (const filter of filters) pageFilters.push(`-${filter}`);
      events.emit('filters');
    });

    node = await connectAsync(url, { clientId: 'node-side', reconnectPeriod: 0 });
    node.on('message', (topic, payload, packet) => {
      atNode.push({ topic, payload: payload.toString(), qos: packet.qos });
      events.emit('message');
    });
    await node.subscribeAsync('from-page/#', { qos: 2 });

    browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    page.setDefaultTimeout(HANG_DEADLINE_MS);
    page.on('pageerror', (error) => pageErrors.push(`${error.name}: ${error.message}`));
    // A failed load is reported by its response below, with its URL (the console's line has none).
    page.on('console', (message) => message.type() === 'error' && !message.text().startsWith('Failed to load resource') && pageErrors.push(message.text()));
    // No favicon is part of the example; chromium asks for one anyway.
    page.on('response', (response) => response.status() >= 400 && !response.url().endsWith('/favicon.ico') && pageErrors.push(`${response.status()} ${response.url()}`));
    // As the page's comment writes it: the URL as is, the filter's # escaped.
    await page.goto(`${site.url.slice(0, -1)}${PAGE_PATH}?url=${url}&filter=demo/%23`);
  }, scaled(180_000));

  afterEach(() => {
    expect(pageErrors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await node?.endAsync(true);
    await broker?.close();
    await site?.close();
  });

  it('shows the broker and the filter from the query string, and the status turns to connected', async () => {
    await page.waitForSelector('#status.up:text-is("connected")');
    expect(await page.textContent('#broker')).toBe(`ws://127.0.0.1:${broker.port}`);
    expect(await page.inputValue('#filter')).toBe('demo/#');
    expect(await filterChanges(1)).toEqual(['+demo/#']);
  });

  it('lists a message published from Node to a matching topic with its topic, QoS and payload, and not one to another topic', async () => {
    await node.publishAsync('other/topic', 'not for the page', { qos: 1 });
    await node.publishAsync('demo/one', 'first', { qos: 1 });
    await node.publishAsync('demo/two/deep', 'second', { qos: 0 });
    // The broker forwards each publish in order: had the first been sent to the page, it would be listed by now.
    // The page subscribes at QoS 2, so each message comes at the QoS it was published with [MQTT-3.8.4-8].
    expect(await listed('demo/two/deep', 'second')).toEqual([
      { topic: 'demo/two/deep', qos: 'QoS 0', payload: 'second' },
      { topic: 'demo/one', qos: 'QoS 1', payload: 'first' },
    ]);
    expect(await page.textContent('#error')).toBe('');
  });

  it('switches the list to the filter submitted in the "Watch" form', async () => {
    await page.fill('#filter', 'sensors/+');
    await page.click('#watch button[type=submit]');
    expect(await filterChanges(3)).toEqual(['+demo/#', '-demo/#', '+sensors/+']);
    expect(await page.evaluate(readList)).toEqual([]);
    expect(new URL(page.url()).searchParams.get('filter')).toBe('sensors/+');

    await node.publishAsync('demo/one', 'no longer watched', { qos: 1 });
    await node.publishAsync('sensors/kitchen', '21.5', { qos: 1 });
    expect(await listed('sensors/kitchen', '21.5')).toEqual([{ topic: 'sensors/kitchen', qos: 'QoS 1', payload: '21.5' }]);
  });

  it.each([0, 1, 2] as const)('publishes the form’s message with QoS %i chosen in it, and a Node subscriber receives it so', async (qos) => {
    const topic = `from-page/qos${qos}`;
    await page.fill('#topic', topic);
    await page.fill('#payload', `hello at QoS ${qos}`);
    await page.selectOption('#qos', String(qos));
    await page.click('#publish button[type=submit]');
    expect(await nodeReceived(topic)).toEqual({ topic, payload: `hello at QoS ${qos}`, qos });
    expect(await page.textContent('#error')).toBe('');
  });

  it('shows the error of a filter the client refuses, and lists nothing for it', async () => {
    await page.fill('#filter', 'sensors/#/bad');
    await page.click('#watch button[type=submit]');
    await page.waitForSelector('#error:not(:empty)');
    expect(await page.textContent('#error')).toMatch(/^InvalidArgumentError: Invalid topic filter "sensors\/#\/bad"/);
    // The stream of the filter before was left: the page no longer listens to it.
    expect(await filterChanges(4)).toEqual(['+demo/#', '-demo/#', '+sensors/+', '-sensors/+']);
    expect(await page.evaluate(readList)).toEqual([]);
  });
});
