/**
 * The lines `-d` prints on stderr: one per packet sent or received, and one per connection event.
 * Pure. Passwords and authentication data never appear (redactPacket), payloads only as a length.
 *
 * ```
 * rxmqtt: sending CONNECT protocolVersion=4 clean=true keepalive=60 clientId="s1" username="u" password="<redacted>"
 * rxmqtt: received PUBLISH topic="a/b" qos=1 messageId=2 retain=false dup=false payload=<5 bytes>
 * rxmqtt: connection lost (connection reset (ECONNRESET)); reconnecting in 1 s
 * ```
 */
import type { ConnectionState } from '../lib/index.js';
import { redactPacket } from '../lib/log.js';

/** Fields every decoded packet has that say nothing to a user. */
const NOISE = new Set(['cmd', 'length']);
/** Fixed-header flags, which only PUBLISH uses (the decoder reports them on every packet). */
const FLAGS = new Set(['retain', 'qos', 'dup']);

/** Buffers become `<n bytes>`, nested objects are kept: what JSON can print without dumping payloads. */
function printable(value: unknown): unknown {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (Array.isArray(value)) return value.map(printable);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => [k, printable(v)]));
  }
  return value;
}

/** `PUBLISH topic="a/b" qos=0 ... payload=<5 bytes>` for a packet as mqtt-packet decodes or takes it. */
export function describePacket<P extends { cmd: string }>(packet: P): string {
  const fields = Object.entries(redactPacket(packet as Record<string, unknown>))
    .filter(([key, value]) => !NOISE.has(key) && (packet.cmd === 'publish' || !FLAGS.has(key)) && value !== undefined && value !== null)
    .map(([key, value]) => {
      const shown = printable(value);
      return `${key}=${typeof shown === 'string' && shown.startsWith('<') ? shown : JSON.stringify(shown)}`;
    });
  return [packet.cmd.toUpperCase(), ...fields].join(' ');
}

/** One line for `-d` (every state) or `-v` on a terminal (`reconnectsOnly`: drops and recoveries). */
export function describeState(state: ConnectionState, address: string, describeCause: (error: Error) => string, reconnectsOnly: boolean): string | undefined {
  const because = (cause: Error | undefined) => (cause ? ` (${describeCause(cause)})` : '');
  switch (state.status) {
    case 'idle':
    case 'disconnecting':
    case 'closed':
      return undefined;
    case 'connecting':
      if (reconnectsOnly) return undefined;
      return `connecting to ${address}${state.attempt > 1 ? ` (attempt ${state.attempt})` : ''}`;
    case 'connected':
      if (reconnectsOnly && state.attempt <= 1) return undefined;
      return `${state.attempt > 1 ? 'reconnected' : 'connected'} to ${address} (session present: ${state.sessionPresent})`;
    case 'reconnecting':
      return `connection lost${because(state.cause)}; reconnecting in ${Math.round(state.delayMs / 100) / 10} s`;
    case 'offline':
      return reconnectsOnly ? undefined : `offline${because(state.cause)}`;
    default: {
      const unexpected: never = state;
      throw new TypeError(`Unknown connection state ${JSON.stringify(unexpected)}`);
    }
  }
}
