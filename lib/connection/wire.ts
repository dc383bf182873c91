/**
 * The handlers one connection attempt gives its transport: bytes go to the decoder, packets and
 * transport events to the session link and the lifecycle, and only while the attempt is the
 * dialer's current one, so that the late events of a dropped socket are ignored.
 */
import type { ResolvedOptions } from '../options/options.js';
import { createDecoder, type PacketDecoder } from '../protocol/codec.js';
import { incomingPacketLimit } from '../session/connect-properties.js';
import type { TransportHandlers } from '../transport/transport.js';
import type { LifecycleInput } from './lifecycle.js';
import type { SessionLink } from './session-link.js';

/** What a wire reports to: the dialer. */
export interface WireHost {
  readonly link: SessionLink;
  /** Increments per attempt and per close: a wire whose generation is not the current one is dropped. */
  generation(): number;
  /** Whether a socket is current (a decoding error before the transport was kept is not reported). */
  hasTransport(): boolean;
  /** The socket is open: the CONNECT may go. */
  opened(): void;
  advance(input: LifecycleInput): void;
}

/**
 * A class whose methods are on the prototype, not a handlers object of closures: a connected
 * client keeps its wire, and an idle one should pay for as few function objects as it can (the
 * decoder's two callbacks are the only closures left).
 */
export class Wire implements TransportHandlers {
  private readonly decoder: PacketDecoder;

  constructor(
    private readonly host: WireHost,
    private readonly attempt: number,
    options: ResolvedOptions,
  ) {
    this.decoder = createDecoder(
      options.protocolVersion,
      (packet) => this.live() && host.link.received(packet),
      (error) => this.live() && host.hasTransport() && host.link.step({ type: 'malformed', error }),
      incomingPacketLimit(options),
    );
  }

  private live(): boolean {
    return this.attempt === this.host.generation();
  }

  onOpen(): void {
    if (this.live()) this.host.opened();
  }

  onData(chunk: Buffer): void {
    if (this.live()) this.decoder.push(chunk);
  }

  onClose(error?: Error): void {
    if (this.live()) this.host.advance({ type: 'transportClosed', error });
  }
}
