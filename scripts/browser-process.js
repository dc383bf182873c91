// The part of Node's `process` the browser bundles reach: debug reads `env.DEBUG`, and mqtt-packet's
// process-nextick-args reads `version` and calls `nextTick` (only for a stream that can cork, which
// rxmqtt's encoder never passes). These few lines stand in for the `process` package's whole
// emulation (argv, cwd, umask, a setTimeout-drained queue...), 1.6 KB minified of which three
// names were used. nextTick runs its callback as a microtask, as Node does.
const process = {
  env: {},
  version: '',
  browser: true,
  nextTick(callback, ...args) {
    queueMicrotask(() => callback(...args));
  },
};
export default process;
