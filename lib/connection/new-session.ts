/** The MQTT session a connection runs, configured from the client's options. */
import { redactWhenPrinted } from '../log.js';
import type { ResolvedOptions } from '../options/options.js';
import { connectProperties, enforcedReceiveMaximum } from '../session/connect-properties.js';
import { MqttSession } from '../session/session.js';

export function newSession(options: ResolvedOptions): MqttSession {
  // The session keeps the credentials for every CONNECT: they print redacted, as the options do.
  return new MqttSession(redactWhenPrinted({
    protocolId: options.protocolId,
    protocolVersion: options.protocolVersion,
    clientId: options.clientId,
    clean: options.clean,
    keepalive: options.keepalive,
    username: options.username,
    password: options.password,
    will: options.will,
    properties: connectProperties(options),
    enforcedReceiveMaximum: enforcedReceiveMaximum(options),
    resubscribe: options.resubscribe,
    subscribeBatchSize: options.subscribeBatchSize ?? undefined,
    queueQoSZero: options.queueQoSZero,
    autoUseTopicAlias: options.autoUseTopicAlias,
    autoAssignTopicAlias: options.autoAssignTopicAlias,
    offlineQueue: options.offlineQueue,
    // A QoS 1/2 publish made offline is put into the store at once: its cbStorePut means it survives a restart.
    storeOfflinePublishes: options.outgoingStore !== undefined,
    messageIdProvider: options.messageIdProvider,
  }));
}
