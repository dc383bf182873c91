/**
 * The facade's side of the transports: which duplex is current (MQTT.js's public `client.stream`),
 * and MQTT.js's way of failing when a user's `streamBuilder` throws inside `connect()`.
 */
import type { Duplex } from 'node:stream';
import { streamBuilderTransport } from '../transport/select.js';
import type { Transport, TransportFactory } from '../transport/transport.js';

export class BuiltStreams {
  // #private fields: util.inspect(client) must not walk into a TLS socket's options (its key and
  // passphrase), as it would through ordinary properties.
  /** The latest attempt's transport: its duplex may come later (behind an async transformWsUrl). */
  #latest?: Transport;
  /** The duplex of an attempt before it, for as long as the latest has none. */
  #earlier?: Duplex;
  /** Set while `connect()` runs: a builder's throw then belongs to that call. */
  private connectCall?: { thrown?: { error: unknown } };

  /**
   * Wraps the transport factory to record each attempt's duplex. A user's stream builder (`build`)
   * that throws during `connect()` has its error kept for `whileConnecting` to rethrow; thrown at
   * a reconnect, the error goes the transport-failure way ('error' event, then the reconnect
   * policy), where MQTT.js would let it escape a timer callback and crash the process.
   */
  factory(transport: TransportFactory | undefined, build?: () => Duplex): TransportFactory {
    const open: TransportFactory =
      transport ??
      streamBuilderTransport(() => {
        try {
          return build!();
        } catch (error) {
          if (this.connectCall) this.connectCall.thrown = { error };
          throw error;
        }
      });
    return (handlers, target) => {
      const opened = open(handlers, target);
      this.#earlier = this.current;
      this.#latest = opened;
      return opened;
    };
  }

  /** The duplex of the latest connection attempt; kept after it closed, as MQTT.js keeps it. */
  get current(): Duplex | undefined {
    return this.#latest?.stream ?? this.#earlier;
  }

  /**
   * Runs `connect`; if a stream builder threw inside it, runs `abandon` and throws that error, as
   * MQTT.js's `connect()` (and so its constructor) throws what its stream builder threw.
   */
  whileConnecting(connect: () => void, abandon: () => void): void {
    const call: { thrown?: { error: unknown } } = {};
    this.connectCall = call;
    try {
      connect();
    } finally {
      this.connectCall = undefined;
    }
    if (call.thrown) {
      abandon();
      throw call.thrown.error;
    }
  }
}
