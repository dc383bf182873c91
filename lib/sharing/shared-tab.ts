/**
 * One tab's part in a shared connection: its channel, its links to the hub (one per connection
 * attempt of its client), its candidacy for leadership, and the hub while it leads. It joins on
 * its client's first connection attempt and leaves when the client ends.
 */
import type { ResolvedOptions } from '../options/options.js';
import type { SharingClient } from '../options/connection-sharing.js';
import type { TransportFactory, TransportHandlers } from '../transport/transport.js';
import { isChannelMessage, randomId, type ChannelMessage, type ChannelPort } from './channel-messages.js';
import { holdLock, whenReleased, type Election, type LockManagerLike } from './election.js';
import { Hub } from './hub.js';
import { TabLink, type LinkOwner } from './tab-link.js';

export class SharedTab implements LinkOwner {
  readonly tabId = randomId();
  private port?: ChannelPort;
  /** The hub that announced it is ready, if any. */
  private readyHub?: string;
  private readonly links = new Map<string, TabLink>();
  private withdraw?: () => void;
  private hub?: Hub;
  private releaseAlive?: () => void;
  /** Whether a listener waits for the client's 'end' (the tab leaves then). */
  private awaitingEnd = false;

  constructor(
    private readonly name: string,
    private readonly options: ResolvedOptions,
    private readonly direct: TransportFactory,
    private readonly election: Election,
    private readonly channel: (name: string) => ChannelPort,
    private readonly client: () => SharingClient | undefined,
    /** With these, the tab holds the lock `<name>:tab:<tabId>` while it lives, and its hub watches the others'. */
    private readonly locks?: LockManagerLike,
  ) {}

  /** The tab client's transport: a new link to the hub per connection attempt. */
  readonly transport: TransportFactory = (handlers: TransportHandlers) => {
    if (this.port === undefined) this.join();
    const link = new TabLink(randomId(), this, handlers);
    this.links.set(link.id, link);
    if (this.readyHub !== undefined) link.attach(this.readyHub);
    return link;
  };

  post(message: ChannelMessage): void {
    this.port?.postMessage(message);
  }

  forget(link: TabLink): void {
    this.links.delete(link.id);
  }

  private join(): void {
    const port = (this.port = this.channel(this.name));
    port.onclose = () => this.portGone(port);
    const start = () => {
      if (this.port !== port) return; // the client ended before the lock came
      port.onmessage = (event) => {
        if (isChannelMessage(event.data)) this.receive(event.data);
      };
      // A hub already running announces itself in answer; otherwise the election starts one.
      this.post({ type: 'ask' });
      this.withdraw = this.election.campaign(this.name, () => this.lead());
    };
    // The lock `<name>:tab:<tabId>` is held until the client ends or the page goes away (crash
    // included): the hub, which cannot see a page close, asks for it and is granted it then. The
    // tab hears no hub (so opens no link) until it holds it: a hub asking first would be granted
    // it at once and drop a live tab (Chromium binds a page's lock manager lazily, so a first
    // request can lag a BroadcastChannel round trip).
    if (this.locks) this.releaseAlive = holdLock(this.locks, aliveLock(this.name, this.tabId), start);
    else start();
    // (The first attempt starts inside the client's constructor, before connect() has the client.)
    // One listener at a time: a join after the SharedWorker died keeps the one it has; a join after
    // end() (reconnect()) needs a new one, since once() was used up.
    if (this.awaitingEnd) return;
    this.awaitingEnd = true;
    queueMicrotask(() =>
      this.client()?.once('end', () => {
        this.awaitingEnd = false;
        this.leave();
      }),
    );
  }

  /**
   * The SharedWorker behind `port` died: the links to its hub are lost, and the client's next
   * connection attempt (TAB_RECONNECT_MS later) joins again, on a new port, which starts a new worker.
   */
  private portGone(port: ChannelPort): void {
    if (this.port !== port) return;
    this.port = undefined;
    this.readyHub = undefined;
    this.withdraw?.();
    this.withdraw = undefined;
    port.close();
    for (const link of [...this.links.values()]) link.lost('the shared worker is gone');
  }

  private lead(): void {
    if (this.port === undefined) return;
    const locks = this.locks;
    // A tab that goes away without ending its client (closed, crashed) leaves links the hub would
    // otherwise keep: its deliveries unacknowledged (so the broker's stop too) and its filters held.
    const watchTab = locks && ((tab: string, gone: () => void) => tab !== this.tabId && whenReleased(locks, aliveLock(this.name, tab), gone));
    this.hub = new Hub(randomId(), this.channel(this.name), this.options, this.direct, watchTab);
  }

  /** The client ended: hand the leadership over (if held) and stop listening. */
  private leave(): void {
    this.withdraw?.();
    this.withdraw = undefined;
    this.releaseAlive?.();
    this.releaseAlive = undefined;
    void this.hub?.close();
    this.hub = undefined;
    for (const link of [...this.links.values()]) link.destroy();
    this.port?.close();
    this.port = undefined;
    this.readyHub = undefined;
  }

  private receive(message: ChannelMessage): void {
    switch (message.type) {
      case 'hub':
        return this.hubChanged(message.epoch, message.ready);
      case 'down':
        return this.links.get(message.link)?.receive(message.bytes);
      case 'close':
        if (message.by === 'hub') this.links.get(message.link)?.lost('the shared connection closed the link');
        return;
      default:
        return;
    }
  }

  /**
   * A hub announced itself. Links to any other hub close (it is gone: a new leader starts with
   * a new epoch); a ready hub takes the links waiting for one; a hub that is not ready (its real
   * connection is down) closes its links, so each tab's `state$` tells the truth.
   */
  private hubChanged(epoch: string, ready: boolean): void {
    for (const link of [...this.links.values()]) {
      const hub = link.hub;
      if (hub !== undefined && (hub !== epoch || !ready)) link.lost(hub === epoch ? 'the shared connection is down' : 'another tab took the shared connection over');
    }
    this.readyHub = ready ? epoch : undefined;
    if (!ready) return;
    for (const link of this.links.values()) link.attach(epoch);
  }
}

/** The lock a tab holds while it lives. */
const aliveLock = (name: string, tabId: string): string => `${name}:tab:${tabId}`;
