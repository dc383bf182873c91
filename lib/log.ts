/**
 * The one owner of the `debug` package. Namespaces are `rxmqtt:<area>`; enable with DEBUG=rxmqtt*.
 * Callers must pass packets through `redactPacket` before logging them.
 */
import createDebug from 'debug';

export interface Logger {
  (format: string, ...args: unknown[]): void;
  /** Whether anything would be printed: check it before building costly log arguments. */
  enabled: boolean;
}

export function createLogger(area: string): Logger {
  return createDebug(`rxmqtt:${area}`);
}

/** Wraps the MQTT.js `log` option (a plain function) as a Logger. */
export function customLogger(area: string, log: (...args: unknown[]) => void): Logger {
  const logger = ((format: string, ...args: unknown[]) => log(`rxmqtt:${area} ${format}`, ...args)) as Logger;
  logger.enabled = true;
  return logger;
}

/** A shallow copy of a packet that is safe to log: no password, no authentication data. */
export function redactPacket<T extends object>(packet: T): T {
  const p = packet as Record<string, unknown>;
  if (!('password' in p) && !('properties' in p)) return packet;
  const copy: Record<string, unknown> = { ...p };
  if (copy.password !== undefined) copy.password = '<redacted>';
  const props = copy.properties as Record<string, unknown> | undefined;
  if (props && props.authenticationData !== undefined) {
    copy.properties = { ...props, authenticationData: '<redacted>' };
  }
  return copy as T;
}

/** Turns on every `rxmqtt:*` namespace (the CLI's `--debug`); output goes to stderr. */
export function enableDebugLogs(): void {
  createDebug.enable('rxmqtt*');
}
