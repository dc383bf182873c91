/**
 * The connection status as one union (not four booleans), and the events the MQTT.js facade
 * re-emits. Both are produced by `connection.ts`.
 */
import type { IConnackPacket, IDisconnectPacket, QoS } from '../protocol/codec.js';
import type { MqttError, QueueFullError } from '../errors.js';
import type { OverflowPolicy, ProtocolAnomaly } from '../session/types.js';

export type ConnectionState =
  /** Created with `manualConnect` and not started yet. */
  | { status: 'idle' }
  /**
   * A transport is being opened, or CONNECT was sent and CONNACK is awaited. `attempt` counts
   * every attempt since the client was created; `cause` is why the previous connection or attempt
   * ended (absent before the first drop).
   */
  | { status: 'connecting'; attempt: number; cause?: Error }
  | { status: 'connected'; connack: IConnackPacket; sessionPresent: boolean; attempt: number }
  /** The connection dropped; the next attempt starts after `delayMs`. */
  | { status: 'reconnecting'; attempt: number; delayMs: number; cause?: Error }
  /** Disconnected and not reconnecting by itself (reconnectPeriod 0, or refused for good). `reconnect()` resumes. */
  | { status: 'offline'; cause?: Error }
  /** `end()` was called and is waiting for in-flight acknowledgements. */
  | { status: 'disconnecting' }
  /** Ended: nothing will happen any more. */
  | { status: 'closed'; cause?: Error };

export type ConnectionStatus = ConnectionState['status'];

export type ClientEvent =
  | { type: 'connect'; connack: IConnackPacket }
  | { type: 'reconnect' }
  | { type: 'close' }
  | { type: 'offline' }
  | { type: 'error'; error: MqttError | Error }
  | { type: 'disconnect'; packet: IDisconnectPacket }
  /** The bounded offline queue (`offlineQueue`) dropped a publish; it failed with `error`. */
  | { type: 'dropped'; topic: string; qos: QoS; bytes: number; policy: OverflowPolicy; error: QueueFullError }
  /**
   * The broker broke the QoS 2 protocol and rxmqtt recovered (nothing lost or delivered twice):
   * `kind` says how, with the packet id and topic concerned. Also logged at debug level.
   */
  | ProtocolAnomaly
  /** end() waited for in-flight messages and the last one was acknowledged (MQTT.js's 'outgoingEmpty'). */
  | { type: 'outgoingEmpty' }
  | { type: 'end' };
