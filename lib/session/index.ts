/** The public face of the sans-IO session. */
export { MqttSession } from './session.js';
export { DefaultMessageIdProvider, UniqueMessageIdProvider, MAX_MESSAGE_ID } from './message-id-provider.js';
export type * from './types.js';
