/**
 * The two base classes of rxmqtt's errors: `MqttError`, whose `kind` classifies every failure, and
 * MQTT.js's `ErrorWithReasonCode`, whose numeric `code` is the reason code the broker (or rxmqtt)
 * gave. Apart from `errors.ts` so that the files of subclasses can import them without a cycle.
 */
import type { MqttErrorKind } from './error-codes.js';

/** What an `MqttError` carries besides its kind and message: the second argument of its constructor. */
export interface MqttErrorOptions {
  /** The MQTT reason code (MQTT 5) or CONNACK return code (3.1.1); becomes `err.reasonCode`. */
  reasonCode?: number;
  /** The MQTT 5 Reason String property the broker sent; becomes `err.reasonString`. */
  reasonString?: string;
  /** The underlying error (a socket's, a codec's, a hook's); becomes `err.cause`. */
  cause?: unknown;
  /**
   * The `code` MQTT.js gives the same condition, when it is not the `kind` (a reason code, a system
   * error code such as ECONNREFUSED).
   * @default the kind
   */
  code?: number | string;
}

/**
 * Base class of every runtime error rxmqtt reports. `kind` says which failure it is, the same for
 * every error of a class; `code` is what MQTT.js puts in `err.code` for that condition (a reason code,
 * a system error code), and the kind wherever MQTT.js sets none.
 */
export class MqttError extends Error {
  /**
   * The class's name ('ProtocolError', 'ConnackError'...), set by each class rather than read from
   * the constructor, so that it survives minification; a subclass of your own keeps its class name.
   */
  declare name: string;
  /** rxmqtt's classification of the failure: branch on this one. */
  readonly kind: MqttErrorKind;
  /** MQTT.js's `code` for the same condition, or the kind when MQTT.js defines none. */
  readonly code: MqttErrorKind | number | string;
  /** MQTT reason code (v5) or return code (v3) when the broker supplied one. */
  readonly reasonCode?: number;
  /** MQTT 5 Reason String property when the broker supplied one. */
  readonly reasonString?: string;

  constructor(kind: MqttErrorKind, message: string, options: MqttErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    // Each rxmqtt error class names itself with a field (`override name = 'X'`, set after this
    // constructor): minifiers rename classes, so `new.target.name` is 'Ot' in a browser bundle.
    // The field is per class, not per prototype, so an unused class is still tree-shaken away.
    // A subclass of the user's own, without such a field, keeps its class name.
    this.name = new.target === MqttError ? 'MqttError' : new.target.name;
    this.kind = kind;
    this.code = options.code ?? kind;
    if (options.reasonCode !== undefined) this.reasonCode = options.reasonCode;
    if (options.reasonString !== undefined) this.reasonString = options.reasonString;
  }
}

/**
 * MQTT.js's error for a failure that carries a reason code (a refused CONNACK, a PUBACK/PUBREC with
 * a failure code...): `code` is that number, also in `reasonCode`. rxmqtt's reason-code errors
 * (ConnackError, PublishError, SubackError, UnsubackError, ServerDisconnectError) extend it, so
 * MQTT.js code that tests `err instanceof ErrorWithReasonCode` keeps working.
 */
export class ErrorWithReasonCode extends MqttError {
  override name = 'ErrorWithReasonCode';
  declare readonly code: number;
  declare readonly reasonCode: number;

  /**
   * @param message The error's message.
   * @param code The reason code.
   * @param options The kind (`ERR_REASON_CODE` for one built directly, as MQTT.js code does) and the
   * broker's Reason String.
   */
  constructor(message: string, code: number, options: { kind?: MqttErrorKind; reasonString?: string; cause?: unknown } = {}) {
    const { kind = 'ERR_REASON_CODE', ...rest } = options;
    super(kind, message, { ...rest, reasonCode: code, code });
  }
}
