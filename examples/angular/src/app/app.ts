import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { LatestAsync } from './latest-async';
import { LatestSignal } from './latest-signal';
import { MQTT_CONFIG } from './mqtt-config';
import { MqttService } from './mqtt.service';
import { PublishForm } from './publish-form';

@Component({
  selector: 'app-root',
  imports: [LatestAsync, LatestSignal, PublishForm],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>rxmqtt + Angular</h1>
    <p>Broker {{ brokerUrl }}: <span data-testid="status">{{ mqtt.status() }}</span></p>
    <app-latest-async />
    <app-latest-signal />
    <app-publish-form />
  `,
})
export class App {
  protected readonly mqtt = inject(MqttService);
  protected readonly brokerUrl = inject(MQTT_CONFIG).url;
}
