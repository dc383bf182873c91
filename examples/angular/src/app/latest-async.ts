import { AsyncPipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { utf8 } from 'rxmqtt';
import { DEMO_TOPIC } from './demo-topic';
import { MqttService } from './mqtt.service';

/** The latest message of the demo topic, through the `async` pipe (which subscribes and unsubscribes with the view). */
@Component({
  selector: 'app-latest-async',
  imports: [AsyncPipe],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h2>With the async pipe</h2>
    @if (latest$ | async; as message) {
      <p>{{ message.topic }}: <output data-testid="async-value">{{ message.value }}</output></p>
    } @else {
      <p>Waiting for a message on {{ topic }}</p>
    }
  `,
})
export class LatestAsync {
  protected readonly topic = DEMO_TOPIC;
  protected readonly latest$ = inject(MqttService).topic(DEMO_TOPIC, utf8());
}
