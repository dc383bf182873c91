/**
 * The facade's side of the transports: which duplex is current (MQTT.js's public `client.stream`),
 * and MQTT.js's way of failing when a user's `streamBuilder` throws inside `connect()`.
 */
import type { Duplex } from 'node:stream';
import { streamBuilderTransport } from '../transport/select.js';
import type { TransportFactory } from '../transport/transport.js';

export class BuiltStreams {
  /** The duplex of the latest connection attempt; kept after it closed, as MQTT.js keeps it. */
  current?: Duplex;
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
      if (opened.stream) this.current = opened.stream;
      return opened;
    };
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
