/**
 * The one place where IO meets the session: it opens transports, decodes bytes into session
 * inputs, executes the session's outputs (writes, settles, deliveries), and owns every timer
 * (connect timeout, keepalive, reconnect delay, end timeout) through an injectable scheduler.
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import { AckHolds, DEFAULT_MAX_UNACKED_MESSAGES } from '../inbound/ack-holds.js';
import { AuthFlow, type AuthSettler } from './auth-flow.js';
import { BackoffCounter, fixedBackoff } from './backoff-policy.js';
import { runBeforeConnect, type ConnectTarget } from './before-connect.js';
import { createDecoder, encodePacketChunks, type EncodedPacket, type IDisconnectPacket, type IPublishPacket, type Packet } from '../protocol/codec.js';
import { ClientClosedError, MqttError, PacketTooLargeError, ServerDisconnectError, TimeoutError, TransportError, type SubackError } from '../errors.js';
import { Inbox } from '../inbound/inbox.js';
import { KeepaliveTimer } from './keepalive-timer.js';
import { createLogger, customLogger, redactPacket, redactWhenPrinted, type Logger } from '../log.js';
import { connectProperties, enforcedReceiveMaximum, incomingPacketLimit } from '../session/connect-properties.js';
import type { HandleAuth, HandleMessage, ResolvedOptions } from '../options/options.js';
import { readStore } from '../stores/read-store.js';
import { isRetryableConnack } from './refusal.js';
import { Outbox, totalLength } from './outbox.js';
import { platformScheduler } from '../platform/platform-scheduler.js';
import { reportUnhandledError } from '../platform/report-unhandled.js';
import { redirectTarget } from './server-reference.js';
import { LazyMap, LazySet } from '../session/lazy-map.js';
import { MqttSession } from '../session/session.js';
import type { AuthProperties, Command, SessionInput, SessionOutput, SettleResult, Token } from '../session/types.js';
import type { ClientEvent, ConnectionState } from './connection-state.js';
import { StoreMirror } from '../stores/store-mirror.js';
import { failedTransport } from '../transport/failed.js';
import type { Transport, TransportFactory, TransportHandlers, TransportTarget } from '../transport/transport.js';

const defaultLog = createLogger('conn');

/** How long a half-closed socket may linger after DISCONNECT before it is destroyed. */
const CLOSE_GRACE_MS = 2000;

/** MQTT 5 reason code 0x81, sent in the DISCONNECT that answers undecodable bytes (unless the decoder gave another). */
const MALFORMED_PACKET = 0x81;

export interface ConnectionHooks {
  onState(state: ConnectionState): void;
  onEvent(event: ClientEvent): void;
  /** An inbound application message, to be routed to the app synchronously. */
  onMessage(packet: IPublishPacket): void;
  onPacketIn(packet: Packet): void;
  onPacketOut(packet: Packet): void;
  /** The broker refused a filter the session re-subscribed after a reconnect (reported as an 'error' event next). */
  onResubscribeFailed(error: SubackError): void;
  /** MQTT.js `handleMessage` (looked up per message): when it returns a handler, messages are handled one at a time and acked after `done`. */
  handleMessage?: () => HandleMessage | undefined;
  /** MQTT.js `handleAuth` overridden on the facade (looked up per challenge); wins over the `handleAuth` option. */
  handleAuth?: () => HandleAuth | undefined;
}

export interface Settler {
  resolve(result: SettleResult | undefined): void;
  reject(error: Error): void;
  /** MQTT.js `cbStorePut`: a QoS 1/2 publish is in the `outgoingStore` (with none: in the session). */
  stored?: () => void;
}

export type CommandRequest = Command extends infer C ? (C extends Command ? Omit<C, 'token'> : never) : never;

export interface EndOptions {
  force?: boolean;
  reasonCode?: number;
  properties?: IDisconnectPacket['properties'];
}

export class Connection {
  readonly session: MqttSession;
  private state: ConnectionState;
  private readonly scheduler: SchedulerLike;
  private transport?: Transport;
  /** Increments per transport so that late events of a dropped one are ignored. */
  private generation = 0;
  private attempt = 0;
  private nextToken = 1;
  private readonly settlers = new LazyMap<Token, Settler>();
  private readonly outbox: Outbox;
  private timer?: Subscription;
  private readonly keepalive: KeepaliveTimer;
  /** Why the current transport is being closed (set before we close it ourselves). */
  private dropCause?: Error;
  private refusedForGood = false;
  /** Consecutive failed attempts, turned into reconnect delays (the `reconnect` policy, or the fixed `reconnectPeriod`). */
  private readonly backoff: BackoffCounter;
  /** When the current connection got its CONNACK (scheduler time): a long enough one resets the backoff. */
  private connectedAt?: number;
  /** Why the last connection or attempt ended, for `beforeConnect`. */
  private lastCause?: Error;
  /** Where the next transports connect, once `beforeConnect` returned a URL. */
  private target?: TransportTarget;
  /** Set when the backoff gave up: reported as an 'error' once the close is announced. */
  private exhausted?: MqttError;
  private ending?: { promise: Promise<void>; resolve: () => void; disconnect: Omit<EndOptions, 'force'>; sent: boolean };
  private reconnectWhenClosed = false;
  // The inbox, the holds and the auth flow are made on first use: an idle client needs none.
  private deliveries?: Inbox;
  private ackHolds?: AckHolds;
  /** Who wants the socket paused (the inbox, the holds, a full `messages()` iterator): read when nobody does. */
  private readonly readingHeld = new LazySet<unknown>();
  private transportPaused = false;
  /** Set when a QoS 0 PUBLISH could not be encoded, until its settle output is executed. */
  private unsentQos0?: MqttError;
  /** The `outgoingStore` is read once, before the first connect, to resume what it holds. */
  private restore: 'pending' | 'reading' | 'done' = 'pending';
  private readonly stores: StoreMirror;
  private readonly log: Logger;
  private authFlow?: AuthFlow;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly openTransport: TransportFactory,
    private readonly hooks: ConnectionHooks,
  ) {
    this.scheduler = options.scheduler ?? platformScheduler;
    this.log = options.log ? customLogger('conn', options.log) : defaultLog;
    this.backoff = new BackoffCounter(options.reconnect ?? fixedBackoff(options.reconnectPeriod), options.reconnect?.random);
    // The session keeps the credentials for every CONNECT: they print redacted, as the options do.
    this.session = new MqttSession(redactWhenPrinted({
      protocolId: options.protocolId,
      protocolVersion: options.protocolVersion,
      clientId: options.clientId,
      clean: options.clean,
      keepalive: options.keepalive,
      username: options.username,
      password: options.password,
      will: options.will,
      properties: connectProperties(options),
      enforcedReceiveMaximum: enforcedReceiveMaximum(options),
      resubscribe: options.resubscribe,
      queueQoSZero: options.queueQoSZero,
      autoUseTopicAlias: options.autoUseTopicAlias,
      autoAssignTopicAlias: options.autoAssignTopicAlias,
      offlineQueue: options.offlineQueue,
      messageIdProvider: options.messageIdProvider,
    }));
    this.state = { status: 'idle' };
    this.keepalive = new KeepaliveTimer(this.scheduler, options.reschedulePings);
    this.outbox = new Outbox({
      write: (bytes) => this.transport?.write(bytes),
      writev: (chunks) => {
        const transport = this.transport;
        if (transport) transport.writev ? transport.writev(chunks) : transport.write(Buffer.concat(chunks));
      },
      wrote: () => this.keepalive.sent(),
    });
    this.stores = new StoreMirror(options, this.session, (error) => hooks.onEvent({ type: 'error', error }));
  }

  /** Deliveries held by manual-ack streams (`topic(f, { ack: 'manual' })`). */
  get holds(): AckHolds {
    return (this.ackHolds ??= new AckHolds(this.options.maxUnackedMessages ?? DEFAULT_MAX_UNACKED_MESSAGES, {
      emit: (packet) => this.hooks.onMessage(packet),
      send: (ackId, reasonCode) => this.step({ type: 'acknowledge', ackId, reasonCode }),
      pause: (paused) => this.holdReading(this.holds, paused),
    }));
  }

  /** Inbound messages on their way to the app (one at a time behind a `handleMessage`). */
  private get inbox(): Inbox {
    const { options, hooks } = this;
    return (this.deliveries ??= new Inbox({
      emit: (packet, ackId) => this.holds.dispatch(packet, ackId),
      acknowledge: (ackId, reasonCode) => this.holds.acknowledge(ackId, reasonCode),
      error: (error) => hooks.onEvent({ type: 'error', error }),
      pause: (paused) => this.holdReading(this.inbox, paused),
      handleMessage: hooks.handleMessage && (() => hooks.handleMessage?.()),
      customHandleAcks: options.protocolVersion === 5 ? options.customHandleAcks : undefined,
    }));
  }

  /** MQTT 5 enhanced authentication: challenges and re-authentication. */
  private get auth(): AuthFlow {
    const { options, hooks } = this;
    return (this.authFlow ??= new AuthFlow({
      step: (input) => this.step(input),
      handler: () => hooks.handleAuth?.() ?? options.handleAuth,
      generation: () => this.generation,
      log: this.log,
    }));
  }

  get currentState(): ConnectionState {
    return this.state;
  }

  /** Opens the first connection (or the next one after `offline`/`closed`). */
  start(): void {
    const { status } = this.state;
    if (status !== 'idle' && status !== 'offline' && status !== 'closed') return;
    this.ending = undefined;
    this.refusedForGood = false;
    this.backoff.reset();
    if (this.restore !== 'done' && this.options.outgoingStore) return this.restoreThenOpen();
    this.open();
  }

  /**
   * Reads the `outgoingStore` (a previous process's in-flight publishes) into the session, then
   * opens the first connection. A store that fails to read is reported as an 'error' event and
   * whatever it gave before is resumed: the client connects either way.
   */
  private restoreThenOpen(): void {
    if (this.restore === 'reading') return; // the read's end opens
    this.restore = 'reading';
    readStore(this.options.outgoingStore!, (packets, error) => {
      this.restore = 'done';
      if (error) this.hooks.onEvent({ type: 'error', error });
      if (packets.length > 0) this.step({ type: 'restore', packets: packets as unknown as Packet[] });
      const { status } = this.state;
      // end() during the read closed the client; a start() after it wants the connection again.
      if (!this.ending && (status === 'idle' || status === 'closed' || status === 'offline')) this.open();
    });
  }

  /** Hands a command to the session; `settler` is called once when it completes or fails. */
  submit(request: CommandRequest, settler: Settler): void {
    const { status } = this.state;
    if (status === 'closed' || status === 'disconnecting' || this.ending) {
      const error = new ClientClosedError(status === 'closed' ? 'Client is closed' : 'Client is disconnecting');
      queueMicrotask(() => settler.reject(error));
      return;
    }
    const token = this.nextToken++;
    this.settlers.set(token, settler);
    (request as Command).token = token;
    const stored = request.type === 'publish' && request.qos > 0 ? settler.stored : undefined;
    if (stored && this.stores.hasOutgoingStore) this.stores.awaitStored(token, stored);
    this.step(request as Command);
    // Without an outgoingStore the session's in-flight table (or queue) is the store.
    if (stored && !this.stores.hasOutgoingStore) stored();
  }

  /** MQTT 5 re-authentication (AUTH 0x19); settles with the server's AUTH 0x00, or an AuthError. */
  reauthenticate(properties: AuthProperties | undefined, settler: AuthSettler): void {
    if (this.ending) {
      // end() is about to DISCONNECT: an exchange started now could only be interrupted.
      const error = new ClientClosedError(this.state.status === 'closed' ? 'Client is closed' : 'Client is disconnecting');
      queueMicrotask(() => settler.reject(error));
      return;
    }
    this.auth.reauthenticate(properties, settler);
  }

  /**
   * Stops reading the socket while any `key` holds it (`held` true), reads again once none does.
   * Only a connected transport is paused: a CONNACK must always be read.
   */
  holdReading(key: unknown, held: boolean): void {
    if (held) this.readingHeld.add(key);
    else this.readingHeld.delete(key);
    this.applyPause();
  }

  private applyPause(): void {
    const pause = this.readingHeld.size > 0 && this.session.status === 'connected';
    if (pause === this.transportPaused || !this.transport) return;
    this.transportPaused = pause;
    if (pause) this.transport.pause();
    else this.transport.resume();
  }

  removeOutgoing(messageId: number): void {
    this.step({ type: 'removeOutgoing', messageId });
  }

  /** Drops the current connection (if any) and connects again at once. */
  reconnect(): void {
    const { status } = this.state;
    if (status === 'disconnecting') {
      this.reconnectWhenClosed = true;
      return;
    }
    if (status === 'idle') return this.start();
    // MQTT.js emits 'reconnect' for every reconnect() call, whatever the state.
    if (status === 'offline' || status === 'closed') {
      this.hooks.onEvent({ type: 'reconnect' });
      return this.start();
    }
    this.timer?.unsubscribe();
    if (this.transport) {
      this.reconnectWhenClosed = true;
      this.transport.destroy();
    } else {
      this.hooks.onEvent({ type: 'reconnect' });
      this.open();
    }
  }

  /** Ends the client: waits for in-flight acks (unless forced), sends DISCONNECT, closes. */
  end(options: EndOptions = {}): Promise<void> {
    if (this.state.status === 'closed' && !this.transport) return Promise.resolve();
    if (this.ending) return this.ending.promise;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.ending = { promise, resolve, disconnect: { reasonCode: options.reasonCode, properties: options.properties }, sent: false };
    this.timer?.unsubscribe();
    if (options.force || this.state.status !== 'connected') {
      this.step({ type: 'abort', error: new ClientClosedError('Client ended before the operation completed') });
      if (this.transport) this.transport.destroy();
      else this.finishEnd();
    } else {
      this.setState({ status: 'disconnecting' });
      this.timer = this.scheduler.schedule(() => this.disconnectNow(), this.options.endTimeout);
      this.disconnectIfIdle();
    }
    return promise;
  }

  /** One connect attempt: `beforeConnect` (if any), then a transport; `connectTimeout` covers both. */
  private open(): void {
    this.attempt++;
    const cause = this.lastCause;
    this.setState(cause ? { status: 'connecting', attempt: this.attempt, cause } : { status: 'connecting', attempt: this.attempt });
    const generation = ++this.generation;
    this.dropCause = undefined;
    this.timer?.unsubscribe();
    this.timer = this.scheduler.schedule(() => {
      const error = new TimeoutError('ERR_CONNECT_TIMEOUT', `No CONNACK within ${this.options.connectTimeout} ms`);
      if (this.transport) this.drop(error, generation);
      else this.failAttempt(error, generation);
    }, this.options.connectTimeout);
    const hook = this.options.beforeConnect;
    if (!hook) return this.connectTransport(generation);
    runBeforeConnect(
      hook,
      { attempt: this.attempt, cause: this.lastCause },
      (target) => this.afterBeforeConnect(target, generation),
      (error) => this.failAttempt(error, generation),
    );
  }

  /** The hook answered: its credentials go into this CONNECT (and later ones), its URL picks the broker. */
  private afterBeforeConnect(target: ConnectTarget, generation: number): void {
    // end() or reconnect() while the hook ran: this attempt is abandoned.
    if (generation !== this.generation || this.ending) return;
    const { username, password, server } = target;
    if (username !== undefined || password !== undefined) this.step({ type: 'configure', username, password });
    if (server) this.target = server;
    this.connectTransport(generation);
  }

  private connectTransport(generation: number): void {
    const decoder = createDecoder(
      this.options.protocolVersion,
      (packet) => this.onPacket(packet, generation),
      (error) => this.malformed(error, generation),
      incomingPacketLimit(this.options),
    );
    const handlers: TransportHandlers = {
      onOpen: () => generation === this.generation && this.step({ type: 'open' }),
      onData: (chunk) => generation === this.generation && decoder.push(chunk),
      onClose: (error) => this.onTransportClose(error, generation),
    };
    try {
      this.transport = this.openTransport(handlers, this.target);
      // A transport that failed while being created has already been handled as closed.
      if (generation !== this.generation) this.transport = undefined;
    } catch (error) {
      // Reported a microtask later, as a socket's own error: see failedTransport.
      this.transport = failedTransport(error as Error, handlers);
    }
  }

  /** An attempt failed before it had a transport (beforeConnect failed, or timed out): report it, then close as usual. */
  private failAttempt(error: Error, generation: number): void {
    if (generation !== this.generation || this.transport || this.ending) return;
    this.dropCause = error;
    this.log('connection attempt failed: %s', error.message);
    this.hooks.onEvent({ type: 'error', error });
    this.onTransportClose(undefined, generation);
  }

  private onPacket(packet: Packet, generation: number): void {
    if (generation !== this.generation) return;
    if (this.log.enabled) this.log('received %s', packet.cmd);
    this.hooks.onPacketIn(packet);
    this.stores.incoming(packet);
    this.step({ type: 'packet', packet });
  }

  private step(input: SessionInput): void {
    // The time only ages MQTT 5 publishes with a Message Expiry Interval: no clock read otherwise.
    const outputs = this.session.step(input, this.options.protocolVersion === 5 ? this.scheduler.now() : undefined);
    // Packets first (with the outgoingStore bookkeeping, in output order), then settles and
    // events. A callback or 'connect' listener that publishes runs a nested step, whose packets
    // must queue behind this step's (re-sends after a CONNACK, commands drained after an ack):
    // otherwise new traffic overtakes them on the wire [MQTT-4.6.0-1].
    for (let i = 0; i < outputs.length; i++) {
      const output = outputs[i];
      if (output.type === 'send') this.write(output.packet);
      else if (output.type === 'settle' && (output.token === undefined || this.settlers.has(output.token))) this.stores.forget(output.result);
    }
    // An app callback or listener that throws must not cost the outputs after it (a settle, a
    // delivery): they all run, and the first error is rethrown on a later turn, as RxJS does.
    let thrown: { error: unknown } | undefined;
    for (let i = 0; i < outputs.length; i++) {
      if (outputs[i].type === 'send') continue;
      try {
        this.execute(outputs[i]);
      } catch (error) {
        thrown ??= { error };
      }
    }
    if (this.state.status === 'disconnecting' && !this.ending?.sent) this.disconnectIfIdle();
    if (thrown) reportUnhandledError(thrown.error);
  }

  private execute(output: SessionOutput): void {
    switch (output.type) {
      case 'send':
        return this.write(output.packet);
      case 'connected':
        return this.onConnected(output.connack);
      case 'refused':
        this.redirect(output.connack.reasonCode, output.connack.properties?.serverReference);
        this.refusedForGood = !isRetryableConnack(output.error.reasonCode ?? 0);
        return this.drop(output.error, this.generation);
      case 'deliver':
        return this.inbox.push(output.packet, output.ackId);
      case 'settle':
        return this.settle(output.token, output.result, output.error);
      case 'pingResponse':
        return this.keepalive.pong();
      case 'protocolError':
        return this.drop(output.error, this.generation);
      case 'serverDisconnect': {
        const { packet } = output;
        this.redirect(packet.reasonCode, packet.properties?.serverReference);
        this.hooks.onEvent({ type: 'disconnect', packet });
        const error = new ServerDisconnectError(packet.reasonCode ?? 0, packet.properties?.reasonString);
        this.dropCause = error;
        return this.closeTransport();
      }
      case 'close':
        return this.closeTransport();
      case 'dropped':
        this.log('offline queue full (%s): dropped a publish to %s', output.error.limit, output.topic);
        this.hooks.onEvent(output);
        // 'error' makes an overflow a failure the app hears about, besides the publish's own error.
        if (output.policy === 'error') this.hooks.onEvent({ type: 'error', error: output.error });
        return;
      case 'authChallenge':
        return this.auth.challenge(output.packet);
      case 'reauthenticated':
        return this.auth.succeeded(output.packet);
      case 'reauthRefused':
        return this.auth.failed(output.error);
      case 'authFailed':
        this.auth.failed(output.error);
        return this.drop(output.error, this.generation);
      case 'resubscribeFailed':
        this.log('resubscribe to %s refused (code %d)', output.topic, output.reasonCode);
        this.hooks.onResubscribeFailed(output.error);
        return this.hooks.onEvent({ type: 'error', error: output.error });
      default: {
        const unexpected: never = output;
        throw new Error(`unhandled session output ${String(unexpected)}`);
      }
    }
  }

  /** MQTT 5 4.11: a Server Reference the user lets us follow picks the broker of the next attempts. */
  private redirect(reasonCode: number | undefined, reference: string | undefined): void {
    const server = redirectTarget(this.options, reasonCode, reference);
    if (!server) return;
    this.log('redirected by the broker (reason 0x%s) to %s:%d', (reasonCode ?? 0).toString(16), server.host, server.port);
    this.target = server;
  }

  private onConnected(connack: NonNullable<MqttSession['connack']>): void {
    this.timer?.unsubscribe();
    this.timer = undefined; // the connect timeout's action is done with: do not keep it while connected
    this.connectedAt = this.scheduler.now();
    this.setState({ status: 'connected', connack, sessionPresent: connack.sessionPresent, attempt: this.attempt });
    this.startKeepalive(connack.properties?.serverKeepAlive ?? this.options.keepalive);
    this.applyPause();
    this.hooks.onEvent({ type: 'connect', connack });
  }

  private startKeepalive(seconds: number): void {
    const generation = this.generation;
    this.keepalive.start(seconds, {
      ping: () => this.step({ type: 'pingDue' }),
      timeout: (error) => {
        // While the socket is paused (a slow handleMessage, unacknowledged manual-ack messages, a
        // full iterator), PINGRESPs wait unread in it: their absence proves nothing. Keep pinging
        // on time instead, so that the broker, which only needs to hear from us within 1.5
        // keepalive periods, keeps us [MQTT-3.1.2-24].
        if (this.transportPaused) {
          this.startKeepalive(seconds);
          return this.step({ type: 'pingDue' });
        }
        this.drop(error, generation);
      },
    });
  }

  private stopTimers(): void {
    this.timer?.unsubscribe();
    this.timer = undefined;
    this.keepalive.stop();
  }

  private write(packet: Packet): void {
    let encoded: EncodedPacket;
    try {
      // One buffer, or a PUBLISH's header pieces and its payload itself (not copied).
      encoded = encodePacketChunks(packet, this.options.protocolVersion);
    } catch (error) {
      return this.unencodable(packet, error as MqttError);
    }
    const size = Buffer.isBuffer(encoded) ? encoded.length : totalLength(encoded);
    // [MQTT-3.2.2-15] never send a packet larger than the broker's Maximum Packet Size: it would
    // answer DISCONNECT 0x95 and drop everything else in flight with it.
    const maximum = this.state.status === 'connected' ? this.state.connack.properties?.maximumPacketSize : undefined;
    if (maximum !== undefined && size > maximum) return this.unencodable(packet, new PacketTooLargeError(size, maximum));
    this.hooks.onPacketOut(packet);
    if (this.log.enabled) this.log('sending %s %o', packet.cmd, redactPacket(packet));
    this.stores.outgoing(packet);
    if (Buffer.isBuffer(encoded)) this.outbox.push(encoded);
    else for (let i = 0; i < encoded.length; i++) this.outbox.push(encoded[i]);
  }

  /**
   * The transport closed with bytes still queued: they are lost, and so are the QoS 0 publishes
   * among them, whose settles then fail.
   */
  private discardUnwritten(): void {
    this.outbox.discard(
      this.ending
        ? new ClientClosedError('Client ended before the operation completed')
        : new MqttError('ERR_CONNECTION_CLOSED', 'Connection closed before the packet was written'),
    );
  }

  /**
   * A packet mqtt-packet cannot encode never reaches the wire: its command fails with the codec's
   * error instead of waiting for an ack that cannot come, and a CONNECT fails the attempt.
   */
  private unencodable(packet: Packet, error: MqttError): void {
    if (packet.cmd === 'connect') return this.drop(error, this.generation);
    // A Topic Alias this PUBLISH would have registered is unknown to the broker: stop using it.
    if (packet.cmd === 'publish' && packet.topic !== '' && packet.properties?.topicAlias !== undefined) {
      this.step({ type: 'aliasUnsent', alias: packet.properties.topicAlias, topic: packet.topic });
    }
    if (packet.messageId !== undefined && packet.cmd !== 'pubrel') {
      return this.step({ type: 'removeOutgoing', messageId: packet.messageId, error });
    }
    if (packet.cmd === 'publish') {
      // QoS 0: the session settles it right after this send; make that settle fail.
      this.unsentQos0 = error;
      return;
    }
    this.hooks.onEvent({ type: 'error', error });
  }

  private settle(token: Token | undefined, result: SettleResult | undefined, error: MqttError | undefined): void {
    const settler = token === undefined ? undefined : this.settlers.get(token);
    if (!settler) return;
    this.settlers.delete(token!);
    this.stores.settled(token!);
    if (this.unsentQos0 && result?.type === 'publish' && result.messageId === undefined) {
      error = this.unsentQos0;
      this.unsentQos0 = undefined;
    }
    // A QoS 0 publish settles "when written": wait for the flush that carries it, and fail it if
    // the transport closes before that flush (its bytes are discarded, never written).
    const needsWrite = !error && result?.type === 'publish' && result.messageId === undefined;
    const run = (lost?: Error) => (error ? settler.reject(error) : needsWrite && lost ? settler.reject(lost) : settler.resolve(result));
    this.outbox.afterWrite(run);
  }

  private closeTransport(): void {
    const transport = this.transport;
    if (!transport) return;
    this.outbox.flush();
    transport.end();
    // A broker should close its side after DISCONNECT; do not let one that doesn't keep us open.
    this.timer?.unsubscribe();
    this.timer = this.scheduler.schedule(() => transport.destroy(), CLOSE_GRACE_MS);
  }

  /** Closes the connection because of `error`, reported once as an 'error' event. */
  private drop(error: Error, generation: number): void {
    if (generation !== this.generation || !this.transport) return;
    if (!this.dropCause) {
      this.dropCause = error;
      this.log('dropping connection: %s', error.message);
      this.hooks.onEvent({ type: 'error', error });
      // An 'error' listener may already have ended or reconnected the client (connectAsync's
      // calls end(true)), which closed this transport: there is nothing left to drop.
      if (generation !== this.generation || !this.transport) return;
    }
    this.outbox.flush();
    this.transport.destroy();
  }

  /**
   * Undecodable bytes: MQTT 5 says why with DISCONNECT before closing, with the decoder's reason
   * code: 0x95 (Packet too large) for a packet over our limit, else 0x81 (Malformed Packet).
   */
  private malformed(error: MqttError, generation: number): void {
    if (generation !== this.generation || !this.transport) return;
    if (this.options.protocolVersion === 5 && this.session.status !== 'disconnected') {
      this.write({ cmd: 'disconnect', reasonCode: error.reasonCode ?? MALFORMED_PACKET });
    }
    this.drop(error, generation);
  }

  private onTransportClose(error: Error | undefined, generation: number): void {
    if (generation !== this.generation) return;
    this.generation++;
    this.transport = undefined;
    this.transportPaused = false;
    this.stopTimers();
    this.deliveries?.clear();
    this.ackHolds?.connectionLost();
    this.discardUnwritten();
    this.step({ type: 'closed' });
    if (error && !this.dropCause) {
      this.dropCause = new TransportError(`Connection failed: ${error.message}`, error);
      this.hooks.onEvent({ type: 'error', error: this.dropCause });
    }
    const cause = this.dropCause ?? new MqttError('ERR_CONNECTION_CLOSED', 'Connection closed by the broker');
    this.lastCause = cause;
    this.authFlow?.closed(cause);
    const wasReconnecting = this.state.status === 'reconnecting' || (this.state.status === 'connecting' && this.attempt > 1);
    // The transport is gone, so the state must not say 'connected' any more when 'close' is
    // heard: MQTT.js clears `connected` before its 'close' listeners run, and code reads it there.
    const next = this.stateAfterClose(cause);
    this.setState(next);
    this.hooks.onEvent({ type: 'close' });
    // A 'close' listener that called end() or reconnect() has already taken over.
    if (this.state !== next || this.transport) return;
    this.afterClose(wasReconnecting);
  }

  /**
   * Where a closed transport leaves us: ended, reconnecting (now or after the backoff's delay), or
   * offline for good. Counts the failure in the backoff, which a long enough connection reset first.
   */
  private stateAfterClose(cause: Error): ConnectionState {
    if (this.connectedAt !== undefined) this.backoff.stayedUp(this.scheduler.now() - this.connectedAt);
    this.connectedAt = undefined;
    this.exhausted = undefined;
    if (this.ending) return { status: 'closed' };
    if (this.reconnectWhenClosed) return { status: 'reconnecting', attempt: this.attempt + 1, delayMs: 0, cause };
    if (this.options.reconnectPeriod <= 0) return { status: 'offline', cause };
    if (this.refusedForGood && !this.options.reconnectOnConnackError) return { status: 'offline', cause };
    const delayMs = this.backoff.next();
    if (delayMs === undefined) {
      const attempts = this.backoff.policy.maxAttempts;
      this.exhausted = new MqttError('ERR_RECONNECT_EXHAUSTED', `Gave up reconnecting after ${attempts} attempts: ${cause.message}`, { cause });
      return { status: 'offline', cause };
    }
    return { status: 'reconnecting', attempt: this.attempt + 1, delayMs, cause };
  }

  private afterClose(wasReconnecting: boolean): void {
    if (this.ending) return this.finishEnd();
    if (this.reconnectWhenClosed) {
      this.reconnectWhenClosed = false;
      this.hooks.onEvent({ type: 'reconnect' });
      return this.open();
    }
    const state = this.state;
    if (state.status === 'offline') {
      const exhausted = this.exhausted;
      this.exhausted = undefined;
      if (exhausted) this.hooks.onEvent({ type: 'error', error: exhausted });
      return void this.hooks.onEvent({ type: 'offline' });
    }
    if (!wasReconnecting) this.hooks.onEvent({ type: 'offline' });
    if (state.status !== 'reconnecting') return;
    this.timer = this.scheduler.schedule(() => {
      this.hooks.onEvent({ type: 'reconnect' });
      this.open();
    }, state.delayMs);
  }

  private disconnectIfIdle(): void {
    if (this.session.inflightCount === 0 && this.session.pendingCount === 0) this.disconnectNow();
  }

  private disconnectNow(): void {
    if (!this.ending || this.ending.sent) return;
    this.ending.sent = true;
    this.timer?.unsubscribe();
    const { reasonCode, properties } = this.ending.disconnect;
    this.step({ type: 'abort', error: new ClientClosedError('Client ended before the operation completed') });
    this.step({ type: 'disconnect', reasonCode, properties });
  }

  private finishEnd(): void {
    const ending = this.ending;
    this.stopTimers();
    this.step({ type: 'abort', error: new ClientClosedError('Client ended before the operation completed') });
    if (this.state.status !== 'closed') this.setState({ status: 'closed' });
    this.hooks.onEvent({ type: 'end' });
    ending?.resolve();
    if (this.reconnectWhenClosed) {
      this.reconnectWhenClosed = false;
      this.start();
    }
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    this.hooks.onState(state);
  }
}
