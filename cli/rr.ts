/**
 * `rxmqtt rr` (alias `request`): publish one request and print its response, as mosquitto_rr
 * does, with the library's MQTT 5 `client.request()` (4.10): the request carries a Response
 * Topic and Correlation Data, and the first message on that topic with the same Correlation Data
 * is the response.
 *
 * ```
 * rxmqtt rr -t svc/time -m now?                 # reply topic chosen by rxmqtt
 * rxmqtt rr -t svc/time -e svc/time/reply -m now? -W 5 -v
 * ```
 * Exit codes: 0 a response was printed, 1 runtime failure, 2 bad flags, 27 no response within -W
 * seconds (mosquitto_rr's MOSQ_ERR_TIMEOUT).
 */
import { readFileSync } from 'node:fs';
import type { Options } from 'yargs';
import { InvalidArgumentError, RequestTimeoutError, validateTopicName, type MqttClient, type QoS } from '../lib/index.js';
import { CliError, describeError, EXIT, UsageError } from './errors.js';
import { formatLine, OUTPUT_FORMATS, type OutputFormat } from './format.js';
import { toConnectSettings, type ConnectionFlags } from './options.js';
import { parsePropertyWords, PROPERTY_FLAGS, withConnectProperties, type PropertyCommand, type PropertyFlags } from './properties.js';
import { readWholePayload, sourceOf, type MessageSource } from './pub.js';
import { closeClient, connectionLost, connectOrFail, createClient, deferred, onStopSignal } from './session.js';

export interface RrFlags extends ConnectionFlags, PropertyFlags {
  topic?: string;
  responseTopic?: string;
  message?: string;
  file?: string;
  stdin?: boolean;
  nullMessage?: boolean;
  qos?: number;
  timeout?: number;
  verbose?: boolean;
  format?: string;
}

/** What `rr` will do, checked and defaulted. */
export interface RequestPlan {
  topic: string;
  /** Where the responder replies; undefined: the client's own reply topic. */
  responseTopic?: string;
  source: MessageSource;
  qos: QoS;
  /** Give up (exit 27) after this many milliseconds; undefined waits for ever, as mosquitto_rr. */
  timeoutMs?: number;
  format: OutputFormat;
  verbose: boolean;
  properties?: Record<string, unknown>;
}

const REQUEST = 'Request:';

export const RR_FLAGS = {
  topic: { alias: 't', type: 'string', requiresArg: true, demandOption: true, group: REQUEST, describe: 'Topic to send the request to' },
  'response-topic': { alias: 'e', type: 'string', requiresArg: true, group: REQUEST, describe: 'Topic the response comes back on [default: one of rxmqtt\'s]' },
  message: { alias: 'm', type: 'string', group: REQUEST, describe: 'Request payload' },
  file: { alias: 'f', type: 'string', requiresArg: true, group: REQUEST, describe: 'Send the contents of a file as the request' },
  stdin: { alias: 's', type: 'boolean', group: REQUEST, describe: 'Send all of stdin as the request' },
  'null-message': { alias: 'n', type: 'boolean', group: REQUEST, describe: 'Send a zero-length request' },
  qos: { alias: 'q', type: 'number', choices: [0, 1, 2], default: 0, group: REQUEST, describe: 'QoS of the request' },
  timeout: { alias: 'W', type: 'number', requiresArg: true, group: REQUEST, describe: 'Exit with code 27 when no response came within this many seconds' },
  verbose: { alias: 'v', type: 'boolean', group: REQUEST, describe: 'Print the response topic before the payload (text and hex)' },
  format: { alias: 'F', type: 'string', choices: OUTPUT_FORMATS, default: 'text', group: REQUEST, describe: 'Output: text, json or hex' },
  ...PROPERTY_FLAGS,
} as const satisfies Record<string, Options>;

/** The packets `rr` sends itself (the reply subscription is the library's). */
const RR_PROPERTY_COMMANDS: readonly PropertyCommand[] = ['connect', 'publish', 'will', 'disconnect'];

/** The longest timer Node keeps: "no -W" waits this long, 24.8 days. */
const FOREVER_MS = 2 ** 31 - 1;

/** Checks the rr-specific flags; throws a UsageError for anything that can never work. */
export function toRequestPlan(flags: RrFlags, publishProperties?: Record<string, unknown>): RequestPlan {
  const topic = flags.topic ?? '';
  const problem = validateTopicName(topic);
  if (problem) throw new UsageError(`Invalid topic "${topic}": ${problem}`);
  if (flags.responseTopic !== undefined) {
    const invalid = validateTopicName(flags.responseTopic);
    if (invalid) throw new UsageError(`Invalid response topic "${flags.responseTopic}": ${invalid}`);
  }
  const qos = flags.qos ?? 0;
  if (qos !== 0 && qos !== 1 && qos !== 2) throw new UsageError(`-q/--qos must be 0, 1 or 2, got ${qos}`);
  if (flags.timeout !== undefined && !(flags.timeout > 0 && flags.timeout * 1000 <= FOREVER_MS)) {
    throw new UsageError(`-W/--timeout must be a positive number of seconds (at most ${Math.floor(FOREVER_MS / 1000)}), got ${flags.timeout}`);
  }
  if (publishProperties?.responseTopic !== undefined) throw new UsageError('Give the response topic with -e, not -D publish response-topic');
  if (publishProperties?.correlationData !== undefined) throw new UsageError('rr sets the correlation data of the request itself: drop -D publish correlation-data');
  return {
    topic,
    ...(flags.responseTopic !== undefined && { responseTopic: flags.responseTopic }),
    source: sourceOf(flags, false),
    qos,
    ...(flags.timeout !== undefined && { timeoutMs: Math.round(flags.timeout * 1000) }),
    format: (flags.format ?? 'text') as OutputFormat,
    verbose: flags.verbose ?? false,
    ...(publishProperties && { properties: publishProperties }),
  };
}


/** Runs `rxmqtt rr`; resolves with the exit code, rejects with a CliError. */
export async function runRr(flags: RrFlags): Promise<number> {
  const propertySets = parsePropertyWords(flags.property, RR_PROPERTY_COMMANDS);
  // mosquitto_rr connects with MQTT 5 unless told otherwise; request/response needs it.
  const connection = toConnectSettings({ ...flags, protocolVersion: flags.protocolVersion ?? 5 }, (path) => readFileSync(path));
  if (connection.options.protocolVersion !== 5) {
    throw new UsageError('rr needs MQTT 5 (the Response Topic and Correlation Data properties): drop -V or give -V 5');
  }
  const settings = { ...connection, options: withConnectProperties(connection.options, propertySets) };
  const plan = toRequestPlan(flags, propertySets.publish);
  const payload = (await readWholePayload(plan.source)) ?? Buffer.alloc(0);
  const stop = new AbortController();
  const stopped = deferred<never>();
  stop.signal.addEventListener('abort', () => stopped.reject(new CliError('Stopped before a response arrived')));
  const removeSignals = onStopSignal(() => stop.abort());
  const client = createClient(settings);
  try {
    await Promise.race([connectOrFail(client, settings), stopped.promise]);
    const response = await Promise.race([exchange(client, plan, payload, stop.signal), connectionLost(client, settings), stopped.promise]);
    process.stdout.write(response);
    return EXIT.ok;
  } finally {
    removeSignals();
    await closeClient(client, propertySets.disconnect);
  }
}

/** Sends the request; resolves with the output line of its response. */
async function exchange(client: MqttClient, plan: RequestPlan, payload: Buffer, signal: AbortSignal): Promise<Buffer> {
  try {
    const reply = await client.request(plan.topic, payload, {
      qos: plan.qos,
      timeout: plan.timeoutMs ?? FOREVER_MS,
      signal,
      ...(plan.responseTopic !== undefined && { responseTopic: plan.responseTopic }),
      ...(plan.properties && { properties: plan.properties }),
    });
    return formatLine(reply, plan.format, plan.verbose);
  } catch (error) {
    if (error instanceof RequestTimeoutError) {
      throw new CliError(`Timed out: no response within ${(plan.timeoutMs ?? FOREVER_MS) / 1000} s`, EXIT.timeout);
    }
    if (error instanceof InvalidArgumentError) throw new UsageError(error.message);
    throw new CliError(`Request to "${plan.topic}" failed: ${describeError(error)}`);
  }
}
