/**
 * Checks on what the broker sends us that the codec does not make. Each returns undefined when
 * all is well, or the reason code and text for the protocol error.
 */
import { REASON } from './state.js';

export interface Violation {
  reasonCode: number;
  message: string;
}

/** Any character that can make a topic name invalid; one regex test keeps the happy path cheap. */
const SUSPECT = /[+#\u0000\uFFFD]/;

/**
 * A non-empty PUBLISH topic name. (Emptiness depends on topic aliases and is checked by the caller.)
 *
 * mqtt-packet decodes topics with `Buffer#toString('utf8')`, which turns ill-formed UTF-8 into
 * U+FFFD. A broker has no business sending U+FFFD itself, so we take it as the trace of invalid
 * UTF-8 ([MQTT-1.5.3-1] in 3.1.1, [MQTT-1.5.4-1] in 5.0) rather than decode the bytes a second time.
 */
export function checkTopicName(topic: string): Violation | undefined {
  if (!SUSPECT.test(topic)) return undefined;
  if (topic.includes('\u0000')) {
    // [MQTT-1.5.3-2] / [MQTT-1.5.4-2] a UTF-8 string MUST NOT include U+0000.
    return { reasonCode: REASON.malformedPacket, message: 'PUBLISH topic contains U+0000' };
  }
  if (topic.includes('\uFFFD')) {
    return { reasonCode: REASON.malformedPacket, message: 'PUBLISH topic is not valid UTF-8' };
  }
  // [MQTT-3.3.2-2] the Topic Name in a PUBLISH MUST NOT contain wildcard characters.
  return { reasonCode: REASON.topicNameInvalid, message: `PUBLISH topic "${topic}" contains a wildcard` };
}
