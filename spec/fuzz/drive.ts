/**
 * The pure fuzz driver: a session in a given protocol state plus the client's decoder, fed a byte
 * stream in chunks the way `connection.ts` feeds them (decoded packets as 'packet' inputs, a decode
 * error as the end of the connection, nothing after the first fatal outcome), with the invariants
 * of issue #8 and #15 checked as it goes. A violated invariant throws an `InvariantError` naming it.
 */
import { createDecoder, encodePacket, type IConnackPacket, type Packet } from '../../lib/protocol/codec.js';
import { ClientClosedError, ConnackError, MqttError, ProtocolError } from '../../lib/errors.js';
import { MqttSession } from '../../lib/session/session.js';
import type { SessionInput, SessionOutput, Token } from '../../lib/session/types.js';
import { fuzzSessionOptions, type FuzzState, type FuzzVersion } from './corpus.js';
import { endsOnPacketBoundary } from './framing.js';
import { mustRefuse } from './oracle.js';

export class InvariantError extends Error {}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}

const PINGRESP = Buffer.from([0xd0, 0x00]);

/** Absent, or a packet id that can go on the wire: the session never settles nor sends -1, 0 or NaN. */
const validId = (id: number | undefined) => id === undefined || (Number.isInteger(id) && id >= 1 && id <= 0xffff);

/** Packet ids probed for in-flight publishes: the set-up uses 1-3, the fuzzed flows a few more. */
const PROBED_IDS = 16;

const connack = (extra: Partial<IConnackPacket> = {}): IConnackPacket => ({ cmd: 'connack', sessionPresent: false, returnCode: 0, reasonCode: 0, ...extra });

/**
 * When the app acknowledges inbound QoS 1/2 messages: at once in order (the default inbox),
 * never during the case (acks pile up against Receive Maximum), or later ones first.
 */
export type AckMode = 'immediate' | 'held' | 'reverse';
export const ACK_MODES: readonly AckMode[] = ['immediate', 'held', 'reverse'];

/** How one case ended. */
export interface Outcome {
  /** The typed error that ended the connection, if one did. */
  error?: MqttError;
  /** 'decoder' (bytes that do not decode), 'session' (a protocol error), 'refused', 'serverDisconnect'. */
  by?: 'decoder' | 'session' | 'refused' | 'serverDisconnect';
  packets: number;
}

/**
 * Drives one session through one mutated stream. Tokens 1..n are the commands issued to reach
 * `state`; the driver acknowledges every delivery at once, as the default inbox does.
 */
export class FuzzDriver {
  readonly session: MqttSession;
  private readonly settled = new Set<Token>();
  private readonly issued = new Set<Token>();
  private readonly acked = new Set<number>();
  private readonly pendingAcks: number[] = [];
  private outcome: Outcome = { packets: 0 };
  private dead = false;
  private pongs = 0;
  /** Whether sent packets are checked to encode: those answering the fuzzed bytes are (set-up ones are known good). */
  private checkSends = false;

  constructor(
    readonly state: FuzzState,
    readonly version: FuzzVersion,
    private readonly acks: AckMode = 'immediate',
  ) {
    this.session = new MqttSession(fuzzSessionOptions(state, version));
    this.input({ type: 'open' });
    if (state === 'beforeConnack') {
      this.command({ type: 'publish', token: 1, topic: 'out', payload: 'p', qos: 1, retain: false, dup: false });
      this.command({ type: 'subscribe', token: 2, subscriptions: [{ topic: 'sub/#', qos: 1 }] });
      return;
    }
    this.input({ type: 'packet', packet: connack() });
    if (state === 'qos2') {
      this.command({ type: 'publish', token: 1, topic: 'out', payload: 'p1', qos: 2, retain: false, dup: false });
      this.input({ type: 'packet', packet: { cmd: 'pubrec', messageId: 1 } });
      this.command({ type: 'publish', token: 2, topic: 'out', payload: 'p2', qos: 2, retain: false, dup: false });
      this.command({ type: 'publish', token: 3, topic: 'out', payload: 'p3', qos: 1, retain: false, dup: false });
      this.input({ type: 'packet', packet: { cmd: 'publish', topic: 'in', payload: Buffer.from('x'), qos: 2, retain: false, dup: false, messageId: 7 } });
      const pubrec = this.input({ type: 'acknowledge', ackId: this.pendingAcks.shift()! });
      check(pubrec[0]?.type === 'send' && pubrec[0].packet.cmd === 'pubrec', 'qos2 set-up: PUBREC sent for inbound id 7');
      check(this.session.inflightCount === 3, 'qos2 set-up: three publishes in flight');
    } else {
      this.command({ type: 'subscribe', token: 1, subscriptions: [{ topic: 'sub/#', qos: 1 }, { topic: 'other', qos: 2 }] });
      this.command({ type: 'unsubscribe', token: 2, topics: ['old'] });
      check(this.session.inflightCount === 2, 'subscribe set-up: SUBSCRIBE and UNSUBSCRIBE in flight');
    }
    check(this.settled.size === 0 && !this.dead, `${state} set-up settled nothing`);
  }

  /** Feeds `chunks` through a fresh decoder limited to `maxPacketSize`; returns how the case ended. */
  feed(chunks: readonly Buffer[], maxPacketSize: number, oversizedAt?: number): Outcome {
    const decoder = createDecoder(
      this.version,
      (packet) => this.packet(packet),
      (error) => this.decodeError(error),
      maxPacketSize,
    );
    let offset = 0;
    this.checkSends = true;
    for (const chunk of chunks) {
      if (this.dead) break; // the connection is gone: its socket is not read any more
      decoder.push(chunk);
      if (this.violation !== undefined) throw this.violation;
      offset += chunk.length;
      if (!this.dead) {
        check(decoder.buffered <= maxPacketSize, `decoder buffers ${decoder.buffered} bytes, over the ${maxPacketSize} limit`);
      }
      // A packet announced over the limit is refused as soon as its header is read, body unread.
      if (oversizedAt !== undefined && offset >= oversizedAt) {
        check(this.dead, `no error after a header announcing more than ${maxPacketSize} bytes (header ends at ${oversizedAt})`);
      }
    }
    this.checkSends = false;
    if (!this.dead && this.session.status === 'connected' && endsOnPacketBoundary(Buffer.concat(chunks))) {
      // Still in step with the broker: the next packet decodes, and a PINGRESP is just that.
      const pongs = this.pongs;
      decoder.push(PINGRESP);
      if (this.violation !== undefined) throw this.violation;
      check(!this.dead && this.pongs === pongs + 1, 'a PINGRESP after the fuzzed bytes is decoded as one');
    }
    return this.outcome;
  }

  /** The connection closes (fatal outcome or end of the stream), then reconnects and is accepted. */
  reconnect(): void {
    this.input({ type: 'closed' });
    check(this.session.status === 'disconnected', 'disconnected after closed');
    this.dead = false;
    this.outcome = { packets: this.outcome.packets };
    const first = this.input({ type: 'open' })[0];
    check(first?.type === 'send' && first.packet.cmd === 'connect', 'CONNECT first on a new connection');
    const inflight: number[] = [];
    for (let id = 1; id <= PROBED_IDS; id++) if (this.session.inflightPublish(id)) inflight.push(id);
    const outputs = this.input({ type: 'packet', packet: connack() });
    check(outputs.some((o) => o.type === 'connected'), 'a valid CONNACK is accepted after the fuzzed connection');
    check(!this.dead, `a valid CONNACK is accepted after the fuzzed connection: ${this.outcome.error?.message}`);
    // Nothing lost: every publish in flight goes out again (PUBLISH, or PUBREL once PUBREC'd), or
    // settles (a PUBREC'd QoS 2 on a new session; one the new CONNACK's limits refuse).
    for (const id of inflight) {
      const resent = outputs.some((o) => o.type === 'send' && (o.packet.cmd === 'publish' || o.packet.cmd === 'pubrel') && o.packet.messageId === id);
      const settled = outputs.some((o) => o.type === 'settle' && o.result?.type === 'publish' && o.result.messageId === id);
      check(resent || settled, `in-flight publish ${id} neither re-sent nor settled after reconnect`);
    }
  }

  /** end(): every command still waiting settles, once, with a ClientClosedError. */
  end(): void {
    const before = new Set(this.settled);
    const outputs = this.input({ type: 'abort', error: new ClientClosedError('fuzz end') });
    for (const o of outputs) {
      if (o.type === 'settle' && o.token !== undefined && !before.has(o.token)) check(o.error instanceof ClientClosedError, `token ${o.token} aborted with a ClientClosedError`);
    }
    for (const token of this.issued) check(this.settled.has(token), `token ${token} left unsettled after end`);
  }

  private command(input: Extract<SessionInput, { token: Token }>): void {
    this.issued.add(input.token);
    this.input(input);
  }

  /**
   * The decoder calls back from inside mqtt-packet's parser, and `createDecoder` turns anything
   * thrown there into a "Malformed packet" ProtocolError: a violation (or a session that throws)
   * would pass for the broker's fault. So it is kept here and rethrown once the push returns.
   */
  private violation: unknown;

  private packet(packet: Packet): void {
    try {
      this.handlePacket(packet);
    } catch (err) {
      this.violation ??= err;
      throw err;
    }
  }

  private handlePacket(packet: Packet): void {
    if (this.dead) return; // a late packet of a connection already dropped (connection.ts: generation check)
    this.outcome.packets++;
    // The decoder hands over packets of the declared shape: no property decoded as a list,
    // but a PUBLISH's Subscription Identifiers.
    const properties = (packet as { properties?: Record<string, unknown> }).properties ?? {};
    for (const name in properties) {
      check(!Array.isArray(properties[name]) || (name === 'subscriptionIdentifier' && packet.cmd === 'publish'), `${packet.cmd} with property ${name} repeated`);
    }
    const refusal = mustRefuse(packet, this.version); // before the session writes an aliased topic into it
    this.input({ type: 'packet', packet });
    check(refusal === undefined || this.dead, `a ${packet.cmd} with ${refusal} was let through`);
    if (this.acks === 'held') return;
    // 'reverse': the app finishes later messages first, and refuses them (v5 reason code 0x83).
    const reasonCode = this.acks === 'reverse' && this.version === 5 ? 0x83 : undefined;
    while (!this.dead && this.pendingAcks.length > 0) {
      const ackId = this.acks === 'reverse' ? this.pendingAcks.pop()! : this.pendingAcks.shift()!;
      this.input({ type: 'acknowledge', ackId, reasonCode });
    }
    this.pendingAcks.length = 0;
  }

  private decodeError(error: ProtocolError): void {
    if (this.violation !== undefined) return; // the driver's own exception, rethrown after the push
    if (this.dead) return; // later bytes of a chunk whose packet dropped the connection (connection.ts: generation check)
    check(error instanceof ProtocolError && error.kind === 'ERR_PROTOCOL', `decode error is a ProtocolError: ${String(error)}`);
    // 0x81 Malformed Packet, 0x95 Packet too large, 0x82 Protocol Error (a property sent twice).
    check(error.reasonCode === 0x81 || error.reasonCode === 0x95 || error.reasonCode === 0x82, `decode error reason code 0x81, 0x82 or 0x95, got ${error.reasonCode}`);
    this.fatal(error, 'decoder');
  }

  private fatal(error: MqttError, by: NonNullable<Outcome['by']>): void {
    check(!this.dead, `a second fatal outcome (${by}: ${error.message}) after ${this.outcome.by}: ${this.outcome.error?.message}`);
    this.dead = true;
    this.outcome.error = error;
    this.outcome.by = by;
  }

  private input(input: SessionInput): SessionOutput[] {
    let outputs: SessionOutput[];
    try {
      outputs = this.session.step(input, 0);
    } catch (err) {
      throw new InvariantError(`session.step(${input.type}) threw: ${(err as Error).stack}`);
    }
    outputs.forEach((o, i) => this.output(o, outputs, i));
    if (!this.dead && input.type === 'packet') {
      check(this.session.status !== 'disconnected', `status disconnected without a fatal output after ${input.packet.cmd}`);
    }
    return outputs;
  }

  private output(o: SessionOutput, all: SessionOutput[], index: number): void {
    switch (o.type) {
      case 'send':
        check(validId(o.packet.messageId), `the session sent a ${o.packet.cmd} with packet id ${o.packet.messageId}`);
        if (!this.checkSends) return;
        try {
          encodePacket(o.packet, this.version);
        } catch (err) {
          throw new InvariantError(`the session sent an unencodable ${o.packet.cmd}: ${(err as Error).message}`);
        }
        return;
      case 'settle':
        check(o.result?.type !== 'publish' || validId(o.result.messageId), `a publish settled as packet id ${o.result?.type === 'publish' && o.result.messageId}`);
        if (o.token === undefined) return;
        check(this.issued.has(o.token), `settle of unknown token ${o.token}`);
        check(!this.settled.has(o.token), `token ${o.token} settled twice`);
        this.settled.add(o.token);
        if (o.error) check(o.error instanceof MqttError, `token ${o.token} failed with a typed MqttError`);
        return;
      case 'deliver':
        if (o.ackId !== undefined) {
          check(!this.acked.has(o.ackId), `ackId ${o.ackId} delivered twice`);
          this.acked.add(o.ackId);
          this.pendingAcks.push(o.ackId);
        }
        return;
      case 'protocolError': {
        const { error } = o;
        check(error instanceof ProtocolError && error.kind === 'ERR_PROTOCOL', 'protocolError carries a ProtocolError');
        check(typeof error.reasonCode === 'number' && error.reasonCode >= 0x80, `protocolError has a failure reason code, got ${error.reasonCode}`);
        if (this.version === 5 && index > 0) {
          // A DISCONNECT with the same reason code goes out just before, if a connection was up.
          const previous = all[index - 1];
          if (previous?.type === 'send' && previous.packet.cmd === 'disconnect') {
            check(previous.packet.reasonCode === error.reasonCode, 'DISCONNECT reason code = error reason code');
          }
        }
        check(index === all.length - 1, `protocolError is the last output of its step, followed by ${all.slice(index + 1).map((x) => x.type)}`);
        return this.fatal(error, 'session');
      }
      case 'refused':
        check(o.error instanceof ConnackError, 'refused carries a ConnackError');
        return this.fatal(o.error, 'refused');
      case 'serverDisconnect':
        check(this.version === 5, 'serverDisconnect only on MQTT 5');
        return this.fatal(new MqttError('ERR_SERVER_DISCONNECT', 'server disconnect', { reasonCode: o.packet.reasonCode }), 'serverDisconnect');
      case 'failed':
        return this.fatal(o.error, 'session');
      case 'authFailed':
      case 'close':
      case 'error':
        throw new InvariantError(`unexpected ${o.type} output for broker input`);
      case 'pingResponse':
        this.pongs++;
        return;
      case 'connected':
      case 'store':
      case 'dropped':
      case 'resubscribeFailed':
      case 'protocolAnomaly':
      case 'authChallenge':
      case 'reauthenticated':
      case 'reauthRefused':
        return;
      default: {
        const unexpected: never = o;
        throw new InvariantError(`unknown output ${JSON.stringify(unexpected)}`);
      }
    }
  }
}
