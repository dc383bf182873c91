/**
 * The hub's home in a SharedWorker (`acrossTabs({ worker })`): one Hub, unchanged, whose channel
 * is a switchboard over the tabs' ports. The Hub thinks it talks over a BroadcastChannel; here
 * what it says reaches only the tab it is addressed to (a link's bytes, a link's close: the
 * switchboard learned which port opened which link), and only its announcements reach every tab.
 * What each tab says reaches the Hub alone. The worker lives while any tab of the origin does, so
 * no tab takes over when another closes: the hub and its real connection just go on.
 *
 * The first tab's `start` options make the real connection; a later tab's are not compared (the
 * worker is named after the sharing key, which is the clientId unless the app chose one). When
 * the last tab leaves, the hub ends its real connection; the next tab to arrive starts a new one.
 */
import { resolveOptions } from '../options/options.js';
import { transportFor } from '../transport/select.js';
import { holdLock, whenReleased, type LockManagerLike } from './election.js';
import { isChannelMessage, randomId, type ChannelMessage, type ChannelPort } from './channel-messages.js';
import { isStartMessage, type HubOptions } from './hub-options.js';
import { watchMessage, workerLock } from './worker-lock.js';
import { Hub } from './hub.js';

export class WorkerHub {
  private hub?: Hub;
  /** The tabs' ports that said `start`, each with the links it opened. */
  private readonly tabs = new Map<ChannelPort, Set<string>>();
  /** Which port opened each link (where the hub's words about that link go). */
  private readonly portOf = new Map<string, ChannelPort>();
  /** The Hub's channel: its posts go to the tabs they concern; onmessage gets what tabs say. */
  private readonly switchboard: ChannelPort = {
    postMessage: (message) => this.fromHub(message as ChannelMessage),
    onmessage: null,
    close: () => undefined,
  };

  /** Resolves with the lock's name once the worker holds it; undefined without locks. */
  private readonly holding?: Promise<string>;

  /**
   * @param locks the worker's Web Locks API (`navigator.locks`), to notice tabs that are gone.
   * @param name the worker's name (the SharedWorker's `self.name`, which the tabs gave it), and
   * @param url its script's URL: with `locks`, the worker holds a lock named after both for as long
   *   as it lives, so that the tabs, which ask for it too, are granted it once the worker died (a
   *   MessagePort never says so). The URL is in the name because it is in the worker's identity:
   *   after a deploy, a worker of the new script must not wait for the old one to die.
   */
  constructor(
    private readonly locks?: LockManagerLike,
    name?: string,
    url?: string,
  ) {
    const lockName = locks && name ? workerLock(name, url) : undefined;
    // Never let go: the browser releases it when the worker dies. Without it (no grant yet, or a
    // request the browser refused) the worker serves its tabs all the same, unwatched.
    this.holding = lockName ? new Promise<string>((held) => void holdLock(locks!, lockName, () => held(lockName))) : undefined;
  }

  /**
   * A tab connected (the worker's `connect` event): listen to its port, and once the worker holds
   * its lock, tell the tab to watch it (`watch-worker`). Not before: a tab asking first would be
   * granted the lock and take a live worker for dead.
   */
  connect(port: ChannelPort): void {
    port.onmessage = (event) => {
      const data = event.data;
      if (isStartMessage(data)) this.start(port, data.options, data.alive);
      else if (this.tabs.has(port) && isChannelMessage(data)) this.fromTab(port, data);
    };
    void this.holding?.then((lock) => port.postMessage(watchMessage(lock)));
  }

  /** The tabs connected now. */
  get size(): number {
    return this.tabs.size;
  }

  private start(port: ChannelPort, options: HubOptions, alive: string | undefined): void {
    if (this.tabs.has(port)) return;
    this.tabs.set(port, new Set());
    this.hub ??= new Hub(randomId(), this.switchboard, ...realConnection(options));
    // Granted once the tab released it: it closed its port, or its page is gone (crash included).
    if (alive && this.locks) whenReleased(this.locks, alive, () => this.leave(port));
  }

  private fromTab(port: ChannelPort, message: ChannelMessage): void {
    if (message.type === 'open') {
      this.tabs.get(port)?.add(message.link);
      this.portOf.set(message.link, port);
    }
    this.switchboard.onmessage?.({ data: message });
    if (message.type === 'close') this.forget(message.link);
  }

  private fromHub(message: ChannelMessage): void {
    switch (message.type) {
      case 'hub':
        for (const port of this.tabs.keys()) port.postMessage(message);
        return;
      case 'down':
        return this.portOf.get(message.link)?.postMessage(message);
      case 'close':
        this.portOf.get(message.link)?.postMessage(message);
        return this.forget(message.link);
      default:
        return;
    }
  }

  private forget(link: string): void {
    this.tabs.get(this.portOf.get(link)!)?.delete(link);
    this.portOf.delete(link);
  }

  /** A tab is gone: its links close (the hub releases their filters and deliveries); the last one ends the hub. */
  private leave(port: ChannelPort): void {
    const links = this.tabs.get(port);
    if (links === undefined) return;
    for (const link of [...links]) this.fromTab(port, { type: 'close', epoch: this.hub?.epoch ?? '', link, by: 'tab' });
    this.tabs.delete(port);
    port.onmessage = null;
    port.close();
    if (this.tabs.size > 0) return;
    const hub = this.hub;
    this.hub = undefined;
    void hub?.close();
  }
}

/** The hub's options and transport, resolved in the worker (the browser build's WebSocket there). */
function realConnection(sent: HubOptions): [ReturnType<typeof resolveOptions>, ReturnType<typeof transportFor>] {
  // Structured cloning turns Buffers into plain Uint8Arrays: the codec writes Buffers.
  const options: HubOptions = { ...sent };
  if (options.password instanceof Uint8Array) options.password = Buffer.from(options.password);
  if (options.will?.payload instanceof Uint8Array) options.will = { ...options.will, payload: Buffer.from(options.will.payload) };
  const resolved = resolveOptions(undefined, options);
  return [resolved, transportFor(resolved)];
}
