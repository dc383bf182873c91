import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { DEMO_TOPIC } from './demo-topic';
import { MqttService } from './mqtt.service';

/** Publishes what is typed to the demo topic (QoS 1), and says when the broker acknowledged it. */
@Component({
  selector: 'app-publish-form',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <form (submit)="send($event, value)">
      <label>Value <input #value name="value" data-testid="publish-input" required></label>
      <button type="submit" data-testid="publish-button">Publish to {{ topic }}</button>
    </form>
    <p data-testid="publish-outcome">{{ outcome() }}</p>
  `,
})
export class PublishForm {
  protected readonly topic = DEMO_TOPIC;
  protected readonly outcome = signal('');
  private readonly mqtt = inject(MqttService);

  protected async send(event: Event, input: HTMLInputElement): Promise<void> {
    event.preventDefault();
    const value = input.value;
    this.outcome.set(`publishing ${value}...`);
    try {
      await this.mqtt.publish(DEMO_TOPIC, value, { qos: 1 });
      this.outcome.set(`published ${value}`);
    } catch (error) {
      this.outcome.set(`not published: ${(error as Error).message}`);
    }
  }
}
