// Shared pieces of the fault-injection specs: a windowed publisher of numbered messages, a
// subscriber that keeps a ledger per topic (copies per sequence number, arrival order), a fence
// that proves the broker has forwarded everything before the ledger is judged, and the one-line
// summary each scenario prints. Every wait is event-driven with a deadline; nothing sleeps.
import { connect, type ClientOptions, type MqttClient, type QoS } from '../../lib/index.js';
import { HANG_DEADLINE_MS, within } from '../helpers/wait.js';

export const FENCE = 'fence';

/** Per-topic record of what a subscriber received: copies per sequence number, in arrival order. */
export class Ledger {
  private readonly copies: Uint32Array;
  /** Sequence numbers in arrival order (duplicates included). */
  readonly arrivals: number[] = [];
  private fenceWaiter?: () => void;
  fenced = false;
  /** Called when a message arrives that had arrived before (its sequence number). */
  onRepeat?: (seq: number) => void;

  constructor(readonly total: number) {
    this.copies = new Uint32Array(total);
  }

  record(payload: string): void {
    if (payload === FENCE) {
      this.fenced = true;
      this.fenceWaiter?.();
      return;
    }
    const seq = Number(payload);
    if (!Number.isInteger(seq) || seq < 0 || seq >= this.total) throw new Error(`ledger: unexpected payload ${payload}`);
    if (this.copies[seq]! > 0) this.onRepeat?.(seq);
    this.copies[seq]!++;
    this.arrivals.push(seq);
  }

  /** Resolves when the fence message arrives. */
  waitForFence(): Promise<void> {
    if (this.fenced) return Promise.resolve();
    return new Promise((resolve) => (this.fenceWaiter = resolve));
  }

  lost(): number[] {
    const lost: number[] = [];
    for (let seq = 0; seq < this.total; seq++) if (this.copies[seq] === 0) lost.push(seq);
    return lost;
  }

  /** Sequence numbers received more than once. */
  duplicated(): number[] {
    const duplicated: number[] = [];
    for (let seq = 0; seq < this.total; seq++) if (this.copies[seq]! > 1) duplicated.push(seq);
    return duplicated;
  }

  /**
   * QoS 2: each message once, in publish order ([MQTT-4.6.0-6] ordered topics; [MQTT-4.3.3]
   * exactly once). The first arrival out of order, or undefined.
   */
  exactOrderViolation(): string | undefined {
    let expected = 0;
    for (let i = 0; i < this.arrivals.length; i++) {
      const seq = this.arrivals[i]!;
      if (seq !== expected) return `arrival #${i} is ${seq}, expected ${expected}: ...${this.arrivals.slice(Math.max(0, i - 5), i + 5).join(',')}...`;
      expected++;
    }
    return undefined;
  }

  /** In publish order when re-sent copies are ignored: the first copy of each message. */
  firstCopyOrderViolation(): string | undefined {
    let expected = 0;
    for (let i = 0; i < this.arrivals.length; i++) {
      const seq = this.arrivals[i]!;
      if (seq < expected) continue; // a later copy
      if (seq !== expected) return `first copy of ${seq} (arrival #${i}) came before that of ${expected}`;
      expected++;
    }
    return undefined;
  }

  /**
   * QoS 1 (MQTT 3.1.1 section 4.6, non-normative): re-sends may repeat earlier messages
   * (1,2,3,2,3,4), but the *final* copy of each message arrives in publish order. The first
   * message whose final copy came before its predecessor's, or undefined.
   */
  finalCopyOrderViolation(): string | undefined {
    const last = new Int32Array(this.total).fill(-1);
    for (let i = 0; i < this.arrivals.length; i++) last[this.arrivals[i]!] = i;
    for (let seq = 1; seq < this.total; seq++) {
      if (last[seq]! >= 0 && last[seq - 1]! >= 0 && last[seq]! < last[seq - 1]!) {
        return `final copy of ${seq} (arrival #${last[seq]}) precedes that of ${seq - 1} (arrival #${last[seq - 1]})`;
      }
    }
    return undefined;
  }
}

/** Clients created for a test, ended (forced) by closeAll(). */
export class Clients {
  private readonly all: MqttClient[] = [];
  errors = 0;

  open(url: string, options: ClientOptions): MqttClient {
    const client = connect(url, { reconnectPeriod: 20, connectTimeout: 3000, keepalive: 30, ...options });
    client.on('error', () => this.errors++); // every cut is an error event; counted, not logged
    this.all.push(client);
    return client;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.all.splice(0).map((client) => client.endAsync(true).catch(() => undefined)));
  }
}

/** `promise`, or a rejection naming `what` after a generous deadline. */
export { within };

/** A subscriber whose messages go to one ledger per topic; resolves once every SUBACK is in. */
export async function subscribeLedgers(client: MqttClient, ledgers: Record<string, Ledger>, qos: Record<string, QoS>): Promise<void> {
  client.on('message', (topic: string, payload: Buffer) => ledgers[topic]?.record(payload.toString()));
  const granted = await within(client.subscribeAsync(Object.fromEntries(Object.entries(qos).map(([t, q]) => [t, { qos: q }]))), 'SUBACK');
  for (const grant of granted) if (grant.qos !== qos[grant.topic]) throw new Error(`${grant.topic} granted QoS ${grant.qos}`);
}

export interface PublishRun {
  /** At most this many publishes awaiting their callback at once. @default 32 */
  window?: number;
  /** Called after each successful callback with the sequence number. */
  onAck?: (seq: number) => void;
}

/**
 * Publishes payloads "0".."count-1" on `topic`, keeping `window` in flight, and resolves when
 * every callback has succeeded; rejects on the first callback error.
 */
export function publishNumbered(client: MqttClient, topic: string, qos: QoS, count: number, run: PublishRun = {}): Promise<void> {
  const window = Math.min(run.window ?? 32, count);
  return new Promise((resolve, reject) => {
    let next = 0;
    let done = 0;
    const send = () => {
      const seq = next++;
      client.publish(topic, String(seq), { qos }, (error) => {
        if (error) return reject(new Error(`publish ${seq} on ${topic} failed: ${error.message}`));
        done++;
        run.onAck?.(seq);
        if (done === count) resolve();
        else if (next < count) send();
      });
    };
    for (let i = 0; i < window; i++) send();
  });
}

/**
 * Publishes the fence on `topic` and waits for it at the subscriber: the broker forwards a
 * publisher's messages on one topic in order ([MQTT-4.6.0-6]), so everything sent before it has
 * been delivered (a late duplicate would arrive before the fence, not after the test).
 */
export async function fence(publisher: MqttClient, topic: string, qos: QoS, ledger: Ledger, ms = HANG_DEADLINE_MS): Promise<void> {
  await within(publisher.publishAsync(topic, FENCE, { qos }), `the fence publish on ${topic}`, ms);
  await within(ledger.waitForFence(), `the fence on ${topic} at the subscriber`, ms);
}

export interface Summary {
  messages: number;
  cuts: number;
  restarts: number;
  lost: number;
  /** QoS 2 messages delivered more than once. */
  duplicated: number;
  /** Anything else worth a number (QoS 1 re-deliveries, reconnects, broker-attributable losses...). */
  extra?: Record<string, number | string>;
}

/** The one line a scenario prints, quoted by the closing note. */
export function printSummary(scenario: string, s: Summary): void {
  const extra = Object.entries(s.extra ?? {})
    .map(([key, value]) => ` ${key}=${value}`)
    .join('');
  console.log(`[faults] ${scenario}: messages=${s.messages} cuts=${s.cuts} restarts=${s.restarts} lost=${s.lost} duplicated=${s.duplicated}${extra}`);
}

/** A unique suffix for client ids, so persistent sessions of different tests never meet. */
let unique = 0;
export function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${++unique}`;
}
