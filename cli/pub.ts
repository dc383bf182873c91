/**
 * `rxmqtt pub`: publish one message, a file, stdin, or one message per stdin line
 * (mosquitto_pub style). Exits 0 once every message is acknowledged (QoS 0: written).
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Options } from 'yargs';
import { validateTopicName, type MqttClient, type PublishOptions, type QoS } from '../lib/index.js';
import { CliError, describeError, EXIT, UsageError } from './errors.js';
import { parseUserProperties, toConnectSettings, type ConnectionFlags } from './options.js';
import { mergeProperties, parsePropertyWords, PROPERTY_FLAGS, withConnectProperties, type PropertyCommand, type PropertyFlags } from './properties.js';
import { closeClient, connectionLost, connectOrFail, createClient, deferred, onStopSignal } from './session.js';

export interface PubFlags extends ConnectionFlags, PropertyFlags {
  topic?: string;
  message?: string;
  file?: string;
  stdin?: boolean;
  stdinLine?: boolean;
  nullMessage?: boolean;
  qos?: number;
  retain?: boolean;
  repeat?: number;
  interval?: number;
  repeatDelay?: number;
  userProperty?: string[];
  contentType?: string;
  responseTopic?: string;
  correlationData?: string;
  messageExpiry?: number;
}

/** Where the payloads come from. */
export type MessageSource =
  | { kind: 'message'; payload: Buffer }
  | { kind: 'file'; path: string }
  | { kind: 'stdin' }
  | { kind: 'lines' }
  | { kind: 'null' };

/** What `pub` will do, checked and defaulted. */
export interface PublishPlan {
  topic: string;
  source: MessageSource;
  options: PublishOptions & { qos: QoS; retain: boolean };
  /** How many times each payload is published. */
  repeat: number;
  /** Milliseconds between two publishes. */
  intervalMs: number;
}

const MQTT5 = 'MQTT 5 properties (need -V 5):';

const PUBLISH = 'Publish:';

export const PUB_FLAGS = {
  topic: { alias: 't', type: 'string', requiresArg: true, demandOption: true, group: PUBLISH, describe: 'Topic to publish to' },
  message: { alias: 'm', type: 'string', group: PUBLISH, describe: 'Message payload' },
  file: { alias: 'f', type: 'string', requiresArg: true, group: PUBLISH, describe: 'Send the contents of a file as one message' },
  stdin: { alias: 's', type: 'boolean', group: PUBLISH, describe: 'Send all of stdin as one message' },
  'stdin-line': { alias: 'l', type: 'boolean', group: PUBLISH, describe: 'Send each line of stdin as a message, as it arrives (a blank line is an empty message)' },
  'null-message': { alias: 'n', type: 'boolean', group: PUBLISH, describe: 'Send a zero-length message' },
  qos: { alias: 'q', type: 'number', choices: [0, 1, 2], default: 0, group: PUBLISH, describe: 'Quality of service' },
  retain: { alias: 'r', type: 'boolean', group: PUBLISH, describe: 'Ask the broker to retain the message' },
  repeat: { type: 'number', requiresArg: true, default: 1, group: PUBLISH, describe: 'Publish the message this many times' },
  interval: { type: 'number', requiresArg: true, group: PUBLISH, describe: 'Milliseconds between repeated publishes [default: 0]' },
  'repeat-delay': { type: 'number', requiresArg: true, group: PUBLISH, describe: 'Seconds between repeated publishes (mosquitto_pub\'s name)' },
  'user-property': { type: 'string', array: true, requiresArg: true, group: MQTT5, describe: 'User property key=value (repeatable)' },
  'content-type': { type: 'string', requiresArg: true, group: MQTT5, describe: 'Content type of the payload' },
  'response-topic': { type: 'string', requiresArg: true, group: MQTT5, describe: 'Topic for a response' },
  'correlation-data': { type: 'string', requiresArg: true, group: MQTT5, describe: 'Correlation data (as UTF-8)' },
  'message-expiry': { type: 'number', requiresArg: true, group: MQTT5, describe: 'Message expiry interval in seconds' },
  ...PROPERTY_FLAGS,
} as const satisfies Record<string, Options>;

/** The packets `pub` sends, so the ones `-D` may name. */
const PUB_PROPERTY_COMMANDS: readonly PropertyCommand[] = ['connect', 'publish', 'will', 'disconnect'];

/** Publishes kept in flight at once: enough to stream, bounded so stdin is not read ahead unbounded. */
const WINDOW = 256;

/**
 * Checks the pub-specific flags; throws a UsageError for anything that can never work.
 * @param publishProperties The `-D publish ...` properties (they win over the named flags).
 */
export function toPublishPlan(flags: PubFlags, protocolVersion: 3 | 4 | 5, publishProperties?: Record<string, unknown>): PublishPlan {
  const topic = flags.topic ?? '';
  const problem = validateTopicName(topic);
  if (problem) throw new UsageError(`Invalid topic "${topic}": ${problem}`);
  const qos = flags.qos ?? 0;
  if (qos !== 0 && qos !== 1 && qos !== 2) throw new UsageError(`-q/--qos must be 0, 1 or 2, got ${qos}`);
  const source = sourceOf(flags);
  const repeat = flags.repeat ?? 1;
  if (!Number.isInteger(repeat) || repeat < 1) throw new UsageError(`--repeat must be a positive integer, got ${repeat}`);
  if (repeat > 1 && source.kind === 'lines') throw new UsageError('--repeat does not apply to -l/--stdin-line');
  if (flags.interval !== undefined && flags.repeatDelay !== undefined) throw new UsageError('Give --interval (ms) or --repeat-delay (s), not both');
  const intervalMs = flags.repeatDelay !== undefined ? flags.repeatDelay * 1000 : (flags.interval ?? 0);
  if (!(intervalMs >= 0)) {
    throw new UsageError(flags.repeatDelay !== undefined ? `--repeat-delay must be a number of seconds >= 0, got ${flags.repeatDelay}` : `--interval must be a number of milliseconds >= 0, got ${intervalMs}`);
  }
  const properties = mergeProperties(propertiesOf(flags), publishProperties);
  if (properties && protocolVersion !== 5) throw new UsageError('MQTT 5 properties (--user-property, --content-type...) need -V 5');
  return { topic, source, options: { qos, retain: flags.retain ?? false, ...(properties && { properties }) }, repeat, intervalMs };
}

/** The payload flags `pub` and `rr` share. */
export type PayloadFlags = Pick<PubFlags, 'message' | 'file' | 'stdin' | 'stdinLine' | 'nullMessage'>;

/** Where the payload comes from: exactly one of the flags (`-l` only where `lines` is allowed, as in pub). */
export function sourceOf(flags: PayloadFlags, lines = true): MessageSource {
  const sources: MessageSource[] = [
    ...(flags.message !== undefined ? [{ kind: 'message', payload: Buffer.from(flags.message) } as const] : []),
    ...(flags.file !== undefined ? [{ kind: 'file', path: flags.file } as const] : []),
    ...(flags.stdin ? [{ kind: 'stdin' } as const] : []),
    ...(lines && flags.stdinLine ? [{ kind: 'lines' } as const] : []),
    ...(flags.nullMessage ? [{ kind: 'null' } as const] : []),
  ];
  if (sources.length !== 1) {
    throw new UsageError(`Give exactly one of -m/--message, -f/--file, -s/--stdin, ${lines ? '-l/--stdin-line ' : ''}or -n/--null-message`);
  }
  return sources[0];
}

function propertiesOf(flags: PubFlags): PublishOptions['properties'] | undefined {
  const userProperties = parseUserProperties(flags.userProperty);
  const expiry = flags.messageExpiry;
  if (expiry !== undefined && !(Number.isInteger(expiry) && expiry >= 0 && expiry <= 0xffffffff)) {
    throw new UsageError(`--message-expiry must be an integer number of seconds, got ${expiry}`);
  }
  const properties = {
    ...(userProperties && { userProperties }),
    ...(flags.contentType !== undefined && { contentType: flags.contentType }),
    ...(flags.responseTopic !== undefined && { responseTopic: flags.responseTopic }),
    ...(flags.correlationData !== undefined && { correlationData: Buffer.from(flags.correlationData) }),
    ...(expiry !== undefined && { messageExpiryInterval: expiry }),
  };
  return Object.keys(properties).length > 0 ? properties : undefined;
}

/** Runs `rxmqtt pub`; resolves with the exit code, rejects with a CliError. */
export async function runPub(flags: PubFlags): Promise<number> {
  const propertySets = parsePropertyWords(flags.property, PUB_PROPERTY_COMMANDS);
  const connection = toConnectSettings(flags, (path) => readFileSync(path));
  const settings = { ...connection, options: withConnectProperties(connection.options, propertySets) };
  const plan = toPublishPlan(flags, settings.options.protocolVersion ?? 4, propertySets.publish);
  // A whole file or stdin is read before connecting, as mosquitto_pub does; lines stream later.
  const payload = await readWholePayload(plan.source);
  const stop = new AbortController();
  const removeSignals = onStopSignal(() => stop.abort());
  const stopped = deferred<void>();
  stop.signal.addEventListener('abort', () => stopped.resolve());
  const client = createClient(settings);
  try {
    await Promise.race([connectOrFail(client, settings), stopped.promise]);
    if (stop.signal.aborted) return EXIT.ok;
    const payloads = payload ? repeated(payload, plan.repeat) : stdinLines(stop.signal);
    await Promise.race([publishAll(client, plan, payloads, stop.signal), connectionLost(client, settings)]);
    return EXIT.ok;
  } finally {
    removeSignals();
    await closeClient(client, propertySets.disconnect);
  }
}

/** The payload of a whole-message source, read now; undefined for -l (lines stream later). */
export async function readWholePayload(source: MessageSource): Promise<Buffer | undefined> {
  switch (source.kind) {
    case 'message':
      return source.payload;
    case 'null':
      return Buffer.alloc(0);
    case 'file':
      try {
        return readFileSync(source.path);
      } catch (error) {
        throw new CliError(`Cannot read -f "${source.path}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    case 'stdin': {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    }
    case 'lines':
      return undefined;
    default: {
      const unexpected: never = source;
      throw new TypeError(`Unknown message source ${String(unexpected)}`);
    }
  }
}

function* repeated(payload: Buffer, times: number): Iterable<Buffer> {
  for (let i = 0; i < times; i++) yield payload;
}

/**
 * Stdin lines as they arrive (readline: nothing is buffered beyond the current chunk). A blank
 * line is an empty message, as mosquitto_pub 2.x sends it.
 */
async function* stdinLines(signal: AbortSignal): AsyncIterable<Buffer> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  const close = () => lines.close();
  signal.addEventListener('abort', close);
  try {
    for await (const line of lines) {
      yield Buffer.from(line);
    }
  } finally {
    signal.removeEventListener('abort', close);
    lines.close();
  }
}

/**
 * Publishes every payload in order, keeping up to WINDOW unacknowledged, and waits for the last
 * acknowledgement. Stops taking new payloads when `signal` aborts; fails on the first refusal.
 */
async function publishAll(client: MqttClient, plan: PublishPlan, payloads: Iterable<Buffer> | AsyncIterable<Buffer>, signal: AbortSignal): Promise<void> {
  const pending = new Set<Promise<void>>();
  let failure: CliError | undefined;
  let first = true;
  for await (const payload of payloads) {
    if (signal.aborted || failure) break;
    if (!first && plan.intervalMs > 0) await sleep(plan.intervalMs, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) break;
    first = false;
    const publish: Promise<void> = client.publishAsync(plan.topic, payload, plan.options).then(
      () => void pending.delete(publish),
      (error: unknown) => {
        pending.delete(publish);
        failure ??= new CliError(`Publish to "${plan.topic}" failed: ${describeError(error)}`);
      },
    );
    pending.add(publish);
    if (pending.size >= WINDOW) await Promise.race(pending);
  }
  await Promise.all(pending);
  if (failure) throw failure;
}
