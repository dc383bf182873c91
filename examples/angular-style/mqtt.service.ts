/**
 * An Angular-style service over one rxmqtt client: components ask it for `topic(filter)` streams
 * and share them, publish through it, watch `connected$`, and the client ends with the service.
 *
 * It imports nothing from Angular, so it compiles (and is tested) as plain TypeScript. In an
 * Angular app, make it injectable by subclassing it:
 *
 * ```ts
 * @Injectable({ providedIn: 'root' })
 * export class AppMqtt extends MqttService {
 *   constructor() {
 *     super({ url: 'wss://broker.example/mqtt', options: { clientId: 'dashboard' } });
 *   }
 * }
 *
 * @Component({ selector: 'app-reading', template: '{{ (reading$ | async)?.value?.celsius }}' })
 * export class ReadingComponent {
 *   readonly reading$ = inject(AppMqtt).topic('sensors/kitchen/reading', READING); // const READING = json<Reading>()
 * }
 * ```
 */
import type { Observable } from 'rxjs';
import { lastValueFrom, shareReplay } from 'rxjs';
import { connect, type ClientOptions, type Codec, type MqttClient, type MqttMessage, type PublishOptions, type PublishResult } from '../../lib/index.js';

/** Where the service connects when it creates its own client. */
export interface MqttServiceConfig {
  /** A broker URL: `ws://`, `wss://`, `mqtt://`... */
  url: string;
  /** @default {} */
  options?: ClientOptions;
}

/** The shape of Angular's `OnDestroy`, without importing Angular. */
export interface OnDestroyLike {
  ngOnDestroy(): void;
}

/** No codec: the stream emits the raw messages (payload as a Buffer). */
const RAW = Symbol('raw');

export class MqttService implements OnDestroyLike {
  /** The client underneath, for anything the service does not wrap. */
  readonly client: MqttClient;
  /** true while connected to the broker; replays the current value to each subscriber. */
  readonly connected$: Observable<boolean>;
  /** One shared stream per filter and codec, so components of one filter share one decode. */
  private readonly streams = new Map<string, Map<Codec<unknown> | typeof RAW, Observable<MqttMessage<unknown>>>>();

  /**
   * @param source a connected (or connecting) client to wrap, or where to connect one; the
   * service ends the client on `ngOnDestroy()` either way
   */
  constructor(source: MqttClient | MqttServiceConfig) {
    this.client = 'url' in source && typeof source.url === 'string' ? connect(source.url, source.options ?? {}) : (source as MqttClient);
    this.connected$ = this.client.connected$;
  }

  /**
   * The messages of `filter`, shared by every subscriber: the broker gets one SUBSCRIBE when the
   * first component subscribes and one UNSUBSCRIBE when the last one leaves. A component that
   * joins later gets the latest message at once (like a retained one), then the live ones.
   *
   * @param filter an MQTT filter (`+`, `#`) or a pattern with named levels (`sensors/:id`)
   * @param codec decodes each payload into `value` (`json<T>()`, `utf8`...); streams are shared
   * per codec instance, so keep one in a constant rather than calling `json()` in each component
   * (the broker subscription is shared either way)
   * @returns a hot, ref-counted stream; errors with a SubackError if the broker refuses the filter
   */
  topic(filter: string): Observable<MqttMessage>;
  topic<T>(filter: string, codec: Codec<T>): Observable<MqttMessage<T>>;
  topic<T>(filter: string, codec?: Codec<T>): Observable<MqttMessage<T>> | Observable<MqttMessage> {
    let byCodec = this.streams.get(filter);
    if (!byCodec) this.streams.set(filter, (byCodec = new Map()));
    const key = codec ?? RAW;
    let stream = byCodec.get(key as Codec<unknown>);
    if (!stream) {
      const source = codec ? this.client.topic(filter, { codec }) : this.client.topic(filter);
      // refCount: the last unsubscribe unsubscribes at the broker, and a later first subscriber
      // starts afresh instead of getting a message from before the gap.
      stream = (source as Observable<MqttMessage<unknown>>).pipe(shareReplay({ bufferSize: 1, refCount: true }));
      byCodec.set(key as Codec<unknown>, stream);
    }
    return stream as Observable<MqttMessage<T>>;
  }

  /**
   * Publishes at once (no subscribe needed, so a click handler can fire and forget) and resolves
   * when the QoS flow completes; rejects as `client.publish$` errors.
   */
  publish(topic: string, payload: string | Buffer | Uint8Array, options?: PublishOptions): Promise<PublishResult>;
  publish<T>(topic: string, value: T, options: PublishOptions & { codec: Codec<T> }): Promise<PublishResult>;
  publish(topic: string, value: unknown, options?: PublishOptions & { codec?: Codec<unknown> }): Promise<PublishResult> {
    return lastValueFrom(this.client.publish$(topic, value, options as PublishOptions & { codec: Codec<unknown> }));
  }

  /** Ends the client: open `topic()` streams complete, and in-flight publishes get `endTimeout` to finish. */
  ngOnDestroy(): void {
    this.streams.clear();
    this.client.end();
  }
}
