/**
 * The `kind` of every error rxmqtt reports, one name per kind of failure, so that callers can
 * branch on `err.kind` instead of parsing messages. (`err.code` is MQTT.js's code for the same
 * condition: a reason code or a system error code where MQTT.js sets one, else the kind.) Apart
 * from the classes in `errors.ts` because the list, with a line on each kind, is long and changes
 * on its own.
 */

export type MqttErrorKind =
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_PROTOCOL'
  /** rxmqtt itself failed while handling a packet (a client bug): the connection is dropped. */
  | 'ERR_INTERNAL'
  | 'ERR_CONNACK'
  | 'ERR_SUBACK'
  | 'ERR_UNSUBACK'
  | 'ERR_PUBLISH'
  /** An ErrorWithReasonCode built directly (as MQTT.js code does), not by rxmqtt. */
  | 'ERR_REASON_CODE'
  | 'ERR_CONNECT_TIMEOUT'
  | 'ERR_KEEPALIVE_TIMEOUT'
  /** The broker did not end an MQTT 5 re-authentication (AUTH 0x00) within `reauthTimeout`: the connection was closed. */
  | 'ERR_REAUTH_TIMEOUT'
  | 'ERR_CONNECTION_CLOSED'
  | 'ERR_CLIENT_CLOSED'
  | 'ERR_MESSAGE_REMOVED'
  | 'ERR_SERVER_DISCONNECT'
  | 'ERR_TRANSPORT'
  /** The `beforeConnect` hook threw or rejected (its error is the `cause`). */
  | 'ERR_BEFORE_CONNECT'
  /** The reconnect policy's `maxAttempts` retries all failed (the last failure is the `cause`). */
  | 'ERR_RECONNECT_EXHAUSTED'
  | 'ERR_PACKET_TOO_LARGE'
  /** The browser said the network went offline (`offline` event): the connection was closed without waiting for the keepalive. */
  | 'ERR_NETWORK_OFFLINE'
  /** The bounded offline queue (`offlineQueue`) was full: this publish was dropped. */
  | 'ERR_QUEUE_FULL'
  /** The MQTT 5 broker's CONNACK rules out what this command asks for: it was not sent. */
  | 'ERR_NOT_SUPPORTED_BY_SERVER'
  /** A publish waited offline longer than its MQTT 5 Message Expiry Interval: it was not sent. */
  | 'ERR_MESSAGE_EXPIRED'
  /** No reply to an MQTT 5 `request()` arrived within its `timeout`. */
  | 'ERR_REQUEST_TIMEOUT'
  /** MQTT 5 enhanced authentication failed or cannot start (no handleAuth, no method, interrupted). */
  | 'ERR_AUTH'
  /** An MQTT 5 publish with an empty topic named a Topic Alias not registered on this connection. */
  | 'ERR_TOPIC_ALIAS'
  /** The acknowledgement awaited by the `awaitAck` operator (PUBACK, PUBCOMP...) did not arrive in time. */
  | 'ERR_ACK_TIMEOUT'
  /** A message payload could not be decoded by its codec (`decodePayload`, `topic(filter, { codec })`). */
  | 'ERR_DECODE'
  /** A FileStore's directory is locked by another live process (or another FileStore in this one). */
  | 'ERR_STORE_LOCKED'
  /** A durable store (IndexedDBStore) failed: IndexedDB unavailable, the database blocked or closed, a transaction aborted. */
  | 'ERR_STORE'
  /** A durable store ran out of the quota the browser grants its origin: the packet was not stored. */
  | 'ERR_STORE_QUOTA'
  /** `shared: acrossTabs()` in a runtime without BroadcastChannel or the Web Locks API. */
  | 'ERR_SHARING_UNSUPPORTED';

/** @deprecated The kinds are `MqttErrorKind`; `err.code` may also be a reason code or a system error code. */
export type MqttErrorCode = MqttErrorKind;
