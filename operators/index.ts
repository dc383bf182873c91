export * from './filterTopic.js';
export * from './keepalive.js';
