/**
 * A scripted in-memory broker: a `TransportFactory` whose transports the test drives by hand.
 * Every byte the client writes is decoded (with the client's own codec) and recorded; the test
 * answers with packets, raw bytes, or by closing/failing the pipe. Nothing touches a socket.
 *
 * @example
 * const broker = scriptedBroker({ protocolVersion: 4, autoConnack: true });
 * const client = new RxMqttClient(resolveOptions(undefined, { scheduler, reconnectPeriod: 1000 }), broker.factory);
 * client.connect();
 * await flush();
 * broker.connections[0].received;   // [{ cmd: 'connect', ... }]
 * broker.connections[0].reply({ cmd: 'pingresp' });
 * broker.connections[0].close();
 */
import { createDecoder, encodePacket, type IConnackPacket, type IConnectPacket, type Packet, type ProtocolVersion } from '../../lib/protocol/codec.js';
import type { TransportTarget, Transport, TransportFactory, TransportHandlers } from '../../lib/transport/transport.js';

export interface ScriptedBrokerOptions {
  /** The MQTT version used to decode what the client writes and to encode replies. @default 4 */
  protocolVersion?: ProtocolVersion;
  /** Call the client's `onOpen` by itself, in a microtask after the transport is created. @default true */
  autoOpen?: boolean;
  /**
   * Answer every CONNECT with a CONNACK (in a microtask, as a real peer would): `true` accepts
   * without a session, an object is merged into the accepting CONNACK, a function decides per
   * connection (return undefined to stay silent). @default false
   */
  autoConnack?: boolean | Partial<IConnackPacket> | ((connect: IConnectPacket, connection: ScriptedConnection) => IConnackPacket | undefined);
  /** Answer every PINGREQ with a PINGRESP (in a microtask). @default false */
  autoPingresp?: boolean;
  /** Close the pipe (in a microtask) when the client calls `end()`, as a broker does after DISCONNECT. @default true */
  closeOnEnd?: boolean;
}

export type ConnectionStatus = 'created' | 'open' | 'closed';

/** One transport the client opened: what it wrote, and the broker's side of the pipe. */
export class ScriptedConnection implements Transport {
  /** Every packet the client wrote, decoded, in order. */
  readonly received: Packet[] = [];
  /** The bytes of each `write()` or `writev()` call, one entry per call. */
  readonly writes: Buffer[] = [];
  /** The chunk vectors passed to `writev()`, one per call (each also counts as one of `writes`). */
  readonly vectors: Buffer[][] = [];
  /** Errors decoding what the client wrote (a client bug: tests usually expect none). */
  readonly decodeErrors: Error[] = [];
  status: ConnectionStatus = 'created';
  /** Where the client asked this transport to connect (undefined: the configured broker). */
  target?: TransportTarget;
  /** The client called `end()` (graceful close) / `destroy()` (abrupt close). */
  endCalled = false;
  destroyCalled = false;
  paused = false;
  /** Writes attempted after the pipe closed (they go nowhere). */
  lateWrites = 0;
  /** The error passed to `onClose`, if the pipe failed rather than ended. */
  closeError?: Error;

  private readonly decoder;

  constructor(
    readonly index: number,
    private readonly handlers: TransportHandlers,
    private readonly options: Required<Omit<ScriptedBrokerOptions, 'autoConnack'>> & Pick<ScriptedBrokerOptions, 'autoConnack'>,
  ) {
    this.decoder = createDecoder(
      options.protocolVersion,
      (packet) => this.onClientPacket(packet),
      (error) => this.decodeErrors.push(error),
    );
  }

  /** The received packets of one type. */
  packets<C extends Packet['cmd']>(cmd: C): Extract<Packet, { cmd: C }>[] {
    return this.received.filter((p): p is Extract<Packet, { cmd: C }> => p.cmd === cmd);
  }

  /** The received packet types, in order (handy for exact sequence assertions). */
  get commands(): string[] {
    return this.received.map((p) => p.cmd);
  }

  get isOpen(): boolean {
    return this.status === 'open';
  }

  // ---- broker side ----

  /** Tells the client the pipe is open (only needed with `autoOpen: false`). */
  open(): void {
    if (this.status !== 'created') throw new Error(`connection ${this.index} cannot open: it is ${this.status}`);
    this.status = 'open';
    this.handlers.onOpen();
  }

  /** Sends packets to the client, synchronously, each encoded on its own. */
  reply(...packets: Packet[]): void {
    for (const packet of packets) this.raw(encodePacket(packet, this.options.protocolVersion));
  }

  /** Sends raw bytes to the client, synchronously. */
  raw(bytes: Buffer | Uint8Array | number[]): void {
    if (this.status === 'closed') throw new Error(`connection ${this.index} is closed: cannot send to the client`);
    this.handlers.onData(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes as Uint8Array));
  }

  /** The broker closes the pipe cleanly. */
  close(): void {
    this.finish(undefined);
  }

  /** The pipe fails with `error` (ECONNRESET...). */
  fail(error: Error): void {
    this.finish(error);
  }

  // ---- Transport (the client's side) ----

  write(chunk: Buffer): boolean {
    if (this.status === 'closed') {
      this.lateWrites++;
      return false;
    }
    this.writes.push(chunk);
    this.decoder.push(chunk);
    return true;
  }

  writev(chunks: Buffer[]): boolean {
    if (this.status === 'closed') {
      this.lateWrites++;
      return false;
    }
    this.vectors.push(chunks);
    return this.write(Buffer.concat(chunks));
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  end(): void {
    this.endCalled = true;
    if (this.options.closeOnEnd) queueMicrotask(() => this.finish(undefined));
  }

  destroy(error?: Error): void {
    this.destroyCalled = true;
    // Like the stream adapter: onClose is reported synchronously.
    this.finish(error);
  }

  private finish(error: Error | undefined): void {
    if (this.status === 'closed') return;
    this.status = 'closed';
    this.closeError = error;
    this.handlers.onClose(error);
  }

  private onClientPacket(packet: Packet): void {
    this.received.push(packet);
    if (packet.cmd === 'connect') this.autoAnswerConnect(packet);
    else if (packet.cmd === 'pingreq' && this.options.autoPingresp) this.later(() => this.reply({ cmd: 'pingresp' }));
  }

  private autoAnswerConnect(connect: IConnectPacket): void {
    const auto = this.options.autoConnack;
    if (auto === undefined || auto === false) return;
    const connack = typeof auto === 'function' ? auto(connect, this) : accepting(auto === true ? {} : auto);
    if (connack) this.later(() => this.reply(connack));
  }

  /** Runs `fn` in a microtask, unless the pipe closed meanwhile. */
  private later(fn: () => void): void {
    queueMicrotask(() => {
      if (this.status !== 'closed') fn();
    });
  }
}

export interface ScriptedBroker {
  /** Pass this to `new RxMqttClient(options, factory)`. */
  readonly factory: TransportFactory;
  /** Every transport the client opened, in order. */
  readonly connections: ScriptedConnection[];
  /** The newest transport; throws when the client opened none. */
  readonly last: ScriptedConnection;
}

/** A CONNACK accepting the connection (return code 0 / reason code 0), with `overrides`. */
export function accepting(overrides: Partial<IConnackPacket> = {}): IConnackPacket {
  return { cmd: 'connack', sessionPresent: false, returnCode: 0, reasonCode: 0, ...overrides };
}

export function scriptedBroker(options: ScriptedBrokerOptions = {}): ScriptedBroker {
  const resolved = {
    protocolVersion: options.protocolVersion ?? 4,
    autoOpen: options.autoOpen ?? true,
    autoConnack: options.autoConnack,
    autoPingresp: options.autoPingresp ?? false,
    closeOnEnd: options.closeOnEnd ?? true,
  };
  const connections: ScriptedConnection[] = [];
  const factory: TransportFactory = (handlers, target) => {
    const connection = new ScriptedConnection(connections.length, handlers, resolved);
    connection.target = target;
    connections.push(connection);
    if (resolved.autoOpen) queueMicrotask(() => connection.status === 'created' && connection.open());
    return connection;
  };
  return {
    factory,
    connections,
    get last() {
      const connection = connections[connections.length - 1];
      if (!connection) throw new Error('the client opened no connection');
      return connection;
    },
  };
}
