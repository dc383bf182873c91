/**
 * rxmqtt: a reactive-streams MQTT client for RxJS, drop-in compatible with MQTT.js v5.
 */
import { MqttClient } from './compat/compat.js';
import { connect, connectAsync } from './compat/connect.js';
import { DefaultMessageIdProvider, UniqueMessageIdProvider } from './session/message-id-provider.js';
import { Store } from './stores/store.js';
import { ReasonCodes, validateTopic, validateTopics } from './compat/mqttjs-exports.js';
import * as errors from './errors.js';
import { ErrorWithReasonCode, ErrorWithSubackPacket } from './errors.js';

export { connect, connectAsync, type BrokerUrl } from './compat/connect.js';
export { MqttClient, MqttClient as Client, type StreamBuilder } from './compat/compat.js';
export type {
  IClientOptions,
  IClientPublishOptions,
  IClientSubscribeOptions,
  IClientSubscribeProperties,
  IClientUnsubscribeProperties,
  IClientReconnectOptions,
  IClientEndOptions,
  ISubscriptionGrant,
  ISubscriptionMap,
  ISubscriptionRequest,
  SubackFailureCode,
  ClientSubscribeCallback,
  PacketCallback,
  DoneCallback,
  VoidCallback,
  OnConnectCallback,
  OnDisconnectCallback,
  OnMessageCallback,
  OnPacketCallback,
  OnCloseCallback,
  OnErrorCallback,
  MqttClientEventCallbacks,
  MqttClientEvent,
  BaseMqttProtocol,
  MqttProtocolWithUnix,
  MqttProtocol,
  StorePutCallback,
  Callback,
  CloseCallback,
  GenericCallback,
} from './compat/compat-types.js';
export { RxMqttClient, type PublishResult, type ClientTopicOptions, type MessagesOptions, type AckOptions, type SubscribeResult } from './client/client.js';
export type { AckableMessage } from './inbound/ack-holds.js';
export type { EndOptions } from './connection/link-types.js';
export type { OutgoingMessage, PublishAllOptions, PublishAllResult } from './client/publish-all.js';
export { Store, type IStore, type StoreOptions, type StorePacket, type StoreCallback } from './stores/store.js';
export type { FileStoreFs } from './stores/durable-file.js';
export { FileStore, type FileStoreOptions, type FileStoreStats } from './stores/file-store.js';
export { IndexedDBStore, type IndexedDBStoreOptions } from './stores/indexeddb-store.js';
export { DefaultMessageIdProvider, UniqueMessageIdProvider } from './session/message-id-provider.js';
export * from './errors.js';
// The `errors` member of the default export, as a namespace of types for the reference: there is
// no `errors` named export at run time (`import mqtt from 'rxmqtt'; mqtt.errors.X` only).
// (`export type { errors }` rather than TS 5's `export type * as`, for older compilers of users.)
export type { errors };
export type { MqttMessage, InboundMessage } from './inbound/message.js';
export { decodeMessage, json, raw, utf8, type Codec, type Decoded } from './protocol/payload-codecs.js';
export type { ResolvedOptions } from './options/options.js';
export type { ClientOptions, WillOptions, ServerAddress, ReconnectOptions, ReconnectPolicy } from './options/client-options.js';
export type { HandleMessage, HandleAuth, AuthAnswer, CustomHandleAcks, CustomHandleAcks as AckHandler } from './options/handlers.js';
export type { ConnectProperties } from './session/connect-properties.js';
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions, type BackoffPolicy } from './connection/backoff-policy.js';
export type { BeforeConnect, BeforeConnectContext, BeforeConnectResult } from './connection/before-connect.js';
export type { OfflineQueueOptions, OverflowPolicy, OfflineQueueLimits } from './options/offline-queue-options.js';
export type { TimerVariant } from './platform/timer-variant.js';
export type { Timers } from './platform/worker-timer-scheduler.js';
export type { ConnectionState, ConnectionStatus, ClientEvent } from './connection/connection-state.js';
export type { TopicOptions } from './routing/topic-options.js';
export type { TopicPatternParams, WithTopicParams } from './routing/topic-params.js';
export type { RequestOptions, RequestPayload, Reply, ResponseHandler, RespondOptions, ResponseOutcome } from './client/request-response.js';
export type { ReplyPayload } from './client/responder.js';
export type { PublishOptions, SubscribeOptions } from './options/validate.js';
export type { MessageIdProvider, PublishProperties, AuthProperties, ProtocolAnomaly } from './session/types.js';
export type { Packet, IPublishPacket, IConnackPacket, IDisconnectPacket, ISubackPacket, IAuthPacket, QoS, UserProperties } from './protocol/codec.js';
export type { Transport, TransportFactory, TransportHandlers, TransportTarget } from './transport/transport.js';
export type { WxApi, WxSocketTask, WxFailResult } from './transport/wx.js';
export type { AliApi, AliSocketMessage, AliFailResult } from './transport/ali.js';
export { acrossTabs, SharingUnsupportedError, type AcrossTabsOptions } from './sharing/across-tabs.js';
export { webLocksElection, type Election, type LockManagerLike } from './sharing/election.js';
export type { ChannelPort } from './sharing/channel-messages.js';
export type { OpenSharedWorker } from './sharing/worker-channel.js';
export type { ConnectionSharing, SharingClient } from './options/connection-sharing.js';
export { matchTopic, validateTopic as validateTopicName, validateFilter } from './protocol/topic.js';
export { ReasonCodes, validateTopic, validateTopics } from './compat/mqttjs-exports.js';

/**
 * `import mqtt from 'rxmqtt'`: the same members as the named exports MQTT.js users reach for
 * (`mqtt.connect(...)`, `mqtt.errors.ConnackError`).
 */
// Each member carries its own one-line comment (rather than a separate interface typing the
// object, or hiding it) so that the reference lists this object as it is, with a link to the
// named export each member is, and the object's type stays the exact one inferred here.
const mqtt = {
  /** {@link connect}. */
  connect,
  /** {@link connectAsync}. */
  connectAsync,
  /** {@link MqttClient}. */
  MqttClient,
  /** {@link MqttClient}, by MQTT.js's other name. */
  Client: MqttClient,
  /** {@link Store}. */
  Store,
  /** {@link DefaultMessageIdProvider}. */
  DefaultMessageIdProvider,
  /** {@link UniqueMessageIdProvider}. */
  UniqueMessageIdProvider,
  /** {@link ReasonCodes}. */
  ReasonCodes,
  /** {@link validateTopic}. */
  validateTopic,
  /** {@link validateTopics}. */
  validateTopics,
  /** Every error class and error type, as the module `errors` (the same as the named exports). */
  errors,
  // MQTT.js's default export holds its error classes too (`mqtt.ErrorWithReasonCode`).
  /** {@link ErrorWithReasonCode}. */
  ErrorWithReasonCode,
  /** {@link ErrorWithSubackPacket}. */
  ErrorWithSubackPacket,
};

export default mqtt;
