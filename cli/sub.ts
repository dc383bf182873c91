/**
 * `rxmqtt sub`: subscribe and print one line per message as it arrives (mosquitto_sub style).
 */
import { readFileSync } from 'node:fs';
import type { Options } from 'yargs';
import { validateFilter, type MqttClient, type MqttMessage, type QoS } from '../lib/index.js';
import { CliError, EXIT, UsageError } from './errors.js';
import { formatLine, OUTPUT_FORMATS, type OutputFormat } from './format.js';
import { toConnectSettings, type ConnectionFlags } from './options.js';
import { parsePropertyWords, PROPERTY_FLAGS, withConnectProperties, type PropertyFlags, type PropertySets } from './properties.js';
import { closeClient, connectionLost, connectOrFail, createClient, deferred, enableDebug, onStopSignal } from './session.js';

export interface SubFlags extends ConnectionFlags, PropertyFlags {
  topic?: string[];
  qos?: number;
  verbose?: boolean;
  count?: number;
  timeout?: number;
  noRetained?: boolean;
  format?: string;
}

/** What `sub` will do, checked and defaulted. */
export interface SubscribePlan {
  topics: string[];
  qos: QoS;
  format: OutputFormat;
  verbose: boolean;
  /** Stop after this many printed messages. */
  count?: number;
  /** Give up (exit 27) after this many milliseconds. */
  timeoutMs?: number;
  /** Skip messages that carry the retain flag (stale values). */
  skipRetained: boolean;
}

const SUBSCRIBE = 'Subscribe:';

export const SUB_FLAGS = {
  topic: { alias: 't', type: 'string', array: true, requiresArg: true, demandOption: true, group: SUBSCRIBE, describe: 'Topic filter to subscribe to (repeatable)' },
  qos: { alias: 'q', type: 'number', choices: [0, 1, 2], default: 0, group: SUBSCRIBE, describe: 'Maximum QoS of the subscription' },
  verbose: { alias: 'v', type: 'boolean', group: SUBSCRIBE, describe: 'Print the topic before the payload (text and hex)' },
  count: { alias: 'C', type: 'number', requiresArg: true, group: SUBSCRIBE, describe: 'Exit after this many messages' },
  timeout: { alias: 'W', type: 'number', requiresArg: true, group: SUBSCRIBE, describe: 'Exit with code 27 after this many seconds' },
  'no-retained': { alias: 'R', type: 'boolean', group: SUBSCRIBE, describe: 'Do not print messages with the retain flag (stale values)' },
  format: { alias: 'F', type: 'string', choices: OUTPUT_FORMATS, default: 'text', group: SUBSCRIBE, describe: 'Output: text (payload as is), json (one object per line) or hex' },
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
  const format = flags.format ?? 'text';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`-F/--format must be text, json or hex, got "${format}"`);
  if (flags.count !== undefined && !(Number.isInteger(flags.count) && flags.count > 0)) {
    throw new UsageError(`-C/--count must be a positive integer, got ${flags.count}`);
  }
  if (flags.timeout !== undefined && !(flags.timeout > 0)) throw new UsageError(`-W/--timeout must be a positive number of seconds, got ${flags.timeout}`);
  return {
    topics,
    qos,
    format: format as OutputFormat,
    verbose: flags.verbose ?? false,
    ...(flags.count !== undefined && { count: flags.count }),
    ...(flags.timeout !== undefined && { timeoutMs: Math.round(flags.timeout * 1000) }),
    skipRetained: flags.noRetained ?? false,
  };
}

/** Runs `rxmqtt sub`; resolves with the exit code, rejects with a CliError. */
export async function runSub(flags: SubFlags): Promise<number> {
  const plan = toSubscribePlan(flags);
  const propertySets = parsePropertyWords(flags.property, ['connect', 'subscribe', 'will', 'disconnect']);
  const connection = toConnectSettings(flags, (path) => readFileSync(path));
  const settings = { ...connection, options: withConnectProperties(connection.options, propertySets) };
  if (flags.debug) await enableDebug();
  const finished = deferred<number>();
  const client = createClient(settings);
  const printer = createPrinter(plan, () => finished.resolve(EXIT.ok), (error) => finished.reject(error));
  client.messages$.subscribe(printer.print);
  const removeSignals = onStopSignal(() => finished.resolve(EXIT.ok));
  const timer = plan.timeoutMs === undefined ? undefined : setTimeout(() => finished.reject(timedOut(plan, printer.printed)), plan.timeoutMs);
  try {
    const subscribed = connectOrFail(client, settings).then(() => subscribe(client, plan, propertySets));
    return await Promise.race([subscribed.then(() => finished.promise), finished.promise, connectionLost(client, settings)]);
  } finally {
    printer.stop();
    clearTimeout(timer);
    removeSignals();
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
 * Writes one line per message on stdout, at once (no buffering of our own). Reaching -C, or a
 * closed stdout (EPIPE: `| head -n 1`), calls `done`.
 */
function createPrinter(plan: SubscribePlan, done: () => void, fail: (error: Error) => void) {
  let stopped = false;
  let printed = 0;
  const onError = (error: NodeJS.ErrnoException) => {
    stopped = true;
    if (error.code === 'EPIPE') done();
    else fail(new CliError(`Cannot write to stdout: ${error.code ?? error.message}`));
  };
  process.stdout.on('error', onError);
  return {
    get printed() {
      return printed;
    },
    print(message: MqttMessage): void {
      if (stopped || (plan.skipRetained && message.retain)) return;
      process.stdout.write(formatLine(message, plan.format, plan.verbose));
      printed++;
      if (plan.count !== undefined && printed >= plan.count) {
        stopped = true;
        done();
      }
    },
    stop(): void {
      stopped = true;
    },
  };
}
