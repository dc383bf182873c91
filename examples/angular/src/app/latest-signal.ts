import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { map } from 'rxjs';
import { utf8 } from 'rxmqtt';
import { DEMO_TOPIC } from './demo-topic';
import { MqttService } from './mqtt.service';

/**
 * The latest value of the demo topic as a signal (`toSignal` unsubscribes when the component is
 * destroyed). It shares the async-pipe view's stream: the broker sees one subscription for both.
 */
@Component({
  selector: 'app-latest-signal',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h2>With toSignal</h2>
    @if (latest(); as value) {
      <p>Latest value: <output data-testid="signal-value">{{ value }}</output></p>
    } @else {
      <p>Waiting for a message on {{ topic }}</p>
    }
  `,
})
export class LatestSignal {
  protected readonly topic = DEMO_TOPIC;
  protected readonly latest = toSignal(inject(MqttService).topic(DEMO_TOPIC, utf8()).pipe(map((message) => message.value)));
}
