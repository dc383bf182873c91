// A TCP proxy between an MQTT client and a broker that watches the packets going both ways and
// cuts the connection (destroys both sockets) at chosen points: after a PUBLISH but before its
// PUBACK/PUBREC gets back, between PUBREC and PUBREL, between PUBREL and PUBCOMP, in the middle of
// a packet, during CONNECT, or at random points drawn from a seeded PRNG.
//
// It only observes: mqtt-packet's parser (through createDecoder) tells it where each packet ends,
// and the bytes it forwards are the bytes it received, unchanged and in order.
//
// @example
// const proxy = await startCuttingProxy({ port: broker.port, rules: [{ at: 'pubrec', n: 10 }] });
// const client = connect(proxy.url, { clean: false, clientId: 'p', reconnectPeriod: 20 });
// // ... the broker's 10th PUBREC reaches the client; its PUBREL never reaches the broker.
// expect(proxy.cuts).toBe(1);
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { createDecoder, type Packet } from '../../lib/protocol/codec.js';
import { seededRandom } from './random.js';

export type Side = 'client' | 'broker';
type Cmd = Packet['cmd'];

/** Where to cut. `n` counts from 1 over the proxy's lifetime (every connection), per sender and packet type. */
export type CutRule =
  /** The client's nth PUBLISH reaches the broker; the broker's PUBACK (QoS 1) or PUBREC (QoS 2) for it does not come back: the cut comes when it arrives. */
  | { at: 'publish'; n: number }
  /** The broker's nth PUBREC reaches the client; the client's PUBREL for it does not reach the broker. */
  | { at: 'pubrec'; n: number }
  /** The client's nth PUBREL reaches the broker; the broker's PUBCOMP for it does not come back. */
  | { at: 'pubrel'; n: number }
  /** Only the first `bytes` (default: half, at least 1) of the nth `cmd` packet sent by `from` are forwarded. */
  | { at: 'midPacket'; from: Side; cmd: Cmd; n: number; bytes?: number }
  /** The client's nth CONNECT: `partial` forwards part of it; `beforeConnack` forwards it and withholds the CONNACK. */
  | { at: 'connect'; n: number; mode: 'partial' | 'beforeConnack' };

export interface RandomCuts {
  /** PRNG seed: the same seed gives the same sequence of gaps, delays and byte counts. */
  seed: number;
  /** Mean gap between two cuts, in `unit`s; gaps are uniform in [mean/2, 3*mean/2]. */
  meanGap: number;
  /**
   * What the gap counts. `packet`: every packet, both directions. `message`: PUBLISH packets with
   * DUP=0 (new messages on the wire, either direction), so the number of cuts follows the number of
   * messages rather than the re-sends the cuts themselves cause; the cut then falls on one of the
   * next 1..8 packets of any kind. @default 'packet'
   */
  unit?: 'packet' | 'message';
  /** No more random cuts than this. */
  maxCuts: number;
  /** Share of random cuts that forward part of the packet first. @default 0.5 */
  partialShare?: number;
}

export interface CuttingProxyOptions {
  /** The broker's port on `host`. */
  port: number;
  /** @default '127.0.0.1' */
  host?: string;
  rules?: CutRule[];
  random?: RandomCuts;
  /** Connections beyond this are refused (destroyed at once). @default 10000 */
  maxConnections?: number;
}

export interface CuttingProxy {
  port: number;
  /** `mqtt://127.0.0.1:<port>` */
  url: string;
  /** Connections the proxy cut (not those closed by either end). */
  readonly cuts: number;
  /** Client connections accepted. */
  readonly connections: number;
  /** Rules that have not produced a cut (yet). */
  unfired(): CutRule[];
  /** Packets seen per `side:cmd`, e.g. `client:publish`. */
  counts(): Record<string, number>;
  /** The last packets and cuts seen, one line each (for failure messages). */
  trace(): string[];
  /** Destroys every connection and stops listening. Idempotent. */
  close(): Promise<void>;
}

const TRACE_KEPT = 300;


/** Bytes on the wire of a decoded packet: fixed header byte, Remaining Length varint, the rest. */
function frameSize(packet: Packet): number {
  const length = packet.length;
  if (length === undefined || length < 0) throw new Error(`cutting-proxy: ${packet.cmd} packet without a length`);
  const varint = length < 0x80 ? 1 : length < 0x4000 ? 2 : length < 0x200000 ? 3 : 4;
  return 1 + varint + length;
}

/** A reply the proxy waits for on one connection in order to cut instead of forwarding it. */
interface Armed {
  from: Side;
  cmd: Cmd;
  messageId: number | undefined;
  rule: CutRule;
}

type Verdict = { type: 'forward' } | { type: 'cut'; keep: number; why: string; rule?: CutRule };
const FORWARD: Verdict = { type: 'forward' };

function label(from: Side, packet: Packet): string {
  const p = packet as { messageId?: number; qos?: number; dup?: boolean };
  const id = p.messageId !== undefined ? ` id=${p.messageId}` : '';
  const qos = packet.cmd === 'publish' ? ` qos=${p.qos}${p.dup ? ' dup' : ''}` : '';
  return `${from === 'client' ? 'C->B' : 'B->C'} ${packet.cmd}${id}${qos}`;
}

/** What a rule does once its packet is seen: forward part of it and cut, or forward it and await a reply. */
function onMatch(rule: CutRule, packet: Packet, size: number): Verdict | Armed | undefined {
  const messageId = (packet as { messageId?: number }).messageId;
  switch (rule.at) {
    case 'publish': {
      const qos = (packet as { qos: number }).qos;
      if (qos === 0) return { type: 'cut', keep: size, why: 'after a QoS 0 PUBLISH', rule };
      return { from: 'broker', cmd: qos === 2 ? 'pubrec' : 'puback', messageId, rule };
    }
    case 'pubrec':
      return { from: 'client', cmd: 'pubrel', messageId, rule };
    case 'pubrel':
      return { from: 'broker', cmd: 'pubcomp', messageId, rule };
    case 'connect':
      if (rule.mode === 'beforeConnack') return { from: 'broker', cmd: 'connack', messageId: undefined, rule };
      return { type: 'cut', keep: Math.max(1, size >> 1), why: 'in the middle of CONNECT', rule };
    case 'midPacket':
      return { type: 'cut', keep: Math.min(size - 1, Math.max(1, rule.bytes ?? size >> 1)), why: `in the middle of ${packet.cmd}`, rule };
  }
}

function ruleKey(rule: CutRule): string {
  switch (rule.at) {
    case 'publish':
      return 'client:publish';
    case 'pubrec':
      return 'broker:pubrec';
    case 'pubrel':
      return 'client:pubrel';
    case 'connect':
      return 'client:connect';
    case 'midPacket':
      return `${rule.from}:${rule.cmd}`;
  }
}

/** Starts a cutting proxy on a free port of 127.0.0.1 in front of the broker at `port`. */
export async function startCuttingProxy(options: CuttingProxyOptions): Promise<CuttingProxy> {
  const judge = new Judge(options);
  const links = new Set<Link>();
  const maxConnections = options.maxConnections ?? 10_000;
  const server = createServer({ noDelay: true }, (client) => {
    if (judge.connections >= maxConnections) return void client.destroy();
    judge.connections++;
    const broker = createConnection({ host: options.host ?? '127.0.0.1', port: options.port });
    broker.setNoDelay(true);
    const link = new Link(judge, judge.connections, client, broker);
    links.add(link);
    link.onClosed = () => links.delete(link);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    get cuts() {
      return judge.cuts;
    },
    get connections() {
      return judge.connections;
    },
    unfired: () => judge.unfired(),
    counts: () => Object.fromEntries(judge.counts),
    trace: () => [...judge.traceLines],
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const link of links) link.destroy();
        links.clear();
      });
      return closing;
    },
  };
}

/** Decides, packet by packet, whether to forward or to cut; shared by every connection. */
class Judge {
  cuts = 0;
  connections = 0;
  readonly counts = new Map<string, number>();
  readonly traceLines: string[] = [];
  private readonly pending: CutRule[];
  private readonly random?: () => number;
  private untilRandomCut = Infinity;
  /** Packets left before the cut once a gap has run out (1 = this packet). */
  private packetsToCut = 1;
  private randomCuts = 0;

  constructor(private readonly options: CuttingProxyOptions) {
    this.pending = [...(options.rules ?? [])];
    if (options.random) {
      this.random = seededRandom(options.random.seed);
      this.untilRandomCut = this.nextGap();
    }
  }

  unfired(): CutRule[] {
    return [...this.pending];
  }

  trace(line: string): void {
    this.traceLines.push(line);
    if (this.traceLines.length > TRACE_KEPT) this.traceLines.splice(0, this.traceLines.length - TRACE_KEPT);
  }

  /** A cut happened: count it, and retire the rule that asked for it. */
  cut(link: Link, why: string, rule: CutRule | undefined): void {
    this.cuts++;
    if (rule) this.pending.splice(this.pending.indexOf(rule), 1);
    this.trace(`#${link.id} CUT ${why}`);
  }

  verdict(link: Link, from: Side, packet: Packet, size: number): Verdict {
    this.trace(`#${link.id} ${label(from, packet)}`);
    const armed = link.takeArmed(from, packet);
    if (armed) return { type: 'cut', keep: 0, why: `before forwarding ${label(from, packet)}`, rule: armed.rule };
    const key = `${from}:${packet.cmd}`;
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    for (const rule of this.pending) {
      if (rule.n !== count || ruleKey(rule) !== key) continue;
      const action = onMatch(rule, packet, size);
      if (action && 'type' in action) return action;
      if (action) link.arm(action);
    }
    return this.randomVerdict(packet, size);
  }

  private randomVerdict(packet: Packet, size: number): Verdict {
    const random = this.random;
    const settings = this.options.random;
    if (!random || !settings || this.randomCuts >= settings.maxCuts) return FORWARD;
    if (this.untilRandomCut > 0) {
      const counts = settings.unit !== 'message' || (packet.cmd === 'publish' && !packet.dup);
      if (counts) this.untilRandomCut--;
      if (this.untilRandomCut > 0) return FORWARD;
      // A message gap ran out: cut a few packets later, so that cuts land on acks too.
      this.packetsToCut = settings.unit === 'message' ? 1 + Math.floor(random() * 8) : 1;
    }
    if (--this.packetsToCut > 0) return FORWARD;
    this.randomCuts++;
    this.untilRandomCut = this.nextGap();
    const partial = size > 1 && random() < (settings.partialShare ?? 0.5);
    const keep = partial ? 1 + Math.floor(random() * (size - 1)) : 0;
    return { type: 'cut', keep, why: partial ? `at random, ${keep}/${size} bytes forwarded` : 'at random, at a packet boundary' };
  }

  private nextGap(): number {
    const mean = this.options.random!.meanGap;
    return Math.max(1, Math.round(mean / 2 + this.random!() * mean));
  }
}

/** One client connection and its broker connection, with a packet-aware pipe each way. */
class Link {
  onClosed?: () => void;
  private closed = false;
  private readonly armed: Armed[] = [];

  constructor(
    private readonly judge: Judge,
    readonly id: number,
    private readonly client: Socket,
    private readonly broker: Socket,
  ) {
    client.setNoDelay(true);
    this.pipe('client', client, broker);
    this.pipe('broker', broker, client);
  }

  arm(armed: Armed): void {
    this.armed.push(armed);
  }

  takeArmed(from: Side, packet: Packet): Armed | undefined {
    const messageId = (packet as { messageId?: number }).messageId;
    const index = this.armed.findIndex((a) => a.from === from && a.cmd === packet.cmd && (a.messageId === undefined || a.messageId === messageId));
    return index < 0 ? undefined : this.armed.splice(index, 1)[0];
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
    this.broker.destroy();
    this.onClosed?.();
  }

  /** Forwards `tail` (possibly a partial packet) to `sink`, then drops both connections. */
  private cut(sink: Socket, tail: Buffer, why: string, rule: CutRule | undefined): void {
    if (this.closed) return;
    this.judge.cut(this, why, rule);
    this.closed = true;
    const other = sink === this.client ? this.broker : this.client;
    other.destroy();
    if (tail.length === 0) {
      sink.destroy();
    } else {
      // end() flushes the tail before FIN; destroy() right away could discard it.
      const timer = setTimeout(() => sink.destroy(), 1000);
      timer.unref();
      sink.end(tail, () => {
        clearTimeout(timer);
        sink.destroy();
      });
    }
    this.onClosed?.();
  }

  private pipe(from: Side, source: Socket, sink: Socket): void {
    let held: Buffer = Buffer.alloc(0);
    let parsed: Packet[] = [];
    let raw = false;
    const decoder = createDecoder(
      4,
      (packet) => parsed.push(packet),
      () => (raw = true), // unparseable: stop judging and pass the bytes through
    );
    source.on('data', (chunk: Buffer) => {
      if (this.closed) return;
      if (raw) return void sink.write(chunk);
      held = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
      decoder.push(chunk);
      if (raw) {
        sink.write(held);
        held = Buffer.alloc(0);
        return;
      }
      const packets = parsed;
      parsed = [];
      held = this.forward(from, sink, held, packets);
    });
    source.on('error', () => undefined); // 'close' follows
    source.on('end', () => !this.closed && sink.end());
    source.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      sink.destroy();
      this.onClosed?.();
    });
  }

  /** Forwards each complete packet of `held` or cuts; returns the bytes of the incomplete packet left. */
  private forward(from: Side, sink: Socket, held: Buffer, packets: Packet[]): Buffer {
    const out: Buffer[] = [];
    let offset = 0;
    for (let i = 0; i < packets.length && !this.closed; i++) {
      const packet = packets[i]!;
      const size = frameSize(packet);
      if (offset + size > held.length) throw new Error(`cutting-proxy: ${packet.cmd} of ${size} bytes overruns the ${held.length - offset} held`);
      const bytes = held.subarray(offset, offset + size);
      offset += size;
      const verdict = this.judge.verdict(this, from, packet, size);
      if (verdict.type === 'cut') {
        out.push(bytes.subarray(0, verdict.keep));
        this.cut(sink, Buffer.concat(out), verdict.why, verdict.rule);
        return Buffer.alloc(0);
      }
      out.push(bytes);
    }
    if (out.length > 0) sink.write(out.length === 1 ? out[0]! : Buffer.concat(out));
    return held.subarray(offset);
  }
}
