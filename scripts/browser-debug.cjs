// The browser bundles' `debug` (scripts/bundle.mjs): what rxmqtt's log.ts and mqtt-packet's parser
// call, `createDebug(namespace)` -> a logger with `enabled`, in a few hundred bytes instead of debug
// and ms (6 KB minified, 2.3 KB gzipped, per the metafile report). Switched on as debug's browser
// build is, by `localStorage.debug` ('rxmqtt*', 'rxmqtt:conn,mqtt-packet:*', '*,-mqtt-packet:*'),
// read when the logger is made; printed with console.debug, which formats %s %d %o %O itself.
// (CommonJS, as the debug package: mqtt-packet `require`s it and calls the module.)
const patterns = (() => {
  let setting = '';
  try {
    setting = globalThis.localStorage?.getItem('debug') ?? '';
  } catch {
    // localStorage refuses access (a sandboxed frame, storage disabled): logging stays off.
  }
  const toRegExp = (glob) => new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*?')}$`);
  const names = setting.split(/[\s,]+/).filter(Boolean);
  return {
    include: names.filter((n) => !n.startsWith('-')).map(toRegExp),
    exclude: names.filter((n) => n.startsWith('-')).map((n) => toRegExp(n.slice(1))),
  };
})();

function createDebug(namespace) {
  const logger = (format, ...args) => {
    if (logger.enabled) console.debug(`${namespace} ${format}`, ...args);
  };
  logger.namespace = namespace;
  logger.enabled = patterns.include.some((p) => p.test(namespace)) && !patterns.exclude.some((p) => p.test(namespace));
  return logger;
}

module.exports = createDebug;
