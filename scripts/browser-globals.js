// Injected into the browser bundles (scripts/bundle.mjs): the Node globals that mqtt-packet, its
// dependencies and rxmqtt's codec use, from their npm stand-ins. Only referenced names are bundled.
export { Buffer } from 'buffer';
export { default as process } from './browser-process.js';
