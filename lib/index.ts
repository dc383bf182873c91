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

export { connect, connectAsync } from './compat/connect.js';
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
export type { OutgoingMessage, PublishAllOptions, PublishAllResult } from './client/publish-all.js';
export { Store, type IStore, type StoreOptions } from './stores/store.js';
export { FileStore, type FileStoreOptions, type FileStoreStats } from './stores/file-store.js';
export { IndexedDBStore, type IndexedDBStoreOptions } from './stores/indexeddb-store.js';
export { DefaultMessageIdProvider, UniqueMessageIdProvider } from './session/message-id-provider.js';
export * from './errors.js';
export type { MqttMessage } from './inbound/message.js';
export { decodeMessage, json, raw, utf8, type Codec, type Decoded } from './protocol/payload-codecs.js';
export type { ClientOptions, WillOptions, ServerAddress, ReconnectOptions, ReconnectPolicy } from './options/client-options.js';
export type { HandleMessage, HandleAuth, AuthAnswer, CustomHandleAcks, CustomHandleAcks as AckHandler } from './options/handlers.js';
export type { ConnectProperties } from './session/connect-properties.js';
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions, type BackoffPolicy } from './connection/backoff-policy.js';
export type { BeforeConnect, BeforeConnectContext, BeforeConnectResult } from './connection/before-connect.js';
export type { OfflineQueueOptions, OverflowPolicy } from './options/offline-queue-options.js';
export type { TimerVariant } from './platform/timer-variant.js';
export type { ConnectionState, ConnectionStatus, ClientEvent } from './connection/connection-state.js';
export type { TopicOptions } from './routing/topic-options.js';
export type { TopicPatternParams, WithTopicParams } from './routing/topic-params.js';
export type { RequestOptions, RequestPayload, Reply, ResponseHandler, RespondOptions, ResponseOutcome } from './client/request-response.js';
export type { PublishOptions, SubscribeOptions } from './options/validate.js';
export type { MessageIdProvider } from './session/types.js';
export type { Packet, IPublishPacket, IConnackPacket, IDisconnectPacket, ISubackPacket, IAuthPacket, QoS, UserProperties } from './protocol/codec.js';
export type { Transport, TransportFactory, TransportHandlers, TransportTarget } from './transport/transport.js';
export { acrossTabs, SharingUnsupportedError, type AcrossTabsOptions } from './sharing/across-tabs.js';
export { webLocksElection, type Election } from './sharing/election.js';
export type { ChannelPort } from './sharing/channel-messages.js';
export type { OpenSharedWorker } from './sharing/worker-channel.js';
export type { ConnectionSharing, SharingClient } from './options/connection-sharing.js';
export { matchTopic, validateTopic as validateTopicName, validateFilter } from './protocol/topic.js';
export { ReasonCodes, validateTopic, validateTopics } from './compat/mqttjs-exports.js';

/** `import mqtt from 'rxmqtt'`: the same members as the named exports MQTT.js users reach for. */
const mqtt = {
  connect,
  connectAsync,
  MqttClient,
  Client: MqttClient,
  Store,
  DefaultMessageIdProvider,
  UniqueMessageIdProvider,
  ReasonCodes,
  validateTopic,
  validateTopics,
  errors,
  // MQTT.js's default export holds its error classes too (`mqtt.ErrorWithReasonCode`).
  ErrorWithReasonCode,
  ErrorWithSubackPacket,
};

export default mqtt;
