// mqtt-packet's writeToStream takes `nextTick` from process-nextick-args, a wrapper for Node
// versions before 1.8 (0.7 KB minified); the browser bundles call the process stand-in directly.
import process from './browser-process.js';

export const nextTick = process.nextTick;
