/**
 * The write path of one client: a session `send` output becomes bytes in the outbox, which
 * flushes them to the current transport once per event-loop turn. What cannot go on the wire (the
 * codec refuses it, or it is over the broker's Maximum Packet Size) goes back to the session as an
 * `unsendable` input: the session decides what that means for the command that made the packet.
 */
import { encodePacketChunks, type EncodedPacket, type Packet } from '../protocol/codec.js';
import { MqttError, PacketTooLargeError } from '../errors.js';
import { redactPacket, type Logger } from '../log.js';
import type { StoreMirror } from '../stores/store-mirror.js';
import type { Transport } from '../transport/transport.js';
import { Outbox, totalLength } from './outbox.js';

export interface WireHost {
  /** The socket bytes go to; none while disconnected (bytes are then dropped at the flush). */
  transport(): Transport | undefined;
  /** The broker's Maximum Packet Size on this connection (3.2.2.3.6), if it set one. */
  maximumPacketSize(): number | undefined;
  /** A packet that never reached the wire, with the reason. */
  unsendable(packet: Packet, error: MqttError): void;
  /** The packet is about to be written (the app's `packetsOut$`). */
  sending(packet: Packet): void;
  /** Bytes went out: the keepalive's interval starts again. */
  wrote(): void;
}

export class Wire {
  private readonly outbox: Outbox;

  constructor(
    private readonly protocolVersion: 3 | 4 | 5,
    private readonly stores: StoreMirror,
    private readonly host: WireHost,
    private readonly log: Logger,
  ) {
    this.outbox = new Outbox({
      write: (bytes) => host.transport()?.write(bytes),
      writev: (chunks) => {
        const transport = host.transport();
        if (transport) transport.writev ? transport.writev(chunks) : transport.write(Buffer.concat(chunks));
      },
      wrote: () => host.wrote(),
    });
  }

  write(packet: Packet): void {
    let encoded: EncodedPacket;
    try {
      // One buffer, or a PUBLISH's header pieces and its payload itself (not copied).
      encoded = encodePacketChunks(packet, this.protocolVersion);
    } catch (error) {
      return this.host.unsendable(packet, error as MqttError);
    }
    const size = Buffer.isBuffer(encoded) ? encoded.length : totalLength(encoded);
    // [MQTT-3.2.2-15] never send a packet larger than the broker's Maximum Packet Size: it would
    // answer DISCONNECT 0x95 and drop everything else in flight with it.
    const maximum = this.host.maximumPacketSize();
    if (maximum !== undefined && size > maximum) return this.host.unsendable(packet, new PacketTooLargeError(size, maximum));
    this.host.sending(packet);
    if (this.log.enabled) this.log('sending %s %o', packet.cmd, redactPacket(packet));
    this.stores.outgoing(packet);
    if (Buffer.isBuffer(encoded)) this.outbox.push(encoded);
    else for (let i = 0; i < encoded.length; i++) this.outbox.push(encoded[i]);
  }

  /** Runs `callback` once what is queued now was written (or lost: `lost` says why). */
  afterWrite(callback: (lost?: Error) => void): void {
    this.outbox.afterWrite(callback);
  }

  flush(): void {
    this.outbox.flush();
  }

  /** The transport closed with bytes still queued: they are lost, and what waited on them fails. */
  discard(ending: boolean, abort: () => MqttError): void {
    this.outbox.discard(ending ? abort() : new MqttError('ERR_CONNECTION_CLOSED', 'Connection closed before the packet was written'));
  }
}
