/**
 * `rxmqtt sub`: subscribe and print one line per message as it arrives (mosquitto_sub style).
 */
import { readFileSync } from 'node:fs';
import type { Options } from 'yargs';
import { matchTopic, validateFilter, type MqttClient, type MqttMessage, type QoS } from '../lib/index.js';
import { CliError, describeError, EXIT, UsageError } from './errors.js';
import { formatOutput, parseOutputSpec, type OutputSpec } from './format.js';
import { FormatError } from './format-template.js';
import { wallTimeNow, type WallTime } from './format-time.js';
import { toConnectSettings, type ConnectionFlags } from './options.js';
import { parsePropertyWords, PROPERTY_FLAGS, withConnectProperties, type PropertyFlags, type PropertySets } from './properties.js';
import { closeClient, connectionLost, connectOrFail, createClient, deferred, onStopSignal, reportConnection, report, stderrIsTerminal } from './session.js';

export interface SubFlags extends ConnectionFlags, PropertyFlags {
  topic?: string[];
  qos?: number;
  verbose?: boolean;
  count?: number;
  timeout?: number;
  noRetained?: boolean;
  format?: string;
  noNewline?: boolean;
  exitAfterSubscribe?: boolean;
  retainedOnly?: boolean;
  filterOut?: string[];
  removeRetained?: boolean;
}

/** What `sub` will do, checked and defaulted. */
export interface SubscribePlan {
  topics: string[];
  qos: QoS;
  output: OutputSpec;
  verbose: boolean;
  /** Stop after this many printed messages. */
  count?: number;
  /** Give up (exit 27) after this many milliseconds. */
  timeoutMs?: number;
  /** Skip messages that carry the retain flag (stale values). */
  skipRetained: boolean;
  /** -E: exit once the broker acknowledged the subscriptions (to register a persistent session). */
  exitAfterSubscribe: boolean;
  /** Print only retained messages; the first one without the flag ends the command (exit 0). */
  retainedOnly: boolean;
  /** -T: messages on topics matching one of these filters are ignored (not printed, counted or removed). */
  filterOut: string[];
  /** Clear every retained message received by publishing an empty retained message to its topic. */
  removeRetained: boolean;
}

/** What happens to one received message. */
export type MessageAction = { action: 'print' | 'ignore'; clearRetained: boolean } | { action: 'end' };

const SUBSCRIBE = 'Subscribe:';

export const SUB_FLAGS = {
  topic: { alias: 't', type: 'string', array: true, requiresArg: true, demandOption: true, group: SUBSCRIBE, describe: 'Topic filter to subscribe to (repeatable)' },
  qos: { alias: 'q', type: 'number', choices: [0, 1, 2], default: 0, group: SUBSCRIBE, describe: 'Maximum QoS of the subscription' },
  verbose: { alias: 'v', type: 'boolean', group: SUBSCRIBE, describe: 'Print the topic before the payload (text and hex); on a terminal, show reconnects on stderr' },
  count: { alias: 'C', type: 'number', requiresArg: true, group: SUBSCRIBE, describe: 'Exit after this many messages' },
  timeout: { alias: 'W', type: 'number', requiresArg: true, group: SUBSCRIBE, describe: 'Exit with code 27 after this many seconds' },
  'no-retained': { alias: 'R', type: 'boolean', group: SUBSCRIBE, describe: 'Do not print messages with the retain flag (stale values)' },
  format: {
    alias: 'F',
    type: 'string',
    default: 'text',
    group: SUBSCRIBE,
    describe: 'Output: text (payload as is), json (one object per line), hex, or a mosquitto_sub format string ("%t %p", "@H:@M:@S %j")',
  },
  'no-newline': { alias: 'N', type: 'boolean', group: SUBSCRIBE, describe: 'Print no newline after each message' },
  'exit-after-subscribe': { alias: 'E', type: 'boolean', group: SUBSCRIBE, describe: 'Exit once the broker acknowledged the subscriptions' },
  'retained-only': { type: 'boolean', group: SUBSCRIBE, describe: 'Print only retained messages; exit at the first one that is not' },
  'filter-out': { alias: 'T', type: 'string', array: true, requiresArg: true, group: SUBSCRIBE, describe: 'Ignore messages whose topic matches this filter (repeatable)' },
  'remove-retained': { type: 'boolean', group: SUBSCRIBE, describe: 'Clear each retained message received (publish an empty retained message to its topic)' },
  ...PROPERTY_FLAGS,
} as const satisfies Record<string, Options>;

/** Checks the sub-specific flags; throws a UsageError for anything that can never work. */
export function toSubscribePlan(flags: SubFlags): SubscribePlan {
  const topics = flags.topic ?? [];
  if (topics.length === 0) throw new UsageError('Give at least one topic with -t/--topic');
  for (const topic of topics) {
    const problem = validateFilter(topic);
    if (problem) throw new UsageError(`Invalid topic filter "${topic}": ${problem}`);
  }
  const qos = flags.qos ?? 0;
  if (qos !== 0 && qos !== 1 && qos !== 2) throw new UsageError(`-q/--qos must be 0, 1 or 2, got ${qos}`);
  const verbose = flags.verbose ?? false;
  let output: OutputSpec;
  try {
    output = parseOutputSpec(flags.format ?? 'text', verbose, !flags.noNewline);
  } catch (error) {
    if (error instanceof FormatError) throw new UsageError(`-F/--format: ${error.message}`);
    throw error;
  }
  const filterOut = flags.filterOut ?? [];
  for (const filter of filterOut) {
    const problem = validateFilter(filter);
    if (problem) throw new UsageError(`Invalid -T/--filter-out filter "${filter}": ${problem}`);
  }
  if (flags.noRetained && flags.retainedOnly) throw new UsageError('-R/--no-retained and --retained-only cannot be combined');
  if (flags.count !== undefined && !(Number.isInteger(flags.count) && flags.count > 0)) {
    throw new UsageError(`-C/--count must be a positive integer, got ${flags.count}`);
  }
  if (flags.timeout !== undefined && !(flags.timeout > 0)) throw new UsageError(`-W/--timeout must be a positive number of seconds, got ${flags.timeout}`);
  return {
    topics,
    qos,
    output,
    verbose,
    ...(flags.count !== undefined && { count: flags.count }),
    ...(flags.timeout !== undefined && { timeoutMs: Math.round(flags.timeout * 1000) }),
    skipRetained: flags.noRetained ?? false,
    exitAfterSubscribe: flags.exitAfterSubscribe ?? false,
    retainedOnly: flags.retainedOnly ?? false,
    filterOut,
    removeRetained: flags.removeRetained ?? false,
  };
}

/**
 * Decides what to do with a message, in mosquitto_sub's order: --retained-only ends at the first
 * live message; -T ignores a topic altogether; --remove-retained clears a retained message even
 * when -R hides it (as mosquitto_sub(1) documents).
 */
export function messageAction(message: Pick<MqttMessage, 'topic' | 'retain'>, plan: SubscribePlan): MessageAction {
  if (plan.retainedOnly && !message.retain) return { action: 'end' };
  if (plan.filterOut.some((filter) => matchTopic(filter, message.topic))) return { action: 'ignore', clearRetained: false };
  const clearRetained = plan.removeRetained && message.retain;
  return { action: plan.skipRetained && message.retain ? 'ignore' : 'print', clearRetained };
}

/** Runs `rxmqtt sub`; resolves with the exit code, rejects with a CliError. */
export async function runSub(flags: SubFlags): Promise<number> {
  const plan = toSubscribePlan(flags);
  const propertySets = parsePropertyWords(flags.property, ['connect', 'subscribe', 'will', 'disconnect']);
  const connection = toConnectSettings(flags, (path) => readFileSync(path));
  const settings = { ...connection, options: withConnectProperties(connection.options, propertySets) };
  const finished = deferred<number>();
  const client = createClient(settings);
  const printer = createPrinter(plan, client, () => finished.resolve(EXIT.ok), (error) => finished.reject(error));
  client.messages$.subscribe(printer.receive);
  // A reconnect would otherwise look like a quiet topic to someone watching -v output.
  const reconnects = plan.verbose && !settings.debug && stderrIsTerminal() ? reportConnection(client, settings, true) : undefined;
  const removeSignals = onStopSignal(() => finished.resolve(EXIT.ok));
  const timer = plan.timeoutMs === undefined ? undefined : setTimeout(() => finished.reject(timedOut(plan, printer.printed)), plan.timeoutMs);
  try {
    const subscribed = connectOrFail(client, settings).then(() => subscribe(client, plan, propertySets));
    if (plan.exitAfterSubscribe) void subscribed.then(() => finished.resolve(EXIT.ok), () => undefined);
    return await Promise.race([subscribed.then(() => finished.promise), finished.promise, connectionLost(client, settings)]);
  } finally {
    printer.stop();
    reconnects?.unsubscribe();
    clearTimeout(timer);
    removeSignals();
    // end() waits for the acknowledgements of the --remove-retained publishes still in flight.
    await closeClient(client, propertySets.disconnect);
  }
}

/** One SUBSCRIBE for every filter; a refused filter rejects it (SubackError) and fails the command. */
async function subscribe(client: MqttClient, plan: SubscribePlan, propertySets: PropertySets): Promise<void> {
  await client.subscribeAsync(plan.topics, { qos: plan.qos, ...(propertySets.subscribe && { properties: propertySets.subscribe }) });
}

function timedOut(plan: SubscribePlan, printed: number): CliError {
  const seconds = (plan.timeoutMs ?? 0) / 1000;
  return new CliError(`Timed out after ${seconds} s (${printed} message${printed === 1 ? '' : 's'} received)`, EXIT.timeout);
}

/**
 * Writes one line per message on stdout, at once (no buffering of our own). Reaching -C, the end
 * of the retained messages with --retained-only, or a closed stdout (EPIPE: `| head -n 1`), calls
 * `done`.
 */
function createPrinter(plan: SubscribePlan, client: MqttClient, done: () => void, fail: (error: Error) => void) {
  let stopped = false;
  let printed = 0;
  const onError = (error: NodeJS.ErrnoException) => {
    stopped = true;
    if (error.code === 'EPIPE') done();
    else fail(new CliError(`Cannot write to stdout: ${error.code ?? error.message}`));
  };
  process.stdout.on('error', onError);
  const onProblem = (problem: Error) => report(problem.message);
  const printTime: () => WallTime = 'template' in plan.output ? wallTimeNow : () => EPOCH;
  const finish = () => {
    stopped = true;
    done();
  };
  return {
    get printed() {
      return printed;
    },
    receive(message: MqttMessage): void {
      if (stopped) return;
      const decision = messageAction(message, plan);
      if (decision.action === 'end') return finish();
      if (decision.clearRetained) clearRetained(client, message.topic);
      if (decision.action === 'ignore') return;
      process.stdout.write(formatOutput(message, plan.output, printTime(), onProblem));
      printed++;
      if (plan.count !== undefined && printed >= plan.count) finish();
    },
    stop(): void {
      stopped = true;
    },
  };
}

/** Times are only printed by format strings: the shorthands need none. */
const EPOCH: WallTime = { seconds: 0, nanoseconds: 0, utcOffsetMinutes: 0, zone: 'UTC' };

/** --remove-retained: an empty retained message deletes the retained one [MQTT-3.3.1-6]; QoS 1, as mosquitto_sub. */
function clearRetained(client: MqttClient, topic: string): void {
  client.publishAsync(topic, Buffer.alloc(0), { qos: 1, retain: true }).catch((error: unknown) => {
    report(`Cannot remove the retained message on "${topic}": ${describeError(error)}`);
  });
}
