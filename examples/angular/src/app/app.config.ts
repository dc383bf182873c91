import { type ApplicationConfig, provideBrowserGlobalErrorListeners } from '@angular/core';
import { MQTT_CONFIG, type MqttConfig } from './mqtt-config';

/** Where a broker started with `rxmqtt broker --ws-port 8080` listens. */
const DEFAULT_BROKER_URL = 'ws://localhost:8080';

/** The broker from the page's `?broker=ws://host:port` (how the tests point the app at theirs), else the default. */
function brokerFromPage(): MqttConfig {
  const url = new URLSearchParams(location.search).get('broker') ?? DEFAULT_BROKER_URL;
  return { url, options: { clientId: `rxmqtt-angular-${Math.random().toString(16).slice(2, 10)}` } };
}

export const appConfig: ApplicationConfig = {
  providers: [provideBrowserGlobalErrorListeners(), { provide: MQTT_CONFIG, useFactory: brokerFromPage }],
};
