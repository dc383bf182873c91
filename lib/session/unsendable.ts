/**
 * What the session does with packets that never made it across the wire boundary, in either
 * direction: a packet of ours the codec refused or the broker's Maximum Packet Size rules out, and
 * bytes from the broker that do not decode. The connection only reports them; the consequences
 * for commands, aliases and the connection are decided here.
 */
import type { Packet } from '../protocol/codec.js';
import type { MqttError } from '../errors.js';
import { removeOutgoing } from './outbound-acks.js';
import { REASON, settleError } from './state.js';
import type { SessionState } from './state.js';
import type { SessionOutput, Token } from './types.js';

/**
 * A packet the session asked to send did not go out (`error` says why). A CONNECT failure ends the
 * attempt; a command's packet fails that command instead of leaving it waiting for an ack that
 * cannot come; a QoS 0 publish (`token`: it settles when written) fails with the error.
 */
export function unsendable(state: SessionState, packet: Packet, error: MqttError, token: Token | undefined, out: SessionOutput[]): void {
  if (packet.cmd === 'connect') {
    out.push({ type: 'failed', error });
    return;
  }
  // A Topic Alias this PUBLISH would have registered is unknown to the broker: stop using it.
  if (packet.cmd === 'publish' && packet.topic !== '' && packet.properties?.topicAlias !== undefined) {
    state.outboundAliases.forget(packet.properties.topicAlias, packet.topic);
  }
  // Only our own commands are in the outgoing table: an acknowledgement carries the id of an
  // inbound message, which may equal the id of an unrelated publish of ours in flight.
  const command = packet.cmd === 'publish' || packet.cmd === 'subscribe' || packet.cmd === 'unsubscribe';
  if (command && packet.messageId !== undefined) return removeOutgoing(state, packet.messageId, error, out);
  if (packet.cmd === 'publish' && token !== undefined) return settleError(out, token, error);
  // An acknowledgement, a ping: nothing waits on it, so the app hears of it as an error.
  out.push({ type: 'error', error });
}

/**
 * Bytes from the broker that do not decode: MQTT 5 says why with DISCONNECT before closing, with
 * the decoder's reason code (0x95 Packet too large for a packet over our limit, else 0x81
 * Malformed Packet) [MQTT-4.13.1-1]; then the connection ends with the decoder's error.
 */
export function malformed(state: SessionState, error: MqttError, out: SessionOutput[]): void {
  if (state.version === 5 && state.status !== 'disconnected') {
    out.push({ type: 'send', packet: { cmd: 'disconnect', reasonCode: error.reasonCode ?? REASON.malformedPacket } });
  }
  out.push({ type: 'failed', error });
}
