/**
 * The hub: run by the leading tab, it owns the one real connection to the broker and speaks plain
 * MQTT to every tab's client over their links. SUBSCRIBEs are reference-counted across tabs (see
 * SubscriptionTable); a tab's PUBLISH is acknowledged to the tab only once the broker acknowledged
 * the real one, so that the tab's own session keeps it until then (what makes a leader change
 * lose nothing: the tab resends it to the next hub); the broker's messages go to every tab whose
 * filters match, and are acknowledged to the broker only once every such tab acknowledged them.
 */
import { asyncScheduler, firstValueFrom, type Subscription } from 'rxjs';
import { RxMqttClient } from '../client/client.js';
import type { ConnectionState } from '../connection/connection-state.js';
import type { HandleMessage } from '../options/handlers.js';
import type { ResolvedOptions } from '../options/options.js';
import type { IConnackPacket, IPublishPacket, ISubscribePacket, ISubscription, IUnsubscribePacket, Packet, ProtocolVersion } from '../protocol/codec.js';
import type { TransportFactory } from '../transport/transport.js';
import { isChannelMessage, type ChannelMessage, type ChannelPort } from './channel-messages.js';
import { HubLink, type LinkHost } from './hub-link.js';
import { SubscriptionTable } from './subscription-table.js';
import { WarmUp } from './warm-up.js';

/** MQTT 5 reason code 0x80 (Unspecified error): a SUBSCRIBE the real client could not send. */
const UNSPECIFIED_ERROR = 0x80;
const ignore = (): void => undefined;

export class Hub {
  private readonly links = new Map<string, HubLink>();
  /** Tabs whose going away `watchTab` reports. */
  private readonly watched = new Set<string>();
  private readonly table = new SubscriptionTable();
  /**
   * QoS 2 publishes from tabs, by tab and packet id, from their PUBLISH to their PUBREL: a DUP
   * resend meanwhile (from the tab reconnecting to this hub) is not published again.
   */
  private readonly exactlyOnce = new Map<string, 'publishing' | 'received'>();
  /** The real client's CONNACK while it is connected: tabs are accepted only then. */
  private connack?: IConnackPacket;
  private readonly real: RxMqttClient;
  private readonly warmUp: WarmUp;
  private readonly watch: Subscription;
  private readonly host: LinkHost = {
    send: (link, bytes) => this.post({ type: 'down', link: link.id, bytes }),
    connack: (link) => this.connack && tabConnack(this.connack, link.protocolVersion),
    route: (link, packet) => this.route(link, packet),
    close: (link) => {
      this.post({ type: 'close', epoch: this.epoch, link: link.id, by: 'hub' });
      this.drop(link.id);
    },
  };

  /**
   * @param epoch This hub's id: tabs address their links to it.
   * @param options The tab's options: the real client connects with them (same client id, same
   * `clean`), with stores of its own (the tabs' sessions hold what must survive) and without
   * resubscribing by itself (the tabs resubscribe).
   */
  constructor(
    readonly epoch: string,
    private readonly port: ChannelPort,
    options: ResolvedOptions,
    direct: TransportFactory,
    /** Calls `gone` once the tab `tab` is gone (its page closed or crashed), where that can be known. */
    private readonly watchTab?: (tab: string, gone: () => void) => void,
  ) {
    const realOptions: ResolvedOptions = { ...options, resubscribe: false, incomingStore: undefined, outgoingStore: undefined, shared: undefined };
    const handOut: HandleMessage = (packet, done) => this.handOut(packet, done);
    this.warmUp = new WarmUp(options.scheduler ?? asyncScheduler);
    this.real = new RxMqttClient(realOptions, direct, { handleMessage: () => handOut });
    port.onmessage = (event) => {
      if (isChannelMessage(event.data)) this.receive(event.data);
    };
    this.watch = this.real.state$.subscribe((state) => this.onState(state));
    this.announce();
    this.real.connect();
  }

  /** Ends the real connection and every link: this tab no longer leads. */
  async close(): Promise<void> {
    this.connack = undefined;
    this.watch.unsubscribe();
    this.announce();
    this.closeLinks();
    this.port.onmessage = null;
    this.port.close();
    await this.real.end({ force: true });
  }

  private post(message: ChannelMessage): void {
    this.port.postMessage(message);
  }

  private announce(): void {
    this.post({ type: 'hub', epoch: this.epoch, ready: this.connack !== undefined });
  }

  private onState(state: ConnectionState): void {
    const connack = state.status === 'connected' ? state.connack : undefined;
    if (connack === this.connack) return;
    // While the real connection is down no tab may think it is connected: close their links; they
    // reconnect (and resubscribe) once the hub announces it is ready again.
    if (connack === undefined) {
      this.closeLinks();
      this.warmUp.flush();
    } else this.warmUp.connected();
    this.connack = connack;
    this.announce();
  }

  private closeLinks(): void {
    for (const link of [...this.links.values()]) this.host.close(link);
    this.table.clear();
  }

  private receive(message: ChannelMessage): void {
    if (message.type === 'ask') return this.announce();
    if (!('epoch' in message) || message.epoch !== this.epoch) return;
    switch (message.type) {
      case 'open':
        if (this.connack === undefined) return this.post({ type: 'close', epoch: this.epoch, link: message.link, by: 'hub' });
        this.warmUp.activity();
        this.watchGoing(message.tab);
        this.links.set(message.link, new HubLink(message.link, message.tab, this.host));
        return;
      case 'up':
        return this.links.get(message.link)?.push(message.bytes);
      case 'close':
        return message.by === 'tab' ? this.drop(message.link) : undefined;
      default:
        return;
    }
  }

  /** Watches a tab from its first link on: once it is gone, its links are dropped. */
  private watchGoing(tab: string): void {
    if (this.watchTab === undefined || this.watched.has(tab)) return;
    this.watched.add(tab);
    this.watchTab(tab, () => {
      this.watched.delete(tab);
      for (const link of [...this.links.values()]) if (link.tab === tab) this.drop(link.id);
    });
  }

  /** A link is gone: its unacknowledged deliveries count as taken, its filters are released. */
  private drop(linkId: string): void {
    const link = this.links.get(linkId);
    if (link === undefined) return;
    this.links.delete(linkId);
    link.dispose();
    const unheld = this.table.releaseLink(linkId);
    if (unheld.length > 0 && this.connack) this.real.unsubscribe$(unheld).subscribe({ error: ignore });
  }

  private route(link: HubLink, packet: Packet): void {
    switch (packet.cmd) {
      case 'subscribe':
        return this.subscribe(link, packet);
      case 'unsubscribe':
        return this.unsubscribe(link, packet);
      case 'publish':
        return this.publish(link, packet);
      case 'pubrel':
        this.exactlyOnce.delete(`${link.tab} ${packet.messageId}`);
        return link.send({ cmd: 'pubcomp', messageId: packet.messageId });
      default:
        // AUTH and anything a client may not send: the hub has nothing to do with it.
        return;
    }
  }

  private subscribe(link: HubLink, packet: ISubscribePacket): void {
    this.warmUp.activity();
    const late: ISubscription[] = [];
    const grants = packet.subscriptions.map((subscription) => {
      const { send, subscription: wire } = this.table.hold(link.id, subscription);
      if (send) {
        const grant = firstValueFrom(this.real.subscribe$([wire])).then(
          (result) => result.granted[0] ?? UNSPECIFIED_ERROR,
          () => UNSPECIFIED_ERROR,
        );
        this.table.setGrant(wire.topic, grant);
      } else if (subscription.rh !== 2) late.push(subscription);
      const grant = this.table.grant(subscription.topic) ?? Promise.resolve(subscription.qos);
      return grant.then((code) => {
        if (code >= UNSPECIFIED_ERROR) this.table.release(link.id, subscription.topic);
        return code >= UNSPECIFIED_ERROR ? code : Math.min(code, subscription.qos);
      });
    });
    void Promise.all(grants).then((granted) => {
      link.send({ cmd: 'suback', messageId: packet.messageId, granted });
      // A tab joining a filter another tab holds gets no retained messages from the broker (no
      // SUBSCRIBE goes out): it gets the ones the hub kept ([MQTT-3.3.1-9], within what the hub saw).
      for (const subscription of late) {
        for (const retained of this.table.retainedFor(subscription.topic)) link.deliver(retained, Math.min(retained.qos, subscription.qos) as 0 | 1 | 2, ignore);
      }
    });
  }

  private unsubscribe(link: HubLink, packet: IUnsubscribePacket): void {
    const unheld = packet.unsubscriptions.filter((filter) => this.table.release(link.id, filter));
    if (unheld.length > 0) this.real.unsubscribe$(unheld).subscribe({ error: ignore });
    // MQTT 5 UNSUBACKs carry one reason code per filter: 0x00 (Success) for each.
    const granted = link.protocolVersion === 5 ? { granted: packet.unsubscriptions.map(() => 0) } : {};
    link.send({ cmd: 'unsuback', messageId: packet.messageId, ...granted } as Packet);
  }

  private publish(link: HubLink, packet: IPublishPacket): void {
    const { topic, payload, qos, retain, messageId } = packet;
    const options = { qos, retain, properties: packet.properties };
    if (qos === 0) return this.real.publish(topic, payload, options, { resolve: ignore, reject: ignore });
    const key = `${link.tab} ${messageId}`;
    if (qos === 2) {
      const state = this.exactlyOnce.get(key);
      if (state === 'received') return link.send({ cmd: 'pubrec', messageId });
      if (state === 'publishing') return;
      this.exactlyOnce.set(key, 'publishing');
    }
    const tab = link.tab;
    this.real.publish(topic, payload, options, {
      resolve: (result) => {
        const reasonCode = result?.type === 'publish' ? (result.packet as { reasonCode?: number } | undefined)?.reasonCode : undefined;
        if (qos === 2) this.exactlyOnce.set(key, 'received');
        this.linkOf(tab)?.send({ cmd: qos === 1 ? 'puback' : 'pubrec', messageId, ...(reasonCode ? { reasonCode } : {}) } as Packet);
      },
      reject: (error) => {
        // A refusal by the broker goes back to the tab; anything else (the real client ended)
        // leaves the publish with the tab's session, which resends it to the next hub.
        const reasonCode = (error as { reasonCode?: number }).reasonCode;
        if (qos === 2) this.exactlyOnce.delete(key);
        if (reasonCode !== undefined && reasonCode >= UNSPECIFIED_ERROR) this.linkOf(tab)?.send({ cmd: qos === 1 ? 'puback' : 'pubrec', messageId, reasonCode } as Packet);
      },
    });
  }

  /** The open link of `tab`, if it has one (it may have reconnected since it sent a publish). */
  private linkOf(tab: string): HubLink | undefined {
    for (const link of this.links.values()) if (link.tab === tab && link.isConnected) return link;
    return undefined;
  }

  /** `handleMessage` of the real client: done() (its PUBACK/PUBREC) once every tab took it. */
  private handOut(packet: IPublishPacket, done: () => void): void {
    this.table.rememberRetained(packet);
    this.warmUp.admit(() => this.deliver(packet, done));
  }

  private deliver(packet: IPublishPacket, done: () => void): void {
    let waiting = 1;
    const taken = () => {
      if (--waiting === 0) done();
    };
    for (const { link: id, qos } of this.table.targets(packet.topic, packet.qos)) {
      const link = this.links.get(id);
      if (!link?.isConnected) continue;
      waiting++;
      link.deliver(packet, qos, taken);
    }
    taken();
  }
}

/**
 * The CONNACK a tab gets: accepted, without a session (the hub keeps none per tab: the tab
 * resubscribes its streams and resends its in-flight publishes with DUP=1), with the broker's
 * MQTT 5 properties but no Topic Aliases and no Subscription Identifiers (the hub routes by
 * filter and has no per-tab alias table).
 */
function tabConnack(real: IConnackPacket, version: ProtocolVersion): IConnackPacket {
  if (version !== 5) return { cmd: 'connack', sessionPresent: false, returnCode: 0 };
  const { topicAliasMaximum: _aliases, ...properties } = real.properties ?? {};
  return { cmd: 'connack', sessionPresent: false, reasonCode: 0, properties: { ...properties, subscriptionIdentifiersAvailable: false } };
}
