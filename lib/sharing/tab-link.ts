/**
 * A tab client's transport to the hub: MQTT bytes carried over the tab's BroadcastChannel,
 * addressed to one hub epoch. It opens once a hub announced it is ready (until then the client
 * sees a connection attempt that has not opened yet) and closes when that hub goes away or
 * another hub takes over, so the tab client reconnects, resubscribes and resends its in-flight
 * publishes with DUP=1 to the next hub, as it would to a broker.
 */
import { TransportError } from '../errors.js';
import type { Transport, TransportHandlers } from '../transport/transport.js';
import type { ChannelMessage } from './channel-messages.js';

/** What a link needs from the tab it belongs to. */
export interface LinkOwner {
  readonly tabId: string;
  post(message: ChannelMessage): void;
  /** The link closed: the owner stops routing to it. */
  forget(link: TabLink): void;
}

export class TabLink implements Transport {
  /** The hub the link is open to; undefined while it waits for one. */
  private epoch?: string;
  private closed = false;
  private paused = false;
  private readonly held: Buffer[] = [];

  constructor(
    readonly id: string,
    private readonly owner: LinkOwner,
    private readonly handlers: TransportHandlers,
  ) {}

  /** The hub this link is open to, if any. */
  get hub(): string | undefined {
    return this.epoch;
  }

  /** A hub is ready: open the link to it. */
  attach(epoch: string): void {
    if (this.closed || this.epoch !== undefined) return;
    this.epoch = epoch;
    this.owner.post({ type: 'open', epoch, link: this.id, tab: this.owner.tabId });
    this.handlers.onOpen();
  }

  write(chunk: Buffer): boolean {
    // A copy of the bytes alone: a Buffer is often a view of a larger pool, which structured
    // cloning would copy whole.
    if (!this.closed && this.epoch !== undefined) this.owner.post({ type: 'up', epoch: this.epoch, link: this.id, bytes: new Uint8Array(chunk) });
    return true;
  }

  /** Bytes from the hub. */
  receive(bytes: Uint8Array): void {
    if (this.closed) return;
    const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (this.paused) this.held.push(chunk);
    else this.handlers.onData(chunk);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    while (!this.paused && !this.closed && this.held.length > 0) this.handlers.onData(this.held.shift()!);
  }

  end(): void {
    this.destroy();
  }

  destroy(error?: Error): void {
    if (this.closed) return;
    if (this.epoch !== undefined) this.owner.post({ type: 'close', epoch: this.epoch, link: this.id, by: 'tab' });
    this.finish(error);
  }

  /** The hub closed the link, or went away. */
  lost(reason: string): void {
    this.finish(new TransportError(reason));
  }

  private finish(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.held.length = 0;
    this.owner.forget(this);
    // Never from inside the client's own write/end call: onClose re-enters the connection.
    queueMicrotask(() => this.handlers.onClose(error));
  }
}
