/**
 * Checks of connect options that mqtt-packet would otherwise only trip over when it encodes the
 * CONNECT, on every attempt: they throw an InvalidArgumentError at the call instead.
 */
import { InvalidArgumentError } from '../errors.js';
import type { ClientOptions } from './client-options.js';
import { validateTopic } from '../protocol/topic.js';

/** Client id, user name and password: strings (a password may be a Buffer) [MQTT-3.1.3-1/-11/-12]. */
export function checkCredentials(options: ClientOptions): void {
  if (options.clientId !== undefined && typeof options.clientId !== 'string') throw new InvalidArgumentError(`clientId must be a string, got ${typeof options.clientId}`);
  if (options.username !== undefined && typeof options.username !== 'string') throw new InvalidArgumentError(`username must be a string, got ${typeof options.username}`);
  // The message names the type only: the value is a secret.
  if (options.password !== undefined && typeof options.password !== 'string' && !Buffer.isBuffer(options.password)) {
    throw new InvalidArgumentError(`password must be a string or a Buffer, got ${typeof options.password}`);
  }
}

/** The will is a PUBLISH the broker sends for us: its topic obeys the same rules [MQTT-3.1.3-10]. */
export function checkWill(will: ClientOptions['will']): void {
  if (will === undefined || will === null) return;
  if (typeof will !== 'object') throw new InvalidArgumentError('will must be an object');
  const topicError = validateTopic(will.topic);
  if (topicError) throw new InvalidArgumentError(`Invalid will topic: ${topicError}`);
  const payload: unknown = will.payload;
  if (payload !== undefined && typeof payload !== 'string' && !(payload instanceof Uint8Array)) {
    throw new InvalidArgumentError('will.payload must be a string or a Buffer');
  }
  // [MQTT-3.1.2-14] Will QoS 3 is malformed.
  if (will.qos !== undefined && will.qos !== 0 && will.qos !== 1 && will.qos !== 2) throw new InvalidArgumentError(`will.qos must be 0, 1 or 2, got ${String(will.qos)}`);
}
