// The Angular-style MqttService of examples/angular-style against aedes in process: components
// share one subscription, get the latest message when they join late, leave without affecting each
// other, and ngOnDestroy ends the client.
import { firstValueFrom, skip, take, toArray, type Subscription } from 'rxjs';
import { MqttClient, json, type ClientOptions, type MqttMessage } from '../../lib/index.js';
import { MqttService } from '../../examples/angular-style/mqtt.service.js';
import { startAedes, type AedesHandle } from '../helpers/aedes.js';
import { collect, HANG_DEADLINE_MS, once } from '../helpers/wait.js';

const QUICK: ClientOptions = { reconnectPeriod: 0, connectTimeout: HANG_DEADLINE_MS, endTimeout: 3000 };

interface Reading {
  celsius: number;
}

describe('MqttService (examples/angular-style)', () => {
  let aedes: AedesHandle;
  let services: MqttService[] = [];
  const subscribes: string[] = [];
  const unsubscribes: string[] = [];

  beforeEach(async () => {
    aedes = await startAedes();
    subscribes.length = 0;
    unsubscribes.length = 0;
    aedes.broker.on('subscribe', (subscriptions) => subscribes.push(...subscriptions.map((s) => s.topic)));
    aedes.broker.on('unsubscribe', (topics) => unsubscribes.push(...topics));
  });
  afterEach(async () => {
    for (const service of services.splice(0)) await service.client.endAsync(true);
    await aedes.close();
  });

  async function service(): Promise<MqttService> {
    const svc = new MqttService(new MqttClient(() => aedes.connectStream(), QUICK));
    services.push(svc);
    await firstValueFrom(svc.connected$.pipe(skip(1), take(1)));
    return svc;
  }

  it('gives two components one subscription at the broker and both the message, and unsubscribes when the last leaves', async () => {
    const svc = await service();
    const codec = json<Reading>();
    expect(svc.topic('home/+/temp', codec)).toBe(svc.topic('home/+/temp', codec));

    const subscribed = once(aedes.broker, 'subscribe');
    const first = collect(svc.topic('home/+/temp', codec), 1);
    const second = collect(svc.topic('home/+/temp', codec), 1);
    await subscribed;
    await svc.publish('home/kitchen/temp', { celsius: 21.5 }, { codec, qos: 1 });

    const [[a], [b]] = await Promise.all([first, second]);
    expect([a.topic, a.value]).toEqual(['home/kitchen/temp', { celsius: 21.5 }]);
    expect(b).toBe(a);
    expect(subscribes).toEqual(['home/+/temp']);
    // collect() took one message each and left: the last one out unsubscribed at the broker.
    await (unsubscribes.length ? Promise.resolve() : once(aedes.broker, 'unsubscribe'));
    expect(unsubscribes).toEqual(['home/+/temp']);
  });

  it('replays the latest message to a component that joins later, and keeps the others subscribed when one leaves', async () => {
    const svc = await service();
    const received: string[] = [];
    const subscribed = once(aedes.broker, 'subscribe');
    const early: Subscription = svc.topic('door/state').subscribe((m: MqttMessage) => received.push(`early ${m.payload.toString()}`));
    await subscribed;
    const firstMessage = collect(svc.topic('door/state'), 1);
    await svc.publish('door/state', 'open', { qos: 1 });
    await firstMessage;

    const late = await collect(svc.topic('door/state'), 1);
    expect(late[0].payload.toString()).toBe('open');

    const next = collect(svc.topic('door/state'), 2);
    early.unsubscribe();
    await svc.publish('door/state', 'closed', { qos: 1 });
    expect((await next).map((m) => m.payload.toString())).toEqual(['open', 'closed']);
    expect(received).toEqual(['early open']);
    expect(subscribes).toEqual(['door/state']);
  });

  it('ends the client on ngOnDestroy: connected$ turns false and open topic streams complete', async () => {
    const svc = await service();
    const states = firstValueFrom(svc.connected$.pipe(take(2), toArray()));
    const subscribed = once(aedes.broker, 'subscribe');
    const stream = firstValueFrom(svc.topic('anything/#').pipe(toArray()));
    await subscribed;
    const ended = once(svc.client, 'end');

    svc.ngOnDestroy();
    await ended;
    expect(await states).toEqual([true, false]);
    expect(await stream).toEqual([]);
    expect(svc.client.disconnected).toBe(true);
  });

  it('connects its own client from a URL and options', async () => {
    const svc = new MqttService({ url: aedes.url, options: { ...QUICK, clientId: 'dashboard' } });
    services.push(svc);
    await firstValueFrom(svc.connected$.pipe(skip(1), take(1)));
    expect(svc.client.options.clientId).toBe('dashboard');
    svc.ngOnDestroy();
    await once(svc.client, 'end');
  });
});
