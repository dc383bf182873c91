// MQTT 5 request/response (issue #4) through a real mosquitto: round trips as an Observable and a
// Promise, Correlation Data matching, concurrency, timeouts, cancellation, forged replies, failing
// handlers, one reply SUBSCRIBE for many requests, and the MqttClient facade. Nothing here sleeps:
// every wait ends on a packet or an emission (the 200 ms timeout test waits for the timeout itself).
import { filter, firstValueFrom, lastValueFrom, Observable, take, timeout, toArray } from 'rxjs';
import {
  connect,
  InvalidArgumentError,
  RequestTimeoutError,
  type ClientOptions,
  type IPublishPacket,
  type MqttClient,
  type MqttMessage,
  type ResponseHandler,
  type ResponseOutcome,
} from '../../lib/index.js';
import { describeMosquitto } from '../helpers/mosquitto.js';
import { useMosquitto } from '../helpers/mosquitto-suite.js';
import { HANG_DEADLINE_MS } from '../helpers/wait.js';

/** The next SUBACK `client` receives, within 3 s. */
function nextSuback(client: MqttClient): Promise<unknown> {
  return firstValueFrom(client.packetsIn$.pipe(filter((p) => p.cmd === 'suback'), timeout(HANG_DEADLINE_MS)));
}

/** The next PUBLISH `client` receives on `topic`, within 3 s. */
function nextPublishOn(client: MqttClient, topic: () => string | undefined): Promise<IPublishPacket> {
  return firstValueFrom(client.packetsIn$.pipe(filter((p): p is IPublishPacket => p.cmd === 'publish' && p.topic === topic()), timeout(HANG_DEADLINE_MS)));
}

const text = (message: MqttMessage) => message.payload.toString();

/** Resolves with a function that resolves the Promise it returns: a handler's reply held back by the test. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describeMosquitto('MQTT 5 request/response against mosquitto', () => {
  const suite = useMosquitto({ name: 'rr' });
  const client = (options?: ClientOptions) => suite.client(options);

  /** A responder on `filter` whose SUBSCRIBE mosquitto granted; its outcomes fill the array. */
  async function responder(filterTopic: string, handler: ResponseHandler): Promise<{ client: MqttClient; outcomes: ResponseOutcome[] }> {
    const made = await client();
    const suback = nextSuback(made);
    const outcomes: ResponseOutcome[] = [];
    made.rx.respond(filterTopic, handler).subscribe((outcome) => outcomes.push(outcome));
    await suback;
    return { client: made, outcomes };
  }

  it('round-trips a request and its reply as an Observable that emits once and completes', async () => {
    await responder(`${suite.prefix}/echo`, (request) => `echo:${text(request)}`);
    const requester = await client();
    const replies = await lastValueFrom(requester.rx.request(`${suite.prefix}/echo`, 'hello', { timeout: HANG_DEADLINE_MS }).pipe(toArray()));
    expect(replies.map(text)).toEqual(['echo:hello']);
  });

  it('round-trips a request and its reply as a Promise through the MqttClient facade', async () => {
    await responder(`${suite.prefix}/echo`, async (request) => `echo:${text(request)}`);
    const requester = await client();
    const reply = await requester.request(`${suite.prefix}/echo`, Buffer.from([0, 1, 2]), { qos: 1, timeout: HANG_DEADLINE_MS });
    expect(reply.payload).toEqual(Buffer.from('echo:\u0000\u0001\u0002'));
  });

  it('carries the payload and user properties to the responder, and echoes the Correlation Data with the reply', async () => {
    const seen: MqttMessage[] = [];
    await responder(`${suite.prefix}/props`, (request) => {
      seen.push(request);
      return { payload: 'ok', properties: { userProperties: { answeredBy: 'responder' }, contentType: 'text/plain' } };
    });
    const requester = await client();
    const reply = await requester.request(`${suite.prefix}/props`, '{"n":1}', {
      timeout: HANG_DEADLINE_MS,
      properties: { userProperties: { origin: 'rxmqtt', tags: ['a', 'b'] }, contentType: 'application/json' },
    });
    const [request] = seen;
    expect(text(request)).toBe('{"n":1}');
    expect(request.properties).toMatchObject({ userProperties: { origin: 'rxmqtt', tags: ['a', 'b'] }, contentType: 'application/json' });
    expect(request.properties?.responseTopic).toBe(reply.topic);
    expect(request.properties?.correlationData).toHaveLength(16);
    expect(Buffer.compare(reply.properties!.correlationData!, request.properties!.correlationData!)).toBe(0);
    expect(reply.properties).toMatchObject({ userProperties: { answeredBy: 'responder' }, contentType: 'text/plain' });
  });

  it('gives each of two concurrent requests its own reply when the responder answers them in reverse order', async () => {
    const held: Array<{ request: MqttMessage; answer: (reply: string) => void }> = [];
    const bothArrived = deferred<void>();
    await responder(`${suite.prefix}/slow`, (request) => {
      const reply = deferred<string>();
      held.push({ request, answer: reply.resolve });
      if (held.length === 2) bothArrived.resolve();
      return reply.promise;
    });
    const requester = await client();
    const first = requester.request(`${suite.prefix}/slow`, 'first', { timeout: HANG_DEADLINE_MS });
    const second = requester.request(`${suite.prefix}/slow`, 'second', { timeout: HANG_DEADLINE_MS });
    await bothArrived.promise;
    for (const { request, answer } of [...held].reverse()) answer(`reply to ${text(request)}`);
    expect((await Promise.all([first, second])).map(text)).toEqual(['reply to first', 'reply to second']);
  });

  it('runs at most `concurrency` handlers: with 2 and 5 waiting requests, releasing one starts the next, and every request is answered', async () => {
    const running: Array<{ name: string; answer: (reply: string) => void }> = [];
    const started: string[] = [];
    let changed = deferred<void>();
    const made = await client();
    const suback = nextSuback(made);
    made.rx
      .respond(
        `${suite.prefix}/bounded`,
        (request) => {
          const reply = deferred<string>();
          running.push({ name: text(request), answer: reply.resolve });
          started.push(text(request));
          changed.resolve();
          return reply.promise;
        },
        { concurrency: 2 },
      )
      .subscribe();
    await suback;
    const requester = await client();
    const names = ['r1', 'r2', 'r3', 'r4', 'r5'];
    const replies = names.map((name) => requester.request(`${suite.prefix}/bounded`, name, { qos: 1, timeout: 5000 }));
    /** Waits until `count` handlers have started (each start is an event, no polling). */
    const startedCount = async (count: number) => {
      while (started.length < count) {
        await changed.promise;
        changed = deferred<void>();
      }
    };
    await startedCount(2);
    // The three others are held at the client, unacknowledged: a round trip through the broker
    // (a request of our own answered by nobody but the broker's PUBACK) lets them arrive first.
    await requester.publishAsync(`${suite.prefix}/other`, 'sync', { qos: 1 });
    expect(running.map((r) => r.name)).toHaveLength(2);
    for (let done = 0; done < names.length; done++) {
      const next = running.shift()!;
      next.answer(`re:${next.name}`);
      if (done + 2 < names.length) await startedCount(done + 3);
      expect(running.length).toBeLessThanOrEqual(2);
    }
    expect((await Promise.all(replies)).map(text)).toEqual(names.map((name) => `re:${name}`));
    expect(started.sort()).toEqual(names);
  });

  it('leaves unanswered requests unacknowledged when the responder client ends: its resumed session gets them again (QoS 1)', async () => {
    const session: ClientOptions = { clientId: `responder-${process.pid}-${suite.testNumber}`, clean: false, properties: { sessionExpiryInterval: 60 } };
    const first = await client(session);
    const started: string[] = [];
    const firstStarted = deferred<void>();
    const suback = nextSuback(first);
    const hangs = (request: MqttMessage) => (started.push(text(request)), firstStarted.resolve(), new Promise<string>(() => undefined));
    first.rx.respond(`${suite.prefix}/crash`, hangs, { concurrency: 1 }).subscribe();
    await suback;
    const requester = await client();
    const names = ['c1', 'c2', 'c3'];
    const properties = (name: string) => ({ responseTopic: `${suite.prefix}/answers`, correlationData: Buffer.from(name) });
    for (const name of names) await requester.publishAsync(`${suite.prefix}/crash`, name, { qos: 1, properties: properties(name) });
    await firstStarted.promise;
    await requester.publishAsync(`${suite.prefix}/other`, 'sync', { qos: 1 });
    expect(started).toEqual(['c1']);
    await first.endAsync(true); // the responder goes away with c1 running and c2, c3 waiting

    const resumed = connect(suite.broker.url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 3000, endTimeout: 3000, manualConnect: true, ...session });
    suite.track(() => resumed.endAsync(true));
    const answered: string[] = [];
    const allAnswered = deferred<void>();
    resumed.rx
      .respond(`${suite.prefix}/crash`, (request) => {
        answered.push(text(request));
        if (answered.length === names.length) allAnswered.resolve();
        return `re:${text(request)}`;
      })
      .subscribe();
    resumed.connect();
    await allAnswered.promise;
    expect(answered.sort()).toEqual(names);
  });

  it('fails with a RequestTimeoutError when nobody answers within the timeout', async () => {
    const requester = await client();
    const outcome = requester.request(`${suite.prefix}/nobody`, 'anyone?', { timeout: 200 });
    await expect(outcome).rejects.toBeInstanceOf(RequestTimeoutError);
    await expect(outcome).rejects.toMatchObject({ code: 'ERR_REQUEST_TIMEOUT', topic: `${suite.prefix}/nobody`, timeoutMs: 200 });
  });

  it('cancels a request on unsubscribe: the late reply reaches the client but no one, and a new request still works', async () => {
    const arrived = deferred<void>();
    const release = deferred<void>();
    let replyTopic: string | undefined;
    const { outcomes } = await responder(`${suite.prefix}/cancel`, async (request) => {
      if (text(request) === 'cancelled') {
        replyTopic = request.properties?.responseTopic;
        arrived.resolve();
        await release.promise;
      }
      return `reply to ${text(request)}`;
    });
    const requester = await client();
    const seen: unknown[] = [];
    const subscription = requester.rx.request(`${suite.prefix}/cancel`, 'cancelled', { timeout: HANG_DEADLINE_MS }).subscribe({
      next: (m) => seen.push(text(m)),
      error: (e: unknown) => seen.push(e),
      complete: () => seen.push('complete'),
    });
    await arrived.promise;
    subscription.unsubscribe();
    const lateReply = nextPublishOn(requester, () => replyTopic);
    release.resolve();
    expect((await lateReply).payload.toString()).toBe('reply to cancelled');
    expect(seen).toEqual([]);
    expect(outcomes.map((o) => o.type)).toEqual(['replied']);
    expect(text(await requester.request(`${suite.prefix}/cancel`, 'again', { timeout: HANG_DEADLINE_MS }))).toBe('reply to again');
    expect(seen).toEqual([]);
  });

  it('ignores a reply that a stranger publishes to the reply topic with the wrong Correlation Data', async () => {
    const stranger = await client();
    let forged: IPublishPacket | undefined;
    await responder(`${suite.prefix}/forged`, async (request) => {
      // The forgery reaches the requester first: mosquitto acknowledged it before the real reply is sent.
      await stranger.publishAsync(request.properties!.responseTopic!, 'forged', { qos: 1, properties: { correlationData: Buffer.from('guess') } });
      return 'genuine';
    });
    const requester = await client();
    requester.packetsIn$.pipe(filter((p): p is IPublishPacket => p.cmd === 'publish'), take(1)).subscribe((p) => (forged = p));
    const reply = await requester.request(`${suite.prefix}/forged`, 'q', { timeout: HANG_DEADLINE_MS });
    expect(text(reply)).toBe('genuine');
    expect(forged?.payload.toString()).toBe('forged');
  });

  it('keeps answering after a handler throws or rejects, and reports each failure', async () => {
    const failures: string[] = [];
    const failed = deferred<void>();
    const made = await client();
    const suback = nextSuback(made);
    made.respond(
      `${suite.prefix}/fragile`,
      (request) => {
        if (text(request) === 'throw') throw new Error('handler threw');
        if (text(request) === 'reject') return Promise.reject(new Error('handler rejected'));
        return 'fine';
      },
      {
        onError: (error, request) => {
          failures.push(`${request && text(request)}: ${error.message}`);
          if (failures.length === 2) failed.resolve();
        },
      },
    );
    await suback;
    const requester = await client();
    const unanswered = [requester.rx.request(`${suite.prefix}/fragile`, 'throw').subscribe(), requester.rx.request(`${suite.prefix}/fragile`, 'reject').subscribe()];
    await failed.promise;
    for (const subscription of unanswered) subscription.unsubscribe();
    expect(failures.sort()).toEqual(['reject: handler rejected', 'throw: handler threw']);
    expect(text(await requester.request(`${suite.prefix}/fragile`, 'ok', { timeout: HANG_DEADLINE_MS }))).toBe('fine');
  });

  it('skips a message without a Response Topic: it is not a request', async () => {
    const handled: string[] = [];
    await responder(`${suite.prefix}/mixed`, (request) => {
      handled.push(text(request));
      return 'ok';
    });
    const requester = await client();
    await requester.publishAsync(`${suite.prefix}/mixed`, 'plain', { qos: 1 });
    await requester.request(`${suite.prefix}/mixed`, 'request', { timeout: HANG_DEADLINE_MS });
    expect(handled).toEqual(['request']);
  });

  it('sends one SUBSCRIBE for the reply topic across many sequential and concurrent requests', async () => {
    await responder(`${suite.prefix}/many`, (request) => text(request));
    const requester = await client();
    const subscribes: string[][] = [];
    requester.packetsOut$.subscribe((p) => p.cmd === 'subscribe' && subscribes.push(p.subscriptions.map((s) => s.topic)));
    const unsubscribes: unknown[] = [];
    requester.packetsOut$.subscribe((p) => p.cmd === 'unsubscribe' && unsubscribes.push(p));
    const concurrent = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((n) => requester.request(`${suite.prefix}/many`, n, { timeout: HANG_DEADLINE_MS })));
    const sequential: string[] = [];
    for (const n of ['f', 'g', 'h']) sequential.push(text(await requester.request(`${suite.prefix}/many`, n, { timeout: HANG_DEADLINE_MS })));
    expect([...concurrent.map(text), ...sequential]).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    expect(subscribes).toEqual([[concurrent[0].topic]]);
    expect(unsubscribes).toEqual([]);
  });

  it('fails request() and respond() at once with an InvalidArgumentError on an MQTT 3.1.1 client', async () => {
    const v4 = await client({ protocolVersion: 4 });
    const sent: string[] = [];
    v4.packetsOut$.subscribe((p) => sent.push(p.cmd));
    let failure: unknown;
    v4.rx.request(`${suite.prefix}/x`, 'x').subscribe({ error: (error: unknown) => (failure = error) });
    expect(failure).toBeInstanceOf(InvalidArgumentError);
    expect((failure as Error).message).toMatch(/MQTT 5/);
    await expect(v4.request(`${suite.prefix}/x`, 'x')).rejects.toBeInstanceOf(InvalidArgumentError);
    const errors: Error[] = [];
    v4.respond(`${suite.prefix}/x`, () => 'y', { onError: (error) => errors.push(error) });
    expect(errors[0]).toBeInstanceOf(InvalidArgumentError);
    expect(sent).toEqual([]);
  });

  it('facade: respond() answers until its Subscription is unsubscribed, and an aborted request() rejects with the abort reason', async () => {
    const made = await client();
    const suback = nextSuback(made);
    const answering = made.respond(`${suite.prefix}/svc`, (request) => new Observable<string>((s) => s.next(`svc:${text(request)}`)));
    await suback;
    const requester = await client();
    expect(text(await requester.request(`${suite.prefix}/svc`, 'one', { timeout: HANG_DEADLINE_MS }))).toBe('svc:one');

    const unsuback = firstValueFrom(made.packetsIn$.pipe(filter((p) => p.cmd === 'unsuback'), timeout(HANG_DEADLINE_MS)));
    answering.unsubscribe();
    await unsuback;
    const controller = new AbortController();
    const aborted = requester.request(`${suite.prefix}/svc`, 'two', { signal: controller.signal });
    controller.abort(new Error('no longer needed'));
    await expect(aborted).rejects.toThrow('no longer needed');
  });
});
