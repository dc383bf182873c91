/**
 * The text of CONNACK return codes (MQTT 3.1.1, 3.2.2.3) and reason codes (MQTT 5, 3.2.2.2), for
 * the messages of refused connections. Apart from `errors.ts` because it is protocol knowledge,
 * not error plumbing.
 */

const CONNACK_V3_REASONS: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

const CONNACK_V5_REASONS: Record<number, string> = {
  0x80: 'unspecified error',
  0x81: 'malformed packet',
  0x82: 'protocol error',
  0x83: 'implementation specific error',
  0x84: 'unsupported protocol version',
  0x85: 'client identifier not valid',
  0x86: 'bad user name or password',
  0x87: 'not authorized',
  0x88: 'server unavailable',
  0x89: 'server busy',
  0x8a: 'banned',
  0x8c: 'bad authentication method',
  0x90: 'topic name invalid',
  0x95: 'packet too large',
  0x97: 'quota exceeded',
  0x99: 'payload format invalid',
  0x9a: 'retain not supported',
  0x9b: 'QoS not supported',
  0x9c: 'use another server',
  0x9d: 'server moved',
  0x9f: 'connection rate exceeded',
};

/** Human-readable text for a CONNACK return code (3.1.1) or reason code (5.0). */
export function connackReason(code: number): string {
  return CONNACK_V3_REASONS[code] ?? CONNACK_V5_REASONS[code] ?? 'unknown reason';
}
