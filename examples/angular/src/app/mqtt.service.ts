import { computed, DestroyRef, inject, Injectable, type Signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { lastValueFrom, map, type Observable, shareReplay } from 'rxjs';
import { connect, type Codec, type ConnectionState, type MqttClient, type MqttMessage, type PublishOptions, type PublishResult } from 'rxmqtt';
import { MQTT_CONFIG } from './mqtt-config';

/** The key of a `topic(filter)` stream without a codec (raw payloads). */
const RAW = Symbol('raw');

/**
 * One rxmqtt client for the whole application, connected to `MQTT_CONFIG`: components ask it
 * for `topic(filter)` streams and share them, publish through it and show `status()`. The
 * client ends when the root injector is destroyed (`ApplicationRef.destroy()`).
 */
@Injectable({ providedIn: 'root' })
export class MqttService {
  /** The client underneath, for anything the service does not wrap (`request()`, the MQTT.js API...). */
  readonly client: MqttClient;
  /** The connection's status: `'connecting'`, `'connected'`, `'reconnecting'`, `'offline'`... */
  readonly status: Signal<ConnectionState['status']>;
  /** true while connected to the broker. */
  readonly connected = computed(() => this.status() === 'connected');
  /** The shared stream of each filter, per codec (a component's codec decides what `value` is). */
  private readonly streams = new Map<string, Map<Codec<unknown> | typeof RAW, Observable<MqttMessage<unknown>>>>();

  constructor() {
    const { url, options } = inject(MQTT_CONFIG);
    this.client = connect(url, options ?? {});
    // state$ replays the current state to each subscriber; the signal starts from it.
    this.status = toSignal(this.client.state$.pipe(map((state) => state.status)), { initialValue: this.client.state.status });
    inject(DestroyRef).onDestroy(() => {
      this.streams.clear();
      this.client.end();
    });
  }

  /**
   * The messages of `filter`, one stream for every component that asks: the broker gets one
   * SUBSCRIBE when the first component subscribes and one UNSUBSCRIBE when the last one leaves
   * (rxmqtt's `topic()` does both). A component that joins later gets the latest message at once,
   * then the live ones.
   *
   * @param filter an MQTT filter (`+`, `#`) or a pattern with named levels (`sensors/:id`)
   * @param codec decodes each payload into `value` (`utf8()`, `json<T>()`); streams are shared per
   * codec instance, and rxmqtt's codec factories return one instance each
   * @returns a hot, ref-counted stream; errors with a SubackError if the broker refuses the filter
   */
  topic(filter: string): Observable<MqttMessage>;
  topic<T>(filter: string, codec: Codec<T>): Observable<MqttMessage<T>>;
  topic<T>(filter: string, codec?: Codec<T>): Observable<MqttMessage<T>> | Observable<MqttMessage> {
    let byCodec = this.streams.get(filter);
    if (!byCodec) this.streams.set(filter, (byCodec = new Map()));
    const key = (codec as Codec<unknown> | undefined) ?? RAW;
    let stream = byCodec.get(key);
    if (!stream) {
      const source = (codec ? this.client.topic(filter, { codec }) : this.client.topic(filter)) as Observable<MqttMessage<unknown>>;
      // refCount: when the last component leaves, the subscription at the broker ends, and the
      // next first subscriber starts afresh rather than with a message from before the gap.
      stream = source.pipe(shareReplay({ bufferSize: 1, refCount: true }));
      byCodec.set(key, stream);
    }
    return stream as Observable<MqttMessage<T>>;
  }

  /**
   * Publishes at once (a click handler need not subscribe) and resolves when the QoS flow
   * completes: at once for QoS 0, on PUBACK for 1, on PUBCOMP for 2. While offline, rxmqtt
   * queues the publish and sends it on reconnect.
   */
  publish(topic: string, payload: string | Uint8Array, options?: PublishOptions): Promise<PublishResult> {
    return lastValueFrom(this.client.publish$(topic, payload, options));
  }
}
