export * from './assignTopicAliases.js';
export * from './awaitAck.js';
export * from './decodePayload.js';
export * from './filterTopic.js';
export * from './keepalive.js';
export * from './resolveTopicAliases.js';
export * from './retryBackoff.js';
