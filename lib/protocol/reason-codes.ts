/**
 * The text of CONNACK return codes (MQTT 3.1.1, 3.2.2.3) and reason codes (MQTT 5, 2.4), in
 * MQTT.js's wording: the messages of refused connections say what MQTT.js's say. Apart from
 * `errors.ts` because it is protocol knowledge, not error plumbing.
 */

/**
 * MQTT.js `ReasonCodes`: the text of each CONNACK return code (MQTT 3.1.1, 3.2.2.3) and reason
 * code (MQTT 5, 2.4), by number, in MQTT.js's wording.
 */
export const ReasonCodes: Readonly<Record<number, string>> = Object.freeze({
  0: '',
  1: 'Unacceptable protocol version',
  2: 'Identifier rejected',
  3: 'Server unavailable',
  4: 'Bad username or password',
  5: 'Not authorized',
  16: 'No matching subscribers',
  17: 'No subscription existed',
  128: 'Unspecified error',
  129: 'Malformed Packet',
  130: 'Protocol Error',
  131: 'Implementation specific error',
  132: 'Unsupported Protocol Version',
  133: 'Client Identifier not valid',
  134: 'Bad User Name or Password',
  135: 'Not authorized',
  136: 'Server unavailable',
  137: 'Server busy',
  138: 'Banned',
  139: 'Server shutting down',
  140: 'Bad authentication method',
  141: 'Keep Alive timeout',
  142: 'Session taken over',
  143: 'Topic Filter invalid',
  144: 'Topic Name invalid',
  145: 'Packet identifier in use',
  146: 'Packet Identifier not found',
  147: 'Receive Maximum exceeded',
  148: 'Topic Alias invalid',
  149: 'Packet too large',
  150: 'Message rate too high',
  151: 'Quota exceeded',
  152: 'Administrative action',
  153: 'Payload format invalid',
  154: 'Retain not supported',
  155: 'QoS not supported',
  156: 'Use another server',
  157: 'Server moved',
  158: 'Shared Subscriptions not supported',
  159: 'Connection rate exceeded',
  160: 'Maximum connect time',
  161: 'Subscription Identifiers not supported',
  162: 'Wildcard Subscriptions not supported',
});

/** The text of a CONNACK return code (3.1.1) or reason code (5.0), as MQTT.js words it. */
export function connackReason(code: number): string {
  return ReasonCodes[code] || 'Unknown reason';
}

/**
 * The reason codes a PUBACK (MQTT 5, 3.4.2.1) or a PUBREC (3.5.2.1) may carry, the same list for
 * both: Success, No matching subscribers, and the seven failures. Any other code cannot be sent.
 */
export const PUBLISH_ACK_REASON_CODES: ReadonlySet<number> = new Set([0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99]);
