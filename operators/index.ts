export * from './filterTopic.js';
export * from './keepalive.js';
export * from './retryBackoff.js';
