/**
 * One tab client's connection to the hub, seen from the hub: it decodes the tab's MQTT with the
 * project's codec, answers what concerns the link alone (CONNECT, PINGREQ, DISCONNECT, the acks
 * of what the hub delivered to the tab) and hands the rest (SUBSCRIBE, UNSUBSCRIBE, PUBLISH,
 * PUBREL) to the hub, which owns the real connection.
 */
import { createDecoder, encodePacket, type IConnackPacket, type IPublishPacket, type Packet, type PacketDecoder, type ProtocolVersion, type QoS } from '../protocol/codec.js';

/** What a link asks of its hub. */
export interface LinkHost {
  /** Sends bytes to the tab. */
  send(link: HubLink, bytes: Uint8Array): void;
  /** The CONNACK the tab gets (the hub is ready), or undefined to refuse (the link closes). */
  connack(link: HubLink): IConnackPacket | undefined;
  /** A packet for the real connection (SUBSCRIBE, UNSUBSCRIBE, PUBLISH, PUBREL). */
  route(link: HubLink, packet: Packet): void;
  /** The link closes itself (a DISCONNECT, a malformed packet, a refused CONNECT). */
  close(link: HubLink): void;
}

/** An inbound message delivered to the tab at QoS 1/2, waiting for its PUBACK/PUBREC. */
interface Unacked {
  qos: QoS;
  /** Called once the tab took the message (PUBACK, or PUBREC for QoS 2) or the link closed. */
  taken: () => void;
}

export class HubLink {
  private readonly decoder: PacketDecoder;
  private version: ProtocolVersion = 4;
  private connected = false;
  private closed = false;
  private nextId = 1;
  /** Hub -> tab QoS 1/2 messages by packet id, until PUBACK (QoS 1) or PUBCOMP (QoS 2). */
  private readonly unacked = new Map<number, Unacked>();

  constructor(
    readonly id: string,
    /** The tab the link comes from: stable across its reconnects (QoS 2 deduplication). */
    readonly tab: string,
    private readonly host: LinkHost,
  ) {
    this.decoder = createDecoder(4, (packet) => this.receive(packet), () => this.host.close(this));
  }

  /** Bytes from the tab. */
  push(bytes: Uint8Array): void {
    if (!this.closed) this.decoder.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  /** The MQTT version the tab's CONNECT asked for (4 until then). */
  get protocolVersion(): ProtocolVersion {
    return this.version;
  }

  get isConnected(): boolean {
    return this.connected && !this.closed;
  }

  send(packet: Packet): void {
    if (!this.closed) this.host.send(this, encodePacket(packet, this.version));
  }

  /**
   * Delivers an inbound message to the tab at `qos`; `taken` runs once the tab acknowledged it
   * (at once for QoS 0), or when the link closes first.
   */
  deliver(message: IPublishPacket, qos: QoS, taken: () => void): void {
    const { messageId: _id, dup: _dup, properties, ...rest } = message;
    const forwarded = { ...rest, qos, dup: false, properties: forwardedProperties(properties) } as IPublishPacket;
    if (qos === 0) {
      this.send(forwarded);
      taken();
      return;
    }
    const messageId = this.allocateId();
    this.unacked.set(messageId, { qos, taken });
    this.send({ ...forwarded, messageId });
  }

  /** The link is gone: whatever the tab did not acknowledge counts as taken (the tab left). */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const { taken } of this.unacked.values()) taken();
    this.unacked.clear();
  }

  private allocateId(): number {
    // Skips ids still waiting for their ack; 65535 messages in flight to one tab cannot happen
    // while the hub hands the broker's messages over one at a time.
    while (this.unacked.has(this.nextId)) this.nextId = (this.nextId % 65535) + 1;
    const id = this.nextId;
    this.nextId = (this.nextId % 65535) + 1;
    return id;
  }

  private receive(packet: Packet): void {
    if (this.closed) return;
    if (!this.connected) {
      this.handshake(packet);
      return;
    }
    switch (packet.cmd) {
      case 'pingreq':
        return this.send({ cmd: 'pingresp' });
      case 'disconnect':
        return this.host.close(this);
      case 'puback':
        return this.acknowledged(packet.messageId, true);
      case 'pubrec': {
        this.acknowledged(packet.messageId, false);
        return this.send({ cmd: 'pubrel', messageId: packet.messageId ?? 0 });
      }
      case 'pubcomp':
        this.unacked.delete(packet.messageId ?? 0);
        return;
      default:
        return this.host.route(this, packet);
    }
  }

  /** [MQTT-3.1.0-1] the first packet must be CONNECT; the hub answers it for the real connection. */
  private handshake(packet: Packet): void {
    if (packet.cmd !== 'connect') return this.host.close(this);
    this.version = (packet.protocolVersion ?? 4) as ProtocolVersion;
    this.decoder.setProtocolVersion(this.version);
    const connack = this.host.connack(this);
    if (connack === undefined) return this.host.close(this);
    this.connected = true;
    this.send(connack);
  }

  private acknowledged(messageId: number | undefined, done: boolean): void {
    const unacked = this.unacked.get(messageId ?? 0);
    if (unacked === undefined) return;
    if (done) this.unacked.delete(messageId ?? 0);
    const { taken } = unacked;
    unacked.taken = () => undefined;
    taken();
  }
}

/**
 * A broker's PUBLISH properties as the hub forwards them: without a Topic Alias (each link has
 * its own, none announced) or the hub's Subscription Identifiers (the tab's are not the hub's).
 */
function forwardedProperties(properties: IPublishPacket['properties']): IPublishPacket['properties'] {
  if (properties === undefined) return undefined;
  const { topicAlias: _alias, subscriptionIdentifier: _ids, ...rest } = properties;
  return rest;
}
