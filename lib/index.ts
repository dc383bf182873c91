/**
 * rxmqtt: a reactive-streams MQTT client for RxJS, drop-in compatible with MQTT.js v5.
 */
import { MqttClient } from './compat.js';
import { connect, connectAsync } from './connect.js';
import { DefaultMessageIdProvider, UniqueMessageIdProvider } from './session/message-id-provider.js';
import { Store } from './store.js';
import * as errors from './errors.js';

export { connect, connectAsync } from './connect.js';
export { MqttClient, MqttClient as Client, type ISubscriptionGrant, type StreamBuilder } from './compat.js';
export { RxMqttClient, type PublishResult, type ClientTopicOptions, type MessagesOptions } from './client.js';
export type { AckableMessage } from './ack-holds.js';
export type { OutgoingMessage, PublishAllOptions, PublishAllResult } from './publish-all.js';
export { Store, type IStore, type StoreOptions } from './store.js';
export { FileStore, type FileStoreOptions, type FileStoreStats } from './file-store.js';
export { DefaultMessageIdProvider, UniqueMessageIdProvider } from './session/message-id-provider.js';
export * from './errors.js';
export type { MqttMessage } from './message.js';
export { decodeMessage, json, raw, utf8, type Codec, type Decoded } from './codecs.js';
export type { ClientOptions, WillOptions, ConnectProperties, HandleMessage, HandleAuth, AuthAnswer, CustomHandleAcks, ServerAddress, ReconnectOptions, ReconnectPolicy } from './options.js';
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions, type BackoffPolicy } from './backoff-policy.js';
export type { BeforeConnect, BeforeConnectContext, BeforeConnectResult } from './before-connect.js';
export type { OfflineQueueOptions, OverflowPolicy } from './offline-queue-options.js';
export type { ConnectionState, ConnectionStatus, ClientEvent } from './state.js';
export type { TopicOptions } from './topic-options.js';
export type { RequestOptions, RequestPayload, Reply, ResponseHandler, RespondOptions, ResponseOutcome } from './request-response.js';
export type { PublishOptions, SubscribeOptions } from './validate.js';
export type { MessageIdProvider } from './session/types.js';
export type { Packet, IPublishPacket, IConnackPacket, IDisconnectPacket, QoS, UserProperties } from './codec.js';
export type { Transport, TransportFactory, TransportHandlers, TransportTarget } from './transport/transport.js';
export { matchTopic, validateTopic, validateFilter } from './topic.js';

/** `import mqtt from 'rxmqtt'`: the same members as the named exports MQTT.js users reach for. */
const mqtt = {
  connect,
  connectAsync,
  MqttClient,
  Client: MqttClient,
  Store,
  DefaultMessageIdProvider,
  UniqueMessageIdProvider,
  errors,
};

export default mqtt;
