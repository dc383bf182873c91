/**
 * The hub's subscription bookkeeping, kept apart from any IO: which tab link holds which filter at
 * which QoS, which filters the one real connection must SUBSCRIBE (the first holder, or a holder
 * asking for a higher QoS) or UNSUBSCRIBE (the last holder gone), which links an inbound message
 * goes to, and the retained messages a tab joining an already subscribed filter is owed.
 */
import type { IPublishPacket, ISubscription, QoS } from '../protocol/codec.js';
import { matchTopic } from '../protocol/topic.js';

/** One filter as the broker has it: its holders (link -> QoS asked for) and what went on the wire. */
interface FilterEntry {
  holders: Map<string, QoS>;
  /** The QoS of the last SUBSCRIBE sent for the filter. */
  wireQos: QoS;
  /** The broker's answer to that SUBSCRIBE (granted QoS or refusal code), once known. */
  grant?: Promise<number>;
}

/** What `hold` decided about one filter of a tab's SUBSCRIBE. */
export interface HoldDecision {
  /** The filter must go to the broker (first holder, or a higher QoS than it has there). */
  send: boolean;
  /** The subscription to send (the highest QoS any holder asked for). */
  subscription: ISubscription;
}

/** A link that should receive an inbound message, at the QoS it gets it with. */
export interface DeliveryTarget {
  link: string;
  qos: QoS;
}

export class SubscriptionTable {
  private readonly filters = new Map<string, FilterEntry>();
  private readonly byLink = new Map<string, Set<string>>();
  /** The last retained message the hub saw per topic (retain flag set on delivery). */
  private readonly retained = new Map<string, IPublishPacket>();

  /** `link` subscribes to `subscription.topic` at `subscription.qos`. */
  hold(link: string, subscription: ISubscription): HoldDecision {
    const filter = subscription.topic;
    let entry = this.filters.get(filter);
    const first = entry === undefined;
    if (entry === undefined) {
      entry = { holders: new Map(), wireQos: subscription.qos };
      this.filters.set(filter, entry);
    }
    entry.holders.set(link, subscription.qos);
    let links = this.byLink.get(link);
    if (links === undefined) this.byLink.set(link, (links = new Set()));
    links.add(filter);
    const upgrade = subscription.qos > entry.wireQos;
    if (upgrade) entry.wireQos = subscription.qos;
    return { send: first || upgrade, subscription: { ...subscription, qos: entry.wireQos } };
  }

  /** Records the broker's answer to the SUBSCRIBE sent for `filter`. */
  setGrant(filter: string, grant: Promise<number>): void {
    const entry = this.filters.get(filter);
    if (entry) entry.grant = grant;
  }

  /** The broker's answer for `filter`, if a SUBSCRIBE for it went out. */
  grant(filter: string): Promise<number> | undefined {
    return this.filters.get(filter)?.grant;
  }

  /**
   * `link` lets go of `filter`; returns true when it was the last holder, so the broker should
   * get an UNSUBSCRIBE. (The QoS at the broker is not lowered when the highest holder leaves.)
   */
  release(link: string, filter: string): boolean {
    const entry = this.filters.get(filter);
    this.byLink.get(link)?.delete(filter);
    if (entry === undefined || !entry.holders.delete(link)) return false;
    if (entry.holders.size > 0) return false;
    this.filters.delete(filter);
    return true;
  }

  /** `link` is gone: releases all its filters; returns those no link holds any more. */
  releaseLink(link: string): string[] {
    const filters = [...(this.byLink.get(link) ?? [])];
    this.byLink.delete(link);
    return filters.filter((filter) => this.release(link, filter));
  }

  /** Whether `link` holds `filter`. */
  holds(link: string, filter: string): boolean {
    return this.filters.get(filter)?.holders.has(link) ?? false;
  }

  /**
   * The links whose filters match `topic`, each once, at the highest QoS among its matching
   * filters, capped by the message's QoS ([MQTT-3.8.4-8]: the lower of the two).
   */
  targets(topic: string, messageQos: QoS): DeliveryTarget[] {
    const best = new Map<string, QoS>();
    for (const [filter, entry] of this.filters) {
      if (!matchTopic(filter, topic)) continue;
      for (const [link, qos] of entry.holders) {
        const previous = best.get(link);
        if (previous === undefined || qos > previous) best.set(link, qos);
      }
    }
    return [...best].map(([link, qos]) => ({ link, qos: Math.min(qos, messageQos) as QoS }));
  }

  /** Keeps the latest retained message per topic (an empty payload clears it, [MQTT-3.3.1-6]). */
  rememberRetained(packet: IPublishPacket): void {
    if (!packet.retain) return;
    if (packet.payload.length === 0) this.retained.delete(packet.topic);
    else this.retained.set(packet.topic, packet);
  }

  /** The retained messages seen whose topic matches `filter`. */
  retainedFor(filter: string): IPublishPacket[] {
    return [...this.retained.values()].filter((packet) => matchTopic(filter, packet.topic));
  }

  /** Forgets every holder and grant (the real connection is gone; tabs resubscribe). */
  clear(): void {
    this.filters.clear();
    this.byLink.clear();
  }
}
