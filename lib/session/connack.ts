/**
 * Opening a connection: CONNECT out, CONNACK in, then resume the session in the order the
 * broker expects (resubscribe, in-flight, pending).
 */
import type { IConnackPacket, IConnectPacket } from '../protocol/codec.js';
import { ConnackError } from '../errors.js';
import { authConnack, startAuth } from './auth.js';
import { clearInboundQos2, flushAcks } from './inbound.js';
import { drain } from './outbound.js';
import { resumeOutgoing } from './resume.js';
import { connectionLost, DEFAULT_RECEIVE_MAXIMUM, protocolError, REASON } from './state.js';
import type { SessionState } from './state.js';
import type { ConfigureInput, SessionOptions, SessionOutput } from './types.js';

/** The transport is open: send CONNECT. A session that was not disconnected starts afresh. */
export function openConnection(state: SessionState, out: SessionOutput[]): void {
  if (state.status !== 'disconnected') connectionLost(state);
  // [MQTT-3.3.2-7] topic aliases live for one network connection.
  state.topicAliases.clear();
  state.outboundAliases.reset(0);
  state.receiveMaximum = DEFAULT_RECEIVE_MAXIMUM;
  state.status = 'awaitingConnack';
  startAuth(state);
  out.push({ type: 'send', packet: connectPacket(state.options) });
}

/** New credentials for the CONNECTs that follow (copy on write: the caller's options stay as given). */
export function configure(state: SessionState, input: ConfigureInput): void {
  // Every own property, the non-enumerable ones too: options that print redacted stay so.
  const options: SessionOptions = Object.defineProperties({} as SessionOptions, Object.getOwnPropertyDescriptors(state.options));
  if (input.clientId !== undefined) options.clientId = input.clientId;
  if (input.username !== undefined) options.username = input.username;
  if (input.password !== undefined) options.password = input.password;
  state.options = options;
}

export function connectPacket(options: SessionOptions): IConnectPacket {
  const packet: IConnectPacket = {
    cmd: 'connect',
    protocolId: options.protocolId,
    protocolVersion: options.protocolVersion,
    clientId: options.clientId,
    clean: options.clean,
    keepalive: options.keepalive,
  };
  if (options.username !== undefined) packet.username = options.username;
  if (options.password !== undefined) {
    packet.password = typeof options.password === 'string' ? Buffer.from(options.password) : options.password;
  }
  if (options.will !== undefined) packet.will = options.will;
  if (options.protocolVersion === 5 && options.properties !== undefined) packet.properties = options.properties;
  return packet;
}

/** CONNACK: accept (resume the session) or refuse. */
export function handleConnack(state: SessionState, packet: IConnackPacket, out: SessionOutput[]): void {
  if (state.status === 'connected') {
    // [MQTT-3.2.0-2] the Server MUST NOT send more than one CONNACK in a Network Connection.
    protocolError(state, out, 'Protocol error: duplicate CONNACK on the same network connection', REASON.protocolError);
    return;
  }
  const code = (state.version === 5 ? packet.reasonCode : packet.returnCode) ?? 0;
  if (code !== 0) {
    out.push({ type: 'refused', connack: packet, error: new ConnackError(code, packet.properties?.reasonString) });
    connectionLost(state);
    return;
  }
  if (!authConnack(state, packet, out)) return;
  if (state.options.clean && packet.sessionPresent) {
    // [MQTT-3.2.2-1] (3.1.1) / [MQTT-3.2.2-2] (5.0): after a clean start the server MUST set
    // Session Present 0; a client that sees 1 closes the connection (5.0 3.2.2.1.1).
    protocolError(state, out, 'CONNACK with Session Present after a clean start', REASON.protocolError);
    return;
  }
  const receiveMaximum = state.version === 5 ? packet.properties?.receiveMaximum : undefined;
  if (receiveMaximum === 0) {
    // 3.2.2.3.3: a Receive Maximum of 0 is a Protocol Error.
    protocolError(state, out, 'CONNACK with Receive Maximum 0', REASON.protocolError);
    return;
  }
  accept(state, packet, receiveMaximum ?? DEFAULT_RECEIVE_MAXIMUM, out);
}

function accept(state: SessionState, packet: IConnackPacket, receiveMaximum: number, out: SessionOutput[]): void {
  state.status = 'connected';
  state.connack = packet;
  state.receiveMaximum = receiveMaximum;
  // Before anything is resent or drained: the outgoing aliases of this connection start empty
  // [MQTT-3.3.2-7], bounded by its Topic Alias Maximum (absent: 0, no alias, 3.2.2.3.8).
  state.outboundAliases.reset(state.version === 5 ? (packet.properties?.topicAliasMaximum ?? 0) : 0);
  adoptAssignedClientId(state, packet);
  out.push({ type: 'connected', connack: packet });
  const sessionPresent = packet.sessionPresent === true;
  // A new session knows nothing of inbound QoS 2 exchanges; a resumed one gets the PUBRECs
  // acknowledged while we were offline.
  if (sessionPresent) flushAcks(state, out);
  else clearInboundQos2(state);
  resumeOutgoing(state, sessionPresent, out);
  drain(state, out);
}

/**
 * [MQTT-3.2.2-16] a client that sent an empty Client Identifier gets one assigned in the CONNACK:
 * keep it for the next CONNECT (as MQTT.js does), so a reconnect names the same client. An id the
 * client chose itself is never replaced.
 */
function adoptAssignedClientId(state: SessionState, packet: IConnackPacket): void {
  const assigned = state.version === 5 ? packet.properties?.assignedClientIdentifier : undefined;
  if (assigned === undefined || assigned === '' || state.options.clientId !== '') return;
  state.options = { ...state.options, clientId: assigned };
}
