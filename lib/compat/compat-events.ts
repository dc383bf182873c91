/**
 * MQTT.js's view of the connection, derived from the Observable client: its status booleans
 * (`connected`, `reconnecting`...) from the state union, its events ('connect', 'error',
 * 'close'...) from the client's events, and the per-packet events ('message', 'packetsend',
 * 'packetreceive'), wired to the client only while someone listens since they cost something
 * per packet. A base class of `MqttClient`, so that `compat.ts` holds the MQTT.js methods.
 */
import { EventEmitter } from 'node:events';
import type { Subscription } from 'rxjs';
import type { RxMqttClient } from '../client/client.js';
import type { ClientEvent } from '../connection/connection-state.js';
import { createLogger } from '../log.js';
import type { ResolvedOptions } from '../options/options.js';
import type { MqttClientEvent, MqttClientEventCallbacks } from './compat-types.js';

const log = createLogger('client');

/**
 * The methods that add, remove or emit listeners, typed by event as MQTT.js's TypedEventEmitter
 * types them: an unknown event name or a listener of the wrong shape does not compile. Types only
 * (merged into the class below); the methods are EventEmitter's. Those that only read
 * (`listenerCount`, `eventNames`...) keep EventEmitter's types, as EventEmitter's own
 * 'newListener' and 'removeListener' listeners are there too.
 */
export interface CompatEventEmitter {
  /**
   * EventEmitter's `on`, typed by event: adds `listener` for `event` (see {@link MqttClientEventCallbacks}).
   * 'message', 'packetsend' and 'packetreceive' cost nothing per packet until their first listener.
   */
  on<E extends MqttClientEvent>(event: E, listener: MqttClientEventCallbacks[E]): this;
  /** EventEmitter's `once`, typed by event: `listener` is called for the next `event` only. */
  once<E extends MqttClientEvent>(event: E, listener: MqttClientEventCallbacks[E]): this;
  /** EventEmitter's `off`, typed by event: removes `listener`. */
  off<E extends MqttClientEvent>(event: E, listener: MqttClientEventCallbacks[E]): this;
  /** EventEmitter's `addListener`, typed by event: the same as `on`. */
  addListener<E extends MqttClientEvent>(event: E, listener: MqttClientEventCallbacks[E]): this;
  /** EventEmitter's `removeListener`, typed by event: the same as `off`. */
  removeListener<E extends MqttClientEvent>(event: E, listener: MqttClientEventCallbacks[E]): this;
  /** EventEmitter's `prependListener`, typed by event: adds `listener` before the others. */
  prependListener<E extends MqttClientEvent>(event: E, listener: MqttClientEventCallbacks[E]): this;
  /** EventEmitter's `prependOnceListener`, typed by event: `once`, before the other listeners. */
  prependOnceListener<E extends MqttClientEvent>(event: E, listener: MqttClientEventCallbacks[E]): this;
  /** EventEmitter's `emit`, typed by event: calls the listeners of `event` with `args`; true if it had any. */
  emit<E extends MqttClientEvent>(event: E, ...args: Parameters<MqttClientEventCallbacks[E]>): boolean;
}

export abstract class CompatEventEmitter extends EventEmitter {
  abstract readonly options: ResolvedOptions;
  /** The Observable client whose state and events this emitter reflects. */
  abstract get rx(): RxMqttClient;
  /** The Observable subscriptions behind 'message', 'packetsend' and 'packetreceive' listeners, made for the first one. */
  private lazy?: Map<string, Subscription>;
  /** `options.keepalive` as given, before a CONNACK's Server Keep Alive replaced it. */
  private requestedKeepalive?: number;

  constructor() {
    super();
    // Shared functions, called with the emitter as `this`: no closures per client.
    // EventEmitter's own events, which the typed `on` above does not offer to users.
    super.on('newListener', CompatEventEmitter.listenLazily);
    super.on('removeListener', CompatEventEmitter.unlistenWhenLast);
  }

  /** MQTT.js `client.connected`: true while the state is 'connected'. */
  get connected(): boolean {
    return this.rx.state.status === 'connected';
  }

  /**
   * MQTT.js `client.reconnecting`: true while waiting to reconnect, and during every connection
   * attempt after the first.
   */
  get reconnecting(): boolean {
    const state = this.rx.state;
    return state.status === 'reconnecting' || (state.status === 'connecting' && state.attempt > 1);
  }

  /**
   * From end() on, and still once it is done (as in MQTT.js, which clears it after end() only
   * when the client would never reconnect by itself: `reconnectPeriod` 0 or `manualConnect`);
   * connect() and reconnect() clear it.
   */
  get disconnecting(): boolean {
    const { status } = this.rx.state;
    if (status === 'disconnecting') return true;
    return status === 'closed' && this.options.reconnectPeriod > 0 && !this.options.manualConnect;
  }

  /** MQTT.js `client.disconnected`: true while the state is 'offline', 'reconnecting' or 'closed'. */
  get disconnected(): boolean {
    const { status } = this.rx.state;
    return status === 'offline' || status === 'closed' || status === 'reconnecting';
  }

  /** Re-emits an event of the Observable client the way MQTT.js emits it. */
  protected onEvent(event: ClientEvent): void {
    switch (event.type) {
      case 'connect': {
        // MQTT.js reports a v5 Assigned Client Identifier in client.options.clientId.
        const assigned = event.connack.properties?.assignedClientIdentifier;
        if (assigned) this.options.clientId = assigned;
        // And the keepalive in use in client.options.keepalive: a v5 Server Keep Alive replaces
        // the one CONNECT asked for [MQTT-3.2.2-21] (each CONNECT still asks for the option's own).
        this.requestedKeepalive ??= this.options.keepalive;
        this.options.keepalive = event.connack.properties?.serverKeepAlive ?? this.requestedKeepalive;
        this.emit('connect', event.connack);
        return;
      }
      case 'error':
        // An 'error' with no listener would crash the host process: log it instead.
        if (this.listenerCount('error') > 0) this.emit('error', event.error);
        else log('error (no listener): %s', event.error.message);
        return;
      case 'disconnect':
        this.emit('disconnect', event.packet);
        return;
      case 'end':
        return; // emitted by end() after its callback, as MQTT.js does
      case 'dropped':
        // rxmqtt: the bounded offline queue dropped a publish (MQTT.js has no such queue).
        this.emit('dropped', event.error);
        return;
      case 'protocolAnomaly':
        return; // rxmqtt's own report on events$; MQTT.js has no such event
      case 'reconnect':
      case 'close':
      case 'offline':
      case 'outgoingEmpty':
        this.emit(event.type);
        return;
      default: {
        const unexpected: never = event;
        log('unknown event %o', unexpected);
      }
    }
  }

  /** The 'newListener' listener: packet and message events are wired only when someone listens. */
  private static listenLazily(this: CompatEventEmitter, event: string): void {
    if (this.lazy?.has(event)) return;
    if (event === 'message') {
      (this.lazy ??= new Map()).set(event, this.rx.messages$.subscribe((m) => this.rx.reportsMessage(m.topic) && this.emit('message', m.topic, m.payload, m.packet)));
    } else if (event === 'packetsend') {
      (this.lazy ??= new Map()).set(event, this.rx.packetsOut$.subscribe((p) => this.emit('packetsend', p)));
    } else if (event === 'packetreceive') {
      (this.lazy ??= new Map()).set(event, this.rx.packetsIn$.subscribe((p) => this.emit('packetreceive', p)));
    }
  }

  /**
   * The 'removeListener' listener: when the last listener of a lazily wired event left, stop
   * paying for it (and let the Subject go unobserved).
   */
  private static unlistenWhenLast(this: CompatEventEmitter, event: string): void {
    if (this.listenerCount(event) > 0) return;
    this.lazy?.get(event)?.unsubscribe();
    this.lazy?.delete(event);
  }
}
