/**
 * Bytes -> packets: an incremental decoder over mqtt-packet's parser that reports every fault as
 * one MqttError (malformed input, a repeated MQTT 5 property, a packet over the size limit, a
 * throw of our own handler). Reached through `codec.ts`, the codec's entry point.
 */
import mqttParser from 'mqtt-packet/parser.js';
import type { Packet } from 'mqtt-packet';
import { MqttError, ProtocolError } from '../errors.js';
import type { ProtocolVersion } from './codec.js';
import { FixedHeaderScanner, MAX_MQTT_PACKET_SIZE } from './fixed-header-scanner.js';
import { publishEnd, PublishTail, readPublish } from './publish-fast-path.js';

/**
 * An incremental decoder: feed it chunks as they arrive, it calls `onPacket` for each complete
 * packet and `onError` once for malformed input (after which it must not be fed again).
 */
export interface PacketDecoder {
  push(chunk: Buffer): void;
  /** Switches the wire format, e.g. to MQTT 5 properties once CONNECT was sent with level 5. */
  setProtocolVersion(version: ProtocolVersion): void;
  /** The bytes held back as the start of a packet not yet complete. */
  readonly buffered: number;
}

/** MQTT 5 reason code 0x81 (Malformed Packet), carried by every decoding error. */
const MALFORMED_PACKET = 0x81;
/** MQTT 5 reason code 0x95 (Packet too large), carried by the error for a packet over the limit. */
const PACKET_TOO_LARGE = 0x95;
/** MQTT 5 reason code 0x82 (Protocol Error), carried by the error for a property sent twice. */
const PROTOCOL_ERROR = 0x82;
/** MQTT 5 reason code 0x83 (Implementation specific error): our own fault, not the broker's. */
const IMPLEMENTATION_SPECIFIC_ERROR = 0x83;

/**
 * The MQTT 5 property a packet carries more than once where the spec allows one ("It is a
 * Protocol Error to include the ... more than once", 3.x.2.x), if any. mqtt-packet decodes a
 * repeated property into an array, which the rest of the client would take for a number or a
 * string (a Server Keep Alive of [5, 5] is NaN seconds). User Properties may repeat (an object
 * here), and so may a PUBLISH's Subscription Identifiers (3.3.2.3.8).
 */
function repeatedProperty(packet: Packet): string | undefined {
  const properties = (packet as { properties?: Record<string, unknown> }).properties;
  if (properties === undefined) return undefined;
  for (const name in properties) {
    if (Array.isArray(properties[name]) && !(name === 'subscriptionIdentifier' && packet.cmd === 'publish')) return name;
  }
  return undefined;
}

/** mqtt-packet's parser, as the decoder uses it. */
interface MqttParser {
  settings: { protocolVersion: number };
  error: Error | null;
  _list: { length: number };
  _stateCounter: number;
  parse(bytes: Buffer): number;
  on(event: 'packet', listener: (packet: Packet) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * A parser with listeners that report to whichever decoder holds it. A parser costs about 1 KB
 * (its buffer list is a Node stream), and an idle connection has nothing to parse: so decoders
 * borrow a parser for each chunk and give it back when the chunk ended on a packet boundary. One
 * that holds a partial packet keeps its parser until the packet is complete.
 */
class LentParser {
  holder?: StreamDecoder;
  readonly parser = mqttParser.parser({ protocolVersion: 4 }) as unknown as MqttParser;

  constructor() {
    this.parser.on('packet', (packet) => this.holder?.packet(packet));
    this.parser.on('error', (error) => this.holder?.malformed(error));
  }

  /** Nothing buffered, no packet begun and no error: the next chunk may come from anyone. */
  get clean(): boolean {
    const { parser } = this;
    return parser.error === null && parser._list.length === 0 && parser._stateCounter === 0;
  }
}

/** Parsers no decoder holds. A handler may push into another decoder while a parser is lent, hence more than one. */
const idleParsers: LentParser[] = [];
const MAX_IDLE_PARSERS = 4;

class StreamDecoder implements PacketDecoder {
  private lent?: LentParser;
  /** Nested push() calls (a packet handler that feeds this decoder again): the outermost returns the parser. */
  private depth = 0;
  private failed = false;
  /** The start of a PUBLISH the chunk ended in, held for the fast path until the rest arrives. */
  private tail?: PublishTail;
  /** The chunk the fast path is decoding, and where its next packet starts (for nested pushes). */
  private unread?: Buffer;
  private unreadFrom = 0;
  private readonly scanner?: FixedHeaderScanner;

  constructor(
    private version: ProtocolVersion,
    private readonly onPacket: (packet: Packet) => void,
    private readonly onError: (error: MqttError) => void,
    private readonly maxPacketSize: number,
  ) {
    if (maxPacketSize < MAX_MQTT_PACKET_SIZE) this.scanner = new FixedHeaderScanner(maxPacketSize);
  }

  get buffered(): number {
    return (this.lent?.parser._list.length ?? 0) + (this.tail?.buffered ?? 0);
  }

  push(chunk: Buffer): void {
    if (this.failed) return;
    const cut = this.scanner ? this.scanner.scan(chunk) : -1;
    if (cut < 0) return this.decode(chunk);
    // The packets before the oversized one are delivered; its body never reaches the parser.
    this.decode(chunk.subarray(0, cut));
    // MQTT.js's message (v5.16) for a packet over the Maximum Packet Size we announced.
    const { cmd, size } = this.scanner!;
    const message = `exceeding packets size ${cmd}: ${size} bytes, maximumPacketSize is ${this.maxPacketSize}`;
    this.fail(new ProtocolError(message, { reasonCode: PACKET_TOO_LARGE }));
  }

  setProtocolVersion(version: ProtocolVersion): void {
    this.version = version;
    if (this.lent) this.lent.parser.settings.protocolVersion = version;
  }

  packet(packet: Packet): void {
    if (this.failed) return;
    const repeated = repeatedProperty(packet);
    if (repeated !== undefined) {
      this.fail(new ProtocolError(`Malformed packet from broker: ${packet.cmd} carries the ${repeated} property more than once`, { reasonCode: PROTOCOL_ERROR }));
      return;
    }
    try {
      this.onPacket(packet);
    } catch (cause) {
      // A throw from handling a well-formed packet is a bug of ours: say so rather than blame the
      // broker with "malformed packet" (the connection is dropped all the same, state unknown).
      this.fail(new MqttError('ERR_INTERNAL', `rxmqtt failed to handle a ${packet.cmd} packet (a client bug, not a broker fault)`, { cause, reasonCode: IMPLEMENTATION_SPECIFIC_ERROR }));
    }
  }

  malformed(err: Error): void {
    this.fail(new ProtocolError(`Malformed packet from broker: ${err.message}`, { cause: err, reasonCode: MALFORMED_PACKET }));
  }

  /**
   * The PUBLISH fast path takes the complete PUBLISHes it can decode off the front of the chunk
   * (see publish-fast-path.ts); mqtt-packet gets the rest of the chunk from the first packet it does
   * not take, and every chunk while it holds a partial packet, so that it sees the same bytes in
   * the same chunks as it would alone.
   */
  private decode(chunk: Buffer): void {
    if (this.depth > 0) return this.nested(chunk);
    if (this.lent !== undefined) return this.parse(chunk);
    let packet: Packet | undefined;
    let offset = 0;
    const tail = this.tail;
    if (tail !== undefined) {
      const added = tail.add(chunk, this.version);
      if (added === 'wait') return;
      this.tail = undefined;
      if (added === undefined) {
        for (const part of tail.parts) if (!this.failed) this.parse(part);
        return this.parse(chunk);
      }
      packet = added;
      offset = publishEnd();
    }
    this.depth++;
    this.unread = chunk;
    try {
      for (;;) {
        if (packet !== undefined) {
          this.unreadFrom = offset;
          this.packet(packet);
          // A handler pushed into this decoder: the rest of the chunk went to mqtt-packet before it.
          if (this.unread !== chunk || this.failed) return;
        }
        if (offset === chunk.length) return;
        packet = readPublish(chunk, offset, this.version);
        if (packet === undefined) break;
        offset = publishEnd();
      }
    } finally {
      this.depth--;
      if (this.unread === chunk) this.unread = undefined;
      else if (this.depth === 0) this.giveBackClean();
    }
    this.tail = PublishTail.of(chunk, offset);
    if (this.tail === undefined) this.parse(chunk.subarray(offset));
  }

  /** A push from inside a packet handler: after the rest of the chunk being decoded, if any. */
  private nested(chunk: Buffer): void {
    const unread = this.unread;
    if (unread !== undefined) {
      this.unread = undefined;
      if (this.unreadFrom < unread.length) this.parse(unread.subarray(this.unreadFrom));
    }
    this.parse(chunk);
  }

  private parse(bytes: Buffer): void {
    const lent = (this.lent ??= this.borrow());
    this.depth++;
    try {
      lent.parser.parse(bytes);
    } catch (err) {
      // mqtt-packet reports most faults through 'error', but a corrupt property block can throw.
      this.malformed(err as Error);
    } finally {
      this.depth--;
    }
    if (this.depth === 0) this.giveBackClean();
  }

  /** Gives the parser back when it ended on a packet boundary. */
  private giveBackClean(): void {
    const lent = this.lent;
    if (lent !== undefined && lent.clean && !this.failed) this.giveBack(lent);
  }

  private borrow(): LentParser {
    const lent = idleParsers.pop() ?? new LentParser();
    lent.holder = this;
    lent.parser.settings.protocolVersion = this.version;
    return lent;
  }

  private giveBack(lent: LentParser): void {
    this.lent = undefined;
    lent.holder = undefined;
    if (idleParsers.length < MAX_IDLE_PARSERS) idleParsers.push(lent);
  }

  /** Once: the decoder keeps its parser (in whatever state the fault left it), never fed again. */
  private fail(error: MqttError): void {
    if (this.failed) return;
    this.failed = true;
    this.onError(error);
  }
}

/**
 * @param maxPacketSize The largest inbound packet (header included): a larger one is refused from
 * its fixed header with a ProtocolError 0x95, before its body is read. @default MAX_MQTT_PACKET_SIZE
 */
export function createDecoder(
  protocolVersion: ProtocolVersion,
  onPacket: (packet: Packet) => void,
  onError: (error: MqttError) => void,
  maxPacketSize = MAX_MQTT_PACKET_SIZE,
): PacketDecoder {
  return new StreamDecoder(protocolVersion, onPacket, onError, maxPacketSize);
}
