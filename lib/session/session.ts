/**
 * The sans-IO MQTT session: feed it inputs, execute the outputs it returns, in order.
 *
 * It never touches a socket, a timer or the clock, so every flow is a plain function call:
 *
 * @example
 * const session = new MqttSession({ protocolId: 'MQTT', protocolVersion: 4, clientId: 'c1',
 *   clean: true, keepalive: 60, resubscribe: true, queueQoSZero: true });
 * session.step({ type: 'open' });              // [{ type: 'send', packet: { cmd: 'connect', ... } }]
 * session.step({ type: 'packet', packet: connack }); // [{ type: 'connected', connack }]
 * session.step({ type: 'publish', token: 1, topic: 'a', payload: 'x', qos: 1, retain: false, dup: false });
 * // [{ type: 'send', packet: { cmd: 'publish', messageId: 1, ... } }]; a PUBACK later settles token 1
 */
import type { IConnackPacket, IDisconnectPacket, IPublishPacket, ISubscription, Packet } from '../protocol/codec.js';
import { abortAuth, continueAuth, handleAuthPacket, reauthenticate, reauthTimedOut } from './auth.js';
import { configure, handleConnack, openConnection } from './connack.js';
import { acknowledge, handlePublish, handlePubrel } from './inbound.js';
import { abort, handlePuback, handlePubcomp, handlePubrec, handleSuback, handleUnsuback, removeOutgoing } from './outbound-acks.js';
import { storeWaiting } from './offline-store.js';
import { handleCommand } from './outbound.js';
import { restore, restoreIncoming } from './restore.js';
import { malformed, unsendable } from './unsendable.js';
import { checkFields } from './validate-inbound.js';
import { assertNever, connectionLost, createState, protocolError, REASON } from './state.js';
import type { SessionState } from './state.js';
import type { SessionInput, SessionOptions, SessionOutput, SessionStatus, Token } from './types.js';

export class MqttSession {
  private readonly state: SessionState;

  constructor(options: SessionOptions) {
    this.state = createState(options);
  }

  get status(): SessionStatus {
    return this.state.status;
  }

  /** The last packet id allocated for a PUBLISH, SUBSCRIBE or UNSUBSCRIBE (MQTT.js getLastMessageId). */
  get lastMessageId(): number | null {
    return this.state.ids.getLastAllocated();
  }

  /** Outgoing QoS 1/2 publishes, subscribes and unsubscribes awaiting their ack. */
  get inflightCount(): number {
    return this.state.inflight.size;
  }

  /** The token of the in-flight command with packet id `messageId` (undefined if none, or restored from a store). */
  inflightToken(messageId: number): Token | undefined {
    return this.state.inflight.get(messageId)?.token;
  }

  /**
   * The PUBLISH kept in flight under `messageId`: full topic, no Topic Alias, unlike the one that
   * went on the wire when an alias applied. This is what an outgoing store must keep.
   */
  inflightPublish(messageId: number): IPublishPacket | undefined {
    const entry = this.state.inflight.get(messageId);
    return entry?.kind === 'publish' ? entry.packet : undefined;
  }

  /** Commands waiting to be sent (offline, no free packet id, or Receive Maximum reached). */
  get pendingCount(): number {
    return this.state.pending.length;
  }

  get protocolVersion(): 3 | 4 | 5 {
    return this.state.version;
  }

  /**
   * The Client Identifier the next CONNECT carries: the one configured, or, after an empty one,
   * the Assigned Client Identifier of the last MQTT 5 CONNACK [MQTT-3.2.2-16].
   */
  get clientId(): string {
    return this.state.options.clientId;
  }

  /** The last accepted CONNACK. */
  get connack(): IConnackPacket | undefined {
    return this.state.connack;
  }

  /** Filters the broker accepted (SUBACK code < 0x80), minus those unsubscribed since. */
  get subscriptions(): ReadonlyMap<string, ISubscription> {
    return this.state.subscriptions;
  }

  /**
   * Applies one input and returns the outputs to execute, in order. `now` (milliseconds on the
   * caller's clock) is only used to age publishes that wait with a Message Expiry Interval.
   */
  step(input: SessionInput, now?: number): SessionOutput[] {
    const out: SessionOutput[] = [];
    const state = this.state;
    state.now = now;
    switch (input.type) {
      case 'open':
        openConnection(state, out);
        break;
      case 'packet':
        handlePacket(state, input.packet, out);
        break;
      case 'closed':
        connectionLost(state);
        break;
      case 'configure':
        configure(state, input);
        break;
      case 'pingDue':
        if (state.status === 'connected') out.push({ type: 'send', packet: { cmd: 'pingreq' } });
        break;
      case 'publish':
      case 'subscribe':
      case 'unsubscribe':
        handleCommand(state, input, out);
        break;
      case 'acknowledge':
        acknowledge(state, input.ackId, input.reasonCode, out);
        break;
      case 'disconnect':
        disconnect(state, input.reasonCode, input.properties, out);
        break;
      case 'removeOutgoing':
        removeOutgoing(state, input.messageId, input.error, out);
        break;
      case 'unsendable':
        unsendable(state, input.packet, input.error, input.token, out);
        break;
      case 'malformed':
        malformed(state, input.error, out);
        break;
      case 'abort':
        abort(state, input.error, out);
        break;
      case 'restore':
        restore(state, input.packets);
        restoreIncoming(state, input.incoming ?? []);
        storeWaiting(state, out);
        break;
      case 'authContinue':
        continueAuth(state, input.properties, out);
        break;
      case 'authAbort':
        abortAuth(state, input.error, out);
        break;
      case 'reauthenticate':
        reauthenticate(state, input.properties, out);
        break;
      case 'reauthTimedOut':
        reauthTimedOut(state, input.error, out);
        break;
      default:
        assertNever(input);
    }
    return out;
  }
}

function handlePacket(state: SessionState, packet: Packet, out: SessionOutput[]): void {
  if (state.status === 'disconnected') return; // late packets from a connection we already gave up on
  const violation = checkFields(state.version, packet);
  if (violation !== undefined) return protocolError(state, out, violation.message, violation.reasonCode);
  switch (state.status) {
    case 'awaitingConnack':
      return handleBeforeConnack(state, packet, out);
    case 'connected':
      return handleConnected(state, packet, out);
    default:
      assertNever(state.status);
  }
}

function handleBeforeConnack(state: SessionState, packet: Packet, out: SessionOutput[]): void {
  if (packet.cmd === 'connack') return handleConnack(state, packet, out);
  // v5 enhanced authentication exchanges AUTH before CONNACK (4.12).
  if (packet.cmd === 'auth' && state.version === 5) return handleAuthPacket(state, packet, out);
  // [MQTT-3.2.0-1] the first packet from the Server MUST be CONNACK.
  protocolError(state, out, `Expected CONNACK, received ${packet.cmd}`, REASON.protocolError);
}

function handleConnected(state: SessionState, packet: Packet, out: SessionOutput[]): void {
  switch (packet.cmd) {
    case 'publish':
      return handlePublish(state, packet, out);
    case 'puback':
      return handlePuback(state, packet, out);
    case 'pubrec':
      return handlePubrec(state, packet, out);
    case 'pubrel':
      return handlePubrel(state, packet, out);
    case 'pubcomp':
      return handlePubcomp(state, packet, out);
    case 'suback':
      return handleSuback(state, packet, out);
    case 'unsuback':
      return handleUnsuback(state, packet, out);
    case 'pingresp':
      out.push({ type: 'pingResponse' });
      return;
    case 'connack':
      return handleConnack(state, packet, out);
    case 'disconnect':
      return handleServerDisconnect(state, packet, out);
    case 'auth':
      return handleAuthPacket(state, packet, out);
    case 'connect':
    case 'subscribe':
    case 'unsubscribe':
    case 'pingreq':
      // Client-to-server packets only (MQTT 5 2.1.2 / 3.1.1 2.2.1).
      return protocolError(state, out, `The server sent a ${packet.cmd} packet`, REASON.protocolError);
    default:
      assertNever(packet);
  }
}

function handleServerDisconnect(state: SessionState, packet: IDisconnectPacket, out: SessionOutput[]): void {
  if (state.version !== 5) {
    // Only an MQTT 5 server may send DISCONNECT.
    protocolError(state, out, 'The server sent a DISCONNECT packet', REASON.protocolError);
    return;
  }
  out.push({ type: 'serverDisconnect', packet });
  connectionLost(state);
}

/** Graceful end: DISCONNECT if a connection is up, then close the transport. */
function disconnect(
  state: SessionState,
  reasonCode: number | undefined,
  properties: IDisconnectPacket['properties'],
  out: SessionOutput[],
): void {
  if (state.status !== 'disconnected') {
    const packet: IDisconnectPacket = { cmd: 'disconnect' };
    if (state.version === 5 && reasonCode !== undefined) packet.reasonCode = reasonCode;
    if (state.version === 5 && properties !== undefined) packet.properties = properties;
    out.push({ type: 'send', packet });
  }
  out.push({ type: 'close' });
  connectionLost(state);
}
