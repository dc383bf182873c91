import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { LatestAsync } from './latest-async';
import { LatestSignal } from './latest-signal';
import { MQTT_CONFIG } from './mqtt-config';
import { MqttService } from './mqtt.service';
import { PublishForm } from './publish-form';

/**
 * The page: the connection status, the two views of the demo topic (each can be hidden, which
 * destroys it: when both are gone, the shared stream ends and rxmqtt unsubscribes at the broker)
 * and the publish form.
 */
@Component({
  selector: 'app-root',
  imports: [LatestAsync, LatestSignal, PublishForm],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>rxmqtt + Angular</h1>
    <p>Broker {{ brokerUrl }}: <span data-testid="status">{{ mqtt.status() }}</span></p>
    <label><input type="checkbox" data-testid="show-async" [checked]="showAsync()" (change)="showAsync.set(!showAsync())"> async pipe view</label>
    <label><input type="checkbox" data-testid="show-signal" [checked]="showSignal()" (change)="showSignal.set(!showSignal())"> toSignal view</label>
    @if (showAsync()) {
      <app-latest-async />
    }
    @if (showSignal()) {
      <app-latest-signal />
    }
    <app-publish-form />
  `,
})
export class App {
  protected readonly mqtt = inject(MqttService);
  protected readonly brokerUrl = inject(MQTT_CONFIG).url;
  protected readonly showAsync = signal(true);
  protected readonly showSignal = signal(true);
}
