/**
 * The thin IO the client commands share: create the client, connect or fail fast, notice a lost
 * connection, stop on SIGINT/SIGTERM, and disconnect cleanly.
 */
import { filter, firstValueFrom, map, skipWhile, type Subscription } from 'rxjs';
import { connect, InvalidArgumentError, type ConnectionState, type MqttClient, type Packet } from '../lib/index.js';
import { CliError, describeError, EXIT, UsageError } from './errors.js';
import { describePacket, describeState } from './format-packet.js';
import type { ConnectSettings } from './options.js';

/** Writes one `rxmqtt: ...` line on stderr (the channel of everything that is not a message). */
export function report(line: string): void {
  process.stderr.write(`rxmqtt: ${line}\n`);
}

/**
 * A client that does not connect yet, so the caller can listen to messages$ first. With -d
 * (`settings.debug`) every connection event and packet is reported on stderr from the start.
 */
export function createClient(settings: ConnectSettings): MqttClient {
  let client: MqttClient;
  try {
    // writeCache: false: mqtt-packet would otherwise fill its table of all 65536 two-byte numbers
    // on the first packet, a good part of a short `pub`'s run; the bytes sent are the same.
    client = connect({ ...settings.options, manualConnect: true, writeCache: false });
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new UsageError(error.message);
    throw error;
  }
  if (settings.debug) {
    client.on('packetsend', (packet: Packet) => report(`sending ${describePacket(packet)}`));
    client.on('packetreceive', (packet: Packet) => report(`received ${describePacket(packet)}`));
    reportConnection(client, settings, false);
  }
  return client;
}

/**
 * Whether stderr is a terminal, where progress is shown; RXMQTT_STDERR_TTY=1 says yes for a
 * pipe (the CLI specs read stderr through one).
 */
export function stderrIsTerminal(): boolean {
  return Boolean(process.stderr.isTTY) || process.env.RXMQTT_STDERR_TTY === '1';
}

/**
 * Reports connection events on stderr: all of them (-d), or only drops and reconnections
 * (`reconnectsOnly`: `sub -v` on a terminal, where a silent pause would look like a quiet topic).
 * @returns The subscription to end the reporting.
 */
export function reportConnection(client: MqttClient, settings: ConnectSettings, reconnectsOnly: boolean): Subscription {
  return client.state$.subscribe((state) => {
    const line = describeState(state, settings.address, (cause) => describeError(cause, settings.address), reconnectsOnly);
    if (line !== undefined) report(line);
  });
}

type EndState = Extract<ConnectionState, { status: 'reconnecting' | 'offline' | 'closed' }>;

const isDown = (state: ConnectionState): state is EndState =>
  state.status === 'reconnecting' || state.status === 'offline' || state.status === 'closed';

/**
 * Connects and resolves once CONNACK accepted the connection. Fails fast on the first failure
 * (refusal, unreachable broker, connect timeout), even when reconnecting is on: someone at a
 * terminal wants to know at once.
 */
export async function connectOrFail(client: MqttClient, settings: ConnectSettings): Promise<void> {
  const outcome = firstValueFrom(
    client.state$.pipe(
      filter((state) => state.status === 'connected' || isDown(state)),
      map((state) => (isDown(state) ? (state.cause ?? new Error('Connection closed')) : undefined)),
    ),
  );
  client.connect();
  const failure = await outcome;
  if (failure) throw new CliError(describeError(failure, settings.address));
}

/**
 * Rejects when the connection, once up, is lost for good: after a drop with --no-reconnect, or
 * when a reconnect is refused for a reason no retry can fix. Never resolves. (A failure of the
 * first connection is connectOrFail's to report.)
 */
export function connectionLost(client: MqttClient, settings: ConnectSettings): Promise<never> {
  const lost$ = client.state$.pipe(
    skipWhile((state) => state.status !== 'connected'),
    filter((state) => state.status === 'offline'),
  );
  return firstValueFrom(lost$).then((state) => {
    const cause = state.status === 'offline' ? state.cause : undefined;
    throw new CliError(`Connection lost: ${cause ? describeError(cause, settings.address) : 'closed'}`);
  });
}

/**
 * Calls `stop` on the first SIGINT or SIGTERM; a second one exits at once (130).
 * @returns A function that removes the handlers.
 */
export function onStopSignal(stop: (signal: NodeJS.Signals) => void): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(EXIT.interrupted);
    stopping = true;
    stop(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/**
 * Ends the client: waits for in-flight acknowledgements, sends DISCONNECT if connected.
 * @param disconnectProperties MQTT 5 DISCONNECT properties (`-D disconnect ...`).
 */
export async function closeClient(client: MqttClient, disconnectProperties?: Record<string, unknown>): Promise<void> {
  await client.endAsync(client.state.status !== 'connected', disconnectProperties ? { properties: disconnectProperties } : {});
}

/** A promise with its resolve/reject outside, for "whichever happens first" endings. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
