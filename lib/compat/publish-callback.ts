/**
 * One `publish()`'s MQTT.js callback as the client's settler. One object per publish, with the
 * callback's rules as methods: the closures it replaces (a `deferred` wrapper and an arrow for
 * each of success and failure, the settler object, the `during` closure) were about 500 bytes of
 * the 1.75 KB a QoS 0 publish allocated (sampling heap profile of K1's loop), and the young
 * generation's scavenges they cause are what spread K1's QoS 0 figure between runs.
 */
import type { IPublishPacket } from '../protocol/codec.js';
import { PublishError } from '../errors.js';
import { createLogger } from '../log.js';
import type { Settler } from '../connection/link-types.js';
import type { SettleResult } from '../session/types.js';
import type { CallbackTiming } from './callback-timing.js';
import type { PacketCallback } from './compat-types.js';

const log = createLogger('client');

export class PublishCallback implements Settler {
  constructor(
    private readonly timing: CallbackTiming,
    private readonly callback: PacketCallback | undefined,
  ) {}

  resolve(result: SettleResult | undefined): void {
    // Never inside the facade call that registered it (see CallbackTiming).
    if (this.timing.busy) queueMicrotask(() => this.succeeded(result));
    else this.succeeded(result);
  }

  reject(error: Error): void {
    if (this.timing.busy) queueMicrotask(() => this.failed(error));
    else this.failed(error);
  }

  private succeeded(result: SettleResult | undefined): void {
    // `null` on success, as MQTT.js passes (see PacketCallback).
    this.callback?.(null as unknown as undefined, result?.type === 'publish' ? (result.packet as IPublishPacket) : undefined);
  }

  private failed(error: Error): void {
    // A broker's refusal comes with its PUBACK/PUBREC, as MQTT.js passes it: `callback(err, packet)`.
    if (this.callback) this.callback(error, error instanceof PublishError ? error.packet : undefined);
    else log('publish failed: %s', error.message);
  }
}
