/**
 * The session and everything that executes its outputs: the callers waiting on commands
 * (settlers), the write path, the stores, the inbound deliveries and the authentication flow.
 * The connection shell feeds it decoded packets and transport events and gets back, through one
 * typed host object, only what concerns the connection's lifecycle (CONNACK, refusal, a broker
 * that must be dropped, a DISCONNECT to close on).
 */
import type { SchedulerLike } from 'rxjs';
import { ClientClosedError, MqttError, PacketTooLargeError, ServerDisconnectError } from '../errors.js';
import { DEFAULT_MAX_UNACKED_MESSAGES } from '../inbound/ack-holds.js';
import { Deliveries } from '../inbound/deliveries.js';
import { redactPacket, type Logger } from '../log.js';
import type { ResolvedOptions } from '../options/options.js';
import { reportUnhandledError } from '../platform/report-unhandled.js';
import { encodePacketChunks, type EncodedPacket, type IPublishPacket, type Packet } from '../protocol/codec.js';
import { LazyMap } from '../session/lazy-map.js';
import type { MqttSession } from '../session/session.js';
import type { AuthProperties, Command, SessionInput, SessionOutput, SettleResult, Token } from '../session/types.js';
import { StoreMirror, type StoreErrors } from '../stores/store-mirror.js';
import { AuthFlow, type AuthSettler } from './auth-flow.js';
import type { CommandRequest, ConnectionHooks, LinkHost, Settler } from './link-types.js';
import { isRetryableConnack } from './refusal.js';
import { Outbox, totalLength } from './outbox.js';
import { newSession } from './new-session.js';
import { StoreGate } from './store-gate.js';

export const aborted = (): ClientClosedError => new ClientClosedError('Connection closed') // MQTT.js's text for what end() cut short;

export class SessionLink implements StoreErrors {
  readonly session: MqttSession;
  /** Made on first use: an idle client delivers nothing and pauses nothing. */
  private inbound?: Deliveries;
  private readonly settlers = new LazyMap<Token, Settler>();
  private nextToken = 1;
  private readonly stores: StoreMirror;
  /** Packets waiting for a store's callback before they may be written (and those behind them). */
  private readonly gate = new StoreGate();
  /** Outgoing bytes, flushed to the socket once per event-loop turn. */
  private readonly outbox: Outbox;
  private authFlow?: AuthFlow;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly hooks: ConnectionHooks,
    private readonly host: LinkHost,
    private readonly scheduler: SchedulerLike,
    private readonly log: Logger,
  ) {
    this.session = newSession(options);
    this.stores = new StoreMirror(options, this.session, this);
    this.outbox = new Outbox(host);
  }

  /** The one inbound path (inbox, manual-ack holds, reasons to pause reading). */
  get deliveries(): Deliveries {
    const { options, hooks, host } = this;
    return (this.inbound ??= new Deliveries(
      { maxUnackedMessages: options.maxUnackedMessages ?? DEFAULT_MAX_UNACKED_MESSAGES, customHandleAcks: options.protocolVersion === 5 ? options.customHandleAcks : undefined },
      {
        message: (packet, topic) => hooks.onMessage(packet, topic),
        acknowledge: (ackId, reasonCode) => this.step({ type: 'acknowledge', ackId, reasonCode }),
        error: (error) => hooks.onEvent({ type: 'error', error }),
        holdReading: () => host.applyPause(),
        handleMessage: hooks.handleMessage && (() => hooks.handleMessage?.()),
      },
    ));
  }

  /** A store failed to put or delete a packet (StoreErrors): a publish stored offline fails with the error. */
  storeFailed(error: Error, publishId?: number): void {
    if (publishId === undefined) this.hooks.onEvent({ type: 'error', error });
    else this.step({ type: 'removeOutgoing', messageId: publishId, error: error as MqttError });
  }

  /** Someone wants the socket paused. */
  get readingHeld(): boolean {
    return this.inbound?.readingHeld ?? false;
  }

  /** MQTT 5 enhanced authentication: challenges and re-authentication. */
  private get auth(): AuthFlow {
    return (this.authFlow ??= new AuthFlow({
      step: (input) => this.step(input),
      handler: () => this.hooks.handleAuth?.() ?? this.options.handleAuth,
      generation: () => this.host.generation(),
      log: this.log,
      scheduler: this.scheduler,
      reauthTimeout: this.options.reauthTimeout ?? this.options.connectTimeout,
    }));
  }

  /** Hands a command to the session; `settler` is called once when it completes or fails. */
  submit(request: CommandRequest, settler: Settler): void {
    const token = this.nextToken++;
    this.settlers.set(token, settler);
    (request as Command).token = token;
    const stored = request.type === 'publish' && request.qos > 0 ? settler.stored : undefined;
    if (stored && this.stores.hasOutgoingStore) this.stores.awaitStored(token, stored);
    this.step(request as Command);
    // Without an outgoingStore the session's in-flight table (or queue) is the store.
    if (stored && !this.stores.hasOutgoingStore) stored();
  }

  reauthenticate(properties: AuthProperties | undefined, settler: AuthSettler): void {
    this.auth.reauthenticate(properties, settler);
  }

  /** What the stores held at start (`restore.ts`), before the first CONNECT. */
  restore(outgoing: readonly Packet[], incoming: readonly Packet[]): void {
    // Even when empty, with an outgoingStore: the session then stores offline publishes.
    if (outgoing.length === 0 && incoming.length === 0 && !this.stores.hasOutgoingStore) return;
    this.step({ type: 'restore', packets: outgoing, incoming });
    this.stores.restoredIncoming(incoming);
  }

  /** A decoded packet from the broker. */
  received(packet: Packet): void {
    if (this.log.enabled) this.log('received %s', packet.cmd);
    this.hooks.onPacketIn(packet);
    this.stores.incoming(packet);
    this.step({ type: 'packet', packet });
  }

  /** The transport is gone: what it did not write is lost, queued deliveries are dropped, the session knows. */
  closed(ending: boolean): void {
    this.inbound?.connectionLost();
    // The bytes still queued (or waiting for a store) are lost, and the QoS 0 publishes among them fail.
    const lost = ending ? aborted() : new MqttError('ERR_CONNECTION_CLOSED', 'Connection closed before the packet was written');
    this.gate.discard(lost);
    this.outbox.discard(lost);
    this.step({ type: 'closed' });
  }

  /** Why the connection ended, for a re-authentication waiting on it. */
  lost(cause: Error): void {
    this.authFlow?.closed(cause);
  }

  flush(): void {
    this.outbox.flush();
  }

  step(input: SessionInput): void {
    // The time only ages MQTT 5 publishes with a Message Expiry Interval: no clock read otherwise.
    const outputs = this.session.step(input, this.options.protocolVersion === 5 ? this.scheduler.now() : undefined);
    // Packets first (with the outgoingStore bookkeeping, in output order), then settles and
    // events. A callback or 'connect' listener that publishes runs a nested step, whose packets
    // must queue behind this step's (re-sends after a CONNACK, commands drained after an ack):
    // otherwise new traffic overtakes them on the wire [MQTT-4.6.0-1].
    for (let i = 0; i < outputs.length; i++) {
      const output = outputs[i];
      if (output.type === 'send') this.send(output.packet, output.token);
      else if (output.type === 'store') this.stores.storeOffline(output.packet, output.token);
      else if (output.type === 'settle' && (output.token === undefined || this.settlers.has(output.token))) this.stores.forget(output.result);
      else if (output.type === 'connected' && !output.connack.sessionPresent) this.stores.sessionCleared();
    }
    // An app callback or listener that throws must not cost the outputs after it (a settle, a
    // delivery): they all run, and the first error is rethrown on a later turn, as RxJS does.
    let thrown: { error: unknown } | undefined;
    for (let i = 0; i < outputs.length; i++) {
      if (outputs[i].type === 'send' || outputs[i].type === 'store') continue;
      try {
        this.execute(outputs[i]);
      } catch (error) {
        thrown ??= { error };
      }
    }
    this.host.stepped();
    if (thrown) reportUnhandledError(thrown.error);
  }

  /**
   * A session `send` output becomes bytes in the outbox. What cannot go on the wire (the codec
   * refuses it, or it is over the broker's Maximum Packet Size) goes back to the session as an
   * `unsendable` input, with `token` for a QoS 0 publish: the session decides what that means.
   */
  private send(packet: Packet, token: Token | undefined): void {
    let encoded: EncodedPacket;
    try {
      // One buffer, or a PUBLISH's header pieces and its payload itself (not copied).
      encoded = encodePacketChunks(packet, this.options.protocolVersion);
    } catch (error) {
      return this.step({ type: 'unsendable', packet, error: error as MqttError, token });
    }
    const size = Buffer.isBuffer(encoded) ? encoded.length : totalLength(encoded);
    // [MQTT-3.2.2-15] never send a packet larger than the broker's Maximum Packet Size: it would
    // answer DISCONNECT 0x95 and drop everything else in flight with it.
    const maximum = this.session.connack?.properties?.maximumPacketSize;
    if (maximum !== undefined && size > maximum) return this.step({ type: 'unsendable', packet, error: new PacketTooLargeError(size, maximum), token });
    // What a store must hold first waits for its callback, and what follows waits behind it; not
    // DISCONNECT, which ends the connection anyway (without it the broker would publish the Will).
    if ((!this.stores.any && this.gate.idle) || packet.cmd === 'disconnect') return this.write(packet, encoded);
    const inflight = packet.cmd === 'publish' && packet.messageId !== undefined ? this.session.inflightToken(packet.messageId) : undefined;
    let refused = false;
    let release: (() => void) | undefined;
    const storing = this.stores.outgoing(packet, (error) => {
      if (error) refused = this.notStored(packet, inflight, error);
      if (release) release();
      else release = () => undefined; // called back at once
    });
    const write = (lost?: Error) => (lost || refused ? undefined : this.write(packet, encoded));
    if (storing && !release) release = this.gate.hold(write);
    else this.gate.after(write);
  }

  private write(packet: Packet, encoded: EncodedPacket): void {
    this.hooks.onPacketOut(packet);
    if (this.log.enabled) this.log('sending %s %o', packet.cmd, redactPacket(packet));
    if (Buffer.isBuffer(encoded)) this.outbox.push(encoded);
    else for (let i = 0; i < encoded.length; i++) this.outbox.push(encoded[i]);
  }

  /**
   * A store could not hold `packet` (true: do not write it). A publish fails with the store's own error (as
   * MQTT.js passes it), unless another took its id since (`inflight`: its token when put). A PUBREL or a
   * PUBREC still goes (the session holds its flow) and the app hears of the error.
   */
  private notStored(packet: Packet, inflight: Token | undefined, error: Error): boolean {
    const publish = packet.cmd === 'publish' && packet.messageId !== undefined;
    if (!publish) this.hooks.onEvent({ type: 'error', error });
    else if (this.session.inflightToken(packet.messageId!) === inflight) this.step({ type: 'unsendable', packet, error: error as MqttError });
    return publish;
  }

  private execute(output: SessionOutput): void {
    const { host, hooks } = this;
    switch (output.type) {
      case 'send':
      case 'store':
        return; // executed by step's first pass, in output order
      case 'connected':
        return host.advance({ type: 'connected', connack: output.connack });
      case 'refused':
        host.redirect(output.connack.reasonCode, output.connack.properties?.serverReference);
        host.advance({ type: 'refused', retryable: isRetryableConnack(output.error.reasonCode ?? 0) });
        return host.advance({ type: 'drop', error: output.error });
      case 'deliver':
        return this.deliveries.push(output.packet as IPublishPacket, output.ackId, output.topic);
      case 'settle':
        return this.settle(output.token, output.result, output.error);
      case 'pingResponse':
        return host.pong();
      case 'protocolError':
      case 'failed':
        return host.advance({ type: 'drop', error: output.error });
      case 'serverDisconnect': {
        const { packet } = output;
        host.redirect(packet.reasonCode, packet.properties?.serverReference);
        hooks.onEvent({ type: 'disconnect', packet });
        host.advance({ type: 'serverClosing', cause: new ServerDisconnectError(packet.reasonCode ?? 0, packet.properties?.reasonString) });
        return host.closeTransport();
      }
      case 'close':
        return host.closeTransport();
      case 'error':
        return hooks.onEvent({ type: 'error', error: output.error });
      case 'dropped':
        this.log('offline queue full (%s): dropped a publish to %s', output.error.limit, output.topic);
        hooks.onEvent(output);
        // 'error' makes an overflow a failure the app hears about, besides the publish's own error.
        if (output.policy === 'error') hooks.onEvent({ type: 'error', error: output.error });
        return;
      case 'authChallenge':
        return this.auth.challenge(output.packet);
      case 'reauthenticated':
        return this.auth.succeeded(output.packet);
      case 'reauthRefused':
        return this.auth.failed(output.error);
      case 'authFailed':
        this.auth.failed(output.error);
        return host.advance({ type: 'drop', error: output.error });
      case 'protocolAnomaly':
        // Operators learn that their broker breaks the QoS 2 protocol; nothing was lost or duplicated.
        this.log('broker protocol anomaly: %s, packet id %d, topic %s', output.kind, output.messageId, output.topic);
        return hooks.onEvent(output);
      case 'resubscribeFailed':
        this.log('resubscribe to %s refused (code %d)', output.topic, output.reasonCode);
        hooks.onResubscribeFailed(output.error);
        return hooks.onEvent({ type: 'error', error: output.error });
      default: {
        const unexpected: never = output;
        throw new Error(`unhandled session output ${String(unexpected)}`);
      }
    }
  }

  private settle(token: Token | undefined, result: SettleResult | undefined, error: MqttError | undefined): void {
    const settler = token === undefined ? undefined : this.settlers.get(token);
    if (!settler) return;
    this.settlers.delete(token!);
    this.stores.settled(token!);
    // A QoS 0 publish settles "when written" (failed if the transport closes before the flush
    // that carries it); anything else at once, behind completions still waiting (`Outbox.inOrder`).
    const needsWrite = !error && result?.type === 'publish' && result.messageId === undefined;
    const run = (lost?: Error) => (error ? settler.reject(error) : needsWrite && lost ? settler.reject(lost) : settler.resolve(result));
    if (this.gate.idle) return this.outbox.complete(run, needsWrite);
    this.gate.after((lost) => (lost ? run(lost) : this.outbox.complete(run, needsWrite)));
  }
}
