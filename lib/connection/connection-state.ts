/**
 * The connection status as one union (not four booleans), and the events the MQTT.js facade
 * re-emits. Both are produced by `connection.ts`.
 */
import type { IConnackPacket, IDisconnectPacket, QoS } from '../protocol/codec.js';
import type { MqttError, QueueFullError } from '../errors.js';
import type { OverflowPolicy, ProtocolAnomaly } from '../session/types.js';

/**
 * The connection's state, one union discriminated by `status` (MQTT.js's `connected`,
 * `reconnecting`... booleans are derived from it). Read it from `state$` or `state`.
 */
export type ConnectionState =
  | {
      /** Created with `manualConnect` and not started yet. */
      status: 'idle';
    }
  | {
      /** A transport is being opened, or CONNECT was sent and CONNACK is awaited. */
      status: 'connecting';
      /** Counts every attempt since the client was created: 1 for the first. */
      attempt: number;
      /** Why the previous connection or attempt ended (absent before the first drop). */
      cause?: Error;
    }
  | {
      /** The broker accepted the connection. */
      status: 'connected';
      /** The CONNACK that accepted it. */
      connack: IConnackPacket;
      /** The CONNACK's Session Present flag: the broker resumed the previous session (3.2.2.1.1). */
      sessionPresent: boolean;
      /** The attempt that connected (see 'connecting'). */
      attempt: number;
    }
  | {
      /** The connection dropped; the next attempt starts after `delayMs`. */
      status: 'reconnecting';
      /** The number the next attempt will have. */
      attempt: number;
      /** Milliseconds until the next attempt (the reconnect policy's delay). */
      delayMs: number;
      /** Why the connection or attempt ended. */
      cause?: Error;
    }
  | {
      /** Disconnected and not reconnecting by itself (`reconnectPeriod` 0, or refused for good). `reconnect()` resumes. */
      status: 'offline';
      /** Why the connection or attempt ended. */
      cause?: Error;
    }
  | {
      /** `end()` was called and is waiting for in-flight acknowledgements. */
      status: 'disconnecting';
    }
  | {
      /** Ended: nothing will happen any more, unless `reconnect()` or `connect()` is called. */
      status: 'closed';
      /** Why the last connection ended, when known. */
      cause?: Error;
    };

/** The `status` of a {@link ConnectionState}: 'idle', 'connecting', 'connected', 'reconnecting', 'offline', 'disconnecting' or 'closed'. */
export type ConnectionStatus = ConnectionState['status'];

/**
 * What happened to the connection, as the Observable client reports it (`events$`) and the
 * MQTT.js facade re-emits as events of the same names, all but 'protocolAnomaly'.
 */
export type ClientEvent =
  | {
      /** A CONNACK accepted the connection. */
      type: 'connect';
      /** That CONNACK. */
      connack: IConnackPacket;
    }
  | {
      /** A reconnection attempt starts, or `reconnect()` was called. */
      type: 'reconnect';
    }
  | {
      /** The connection closed. */
      type: 'close';
    }
  | {
      /** The connection closed and the client will reconnect by itself (once per outage). */
      type: 'offline';
    }
  | {
      /** A failure that is no call's own: a refused CONNACK, a transport or protocol error... */
      type: 'error';
      /** The failure. */
      error: MqttError | Error;
    }
  | {
      /** The broker sent DISCONNECT (MQTT 5). */
      type: 'disconnect';
      /** That DISCONNECT. */
      packet: IDisconnectPacket;
    }
  | {
      /** The bounded offline queue (`offlineQueue`) dropped a publish; it failed with `error`. */
      type: 'dropped';
      /** The dropped publish's topic. */
      topic: string;
      /** The dropped publish's QoS. */
      qos: QoS;
      /** The dropped publish's payload size, in bytes. */
      bytes: number;
      /** The `overflow` policy that dropped it. */
      policy: OverflowPolicy;
      /** The {@link QueueFullError} its callback or stream failed with. */
      error: QueueFullError;
    }
  /**
   * The broker broke the QoS 2 protocol and rxmqtt recovered (nothing lost or delivered twice):
   * `kind` says how, with the packet id and topic concerned. Also logged at debug level.
   */
  | ProtocolAnomaly
  | {
      /** `end()` waited for in-flight messages and the last one was acknowledged (MQTT.js's 'outgoingEmpty'). */
      type: 'outgoingEmpty';
    }
  | {
      /** `end()` finished. */
      type: 'end';
    };
