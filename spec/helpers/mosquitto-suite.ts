// The set-up every interop spec repeats, once: a private mosquitto per file, a topic prefix of
// its own per test (retained messages never leak between tests), and every client the test made
// ended after it. Call `useMosquitto()` inside a `describeMosquitto` block.
import { connect, type ClientOptions, type MqttClient } from '../../lib/index.js';
import { startMosquitto, type MosquittoHandle, type MosquittoOptions } from './mosquitto.js';
import { HANG_DEADLINE_MS, once } from './wait.js';

export interface MosquittoSuite {
  /** The broker of this file (set in beforeAll). */
  readonly broker: MosquittoHandle;
  /** `<name>/<pid>/<n>`, new for every test. */
  readonly prefix: string;
  /** 1 for the first test of the file, then one more per test. */
  readonly testNumber: number;
  /** A client of `connect(broker.url, ...)` with the suite's defaults, connected; ended after the test. */
  client(options?: ClientOptions): Promise<MqttClient>;
  /** Ends `closer` after the test (clients made some other way). */
  track(closer: () => Promise<unknown>): void;
}

export interface SuiteOptions extends MosquittoOptions {
  /** Topic prefix head, e.g. 'rr' for request/response. */
  name: string;
  /** Client options every `client()` starts from. @default MQTT 5, no reconnect, 3 s timeouts */
  clientDefaults?: ClientOptions;
}

const DEFAULTS: ClientOptions = { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: HANG_DEADLINE_MS, endTimeout: 3000 };

export function useMosquitto({ name, clientDefaults = DEFAULTS, ...brokerOptions }: SuiteOptions): MosquittoSuite {
  let broker: MosquittoHandle | undefined;
  let closers: Array<() => Promise<unknown>> = [];
  let testNumber = 0;

  beforeAll(async () => {
    broker = await startMosquitto(brokerOptions);
  });
  afterAll(async () => {
    await broker?.stop();
  });
  beforeEach(() => {
    testNumber++;
  });
  afterEach(async () => {
    const ending = closers;
    closers = [];
    await Promise.all(ending.map((close) => close()));
  });

  const suite: MosquittoSuite = {
    get broker() {
      if (!broker) throw new Error('mosquitto is not started: use the suite inside a test');
      return broker;
    },
    get prefix() {
      return `${name}/${process.pid}/${testNumber}`;
    },
    get testNumber() {
      return testNumber;
    },
    async client(options: ClientOptions = {}) {
      const made = connect(suite.broker.url, { ...clientDefaults, ...options });
      closers.push(() => made.endAsync(true));
      if (!made.connected) await once(made, 'connect');
      return made;
    },
    track(closer) {
      closers.push(closer);
    },
  };
  return suite;
}
