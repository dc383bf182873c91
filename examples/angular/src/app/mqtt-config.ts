import { InjectionToken } from '@angular/core';
import type { ClientOptions } from 'rxmqtt';

/** Where `MqttService` connects. */
export interface MqttConfig {
  /** The broker's WebSocket URL: `ws://host:port/path` or `wss://...`. */
  url: string;
  /** rxmqtt's options, which are MQTT.js's (`clientId`, `username`, `reconnectPeriod`...). @default {} */
  options?: ClientOptions;
}

/**
 * The broker `MqttService` connects to, provided once in the application config:
 *
 * ```ts
 * providers: [{ provide: MQTT_CONFIG, useValue: { url: 'wss://broker.example/mqtt', options: { clientId: 'dashboard' } } }]
 * ```
 */
export const MQTT_CONFIG = new InjectionToken<MqttConfig>('MQTT_CONFIG');
