import type { IDisconnectPacket, Packet } from '../../lib/protocol/codec.js';
import { encodePacket } from '../../lib/protocol/codec.js';
import { ErrorWithReasonCode, ProtocolError, ServerDisconnectError, type MqttError } from '../../lib/errors.js';
import { accepting, type ScriptedConnection } from '../helpers/scripted-broker.js';
import { flush, harness, type Harness } from './harness.js';

const client = { keepalive: 0, connectTimeout: 30_000, reconnectPeriod: 1000 };

interface Case {
  name: string;
  /** Whether the client has its CONNACK when the broker misbehaves. */
  phase: 'connected' | 'awaitingConnack';
  /** The MQTT 5 reason code of the DISCONNECT the client must write before closing. */
  reason: number;
  /** Versions the case applies to. */
  versions: Array<4 | 5>;
  /** Client options of this case, over the defaults. */
  options?: Record<string, unknown>;
  /** Optional set-up on the connected client (e.g. a pending SUBSCRIBE). */
  setup?: (h: Harness) => void;
  misbehave: (connection: ScriptedConnection, version: 4 | 5) => void;
}

const packet = (p: Packet) => (c: ScriptedConnection) => c.reply(p);
const bytes = (b: number[] | Buffer) => (c: ScriptedConnection) => c.raw(b);

const cases: Case[] = [
  { name: 'a PUBLISH with both QoS bits set', phase: 'connected', reason: 0x81, versions: [4, 5], misbehave: bytes([0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01]) },
  { name: 'a remaining length longer than four bytes', phase: 'connected', reason: 0x81, versions: [4, 5], misbehave: bytes([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]) },
  { name: 'a reserved packet type 0', phase: 'connected', reason: 0x81, versions: [4, 5], misbehave: bytes([0x00, 0x00]) },
  { name: 'an HTTP response (garbage)', phase: 'connected', reason: 0x81, versions: [4, 5], misbehave: bytes(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')) },
  { name: 'a PINGRESP with header flags set', phase: 'connected', reason: 0x81, versions: [4, 5], misbehave: bytes([0xd1, 0x00]) },
  { name: 'a second CONNACK', phase: 'connected', reason: 0x82, versions: [4, 5], misbehave: packet(accepting()) },
  {
    name: 'a SUBSCRIBE',
    phase: 'connected',
    reason: 0x82,
    versions: [4, 5],
    misbehave: packet({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a', qos: 0 }] }),
  },
  {
    name: 'a CONNECT',
    phase: 'connected',
    reason: 0x82,
    versions: [4, 5],
    misbehave: (c, version) => c.reply({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clientId: 'evil', clean: true, keepalive: 0 }),
  },
  { name: 'a PINGREQ', phase: 'connected', reason: 0x82, versions: [4, 5], misbehave: packet({ cmd: 'pingreq' }) },
  { name: 'an MQTT 3.1.1 DISCONNECT (servers may not send one)', phase: 'connected', reason: 0x82, versions: [4], misbehave: packet({ cmd: 'disconnect' }) },
  {
    name: 'a PUBLISH to a topic with a wildcard',
    phase: 'connected',
    reason: 0x90,
    versions: [4, 5],
    misbehave: packet({ cmd: 'publish', topic: 'a/+/b', payload: Buffer.from('x'), qos: 0, retain: false, dup: false }),
  },
  {
    name: 'a SUBACK with the wrong number of codes',
    phase: 'connected',
    reason: 0x82,
    versions: [4, 5],
    setup: (h) => h.client.subscribe$([{ topic: 'a', qos: 1 }, { topic: 'b', qos: 1 }]).subscribe({ error: () => undefined }),
    misbehave: packet({ cmd: 'suback', messageId: 1, granted: [1] }),
  },
  {
    name: 'a QoS 1 PUBLISH with packet identifier 0',
    phase: 'connected',
    reason: 0x81,
    versions: [4, 5],
    misbehave: (c, v) => c.raw(v === 5 ? [0x32, 0x07, 0x00, 0x01, 0x61, 0x00, 0x00, 0x00, 0x78] : [0x32, 0x06, 0x00, 0x01, 0x61, 0x00, 0x00, 0x78]),
  },
  {
    name: 'a PUBLISH whose topic is not valid UTF-8',
    phase: 'connected',
    reason: 0x81,
    versions: [4, 5],
    misbehave: (c, v) => c.raw(v === 5 ? [0x30, 0x05, 0x00, 0x01, 0xff, 0x00, 0x78] : [0x30, 0x04, 0x00, 0x01, 0xff, 0x78]),
  },
  { name: 'a CONNACK with reserved flag bits set', phase: 'awaitingConnack', reason: 0x81, versions: [4], misbehave: bytes([0x20, 0x02, 0x02, 0x00]) },
  { name: 'a CONNACK with reserved flag bits set', phase: 'awaitingConnack', reason: 0x81, versions: [5], misbehave: bytes([0x20, 0x03, 0x02, 0x00, 0x00]) },
  {
    name: 'a CONNACK with Receive Maximum 0',
    phase: 'awaitingConnack',
    reason: 0x82,
    versions: [5],
    misbehave: packet(accepting({ properties: { receiveMaximum: 0 } })),
  },
  {
    name: 'a PUBLISH before CONNACK',
    phase: 'awaitingConnack',
    reason: 0x82,
    versions: [4, 5],
    misbehave: packet({ cmd: 'publish', topic: 'a', payload: Buffer.from('x'), qos: 0, retain: false, dup: false }),
  },
  {
    name: 'more unacknowledged QoS 1 PUBLISHes than our Receive Maximum',
    phase: 'connected',
    reason: 0x93,
    versions: [5],
    // The app holds its acks (customHandleAcks never calls done), so both PUBLISHes stay unacknowledged.
    options: { properties: { receiveMaximum: 1 }, customHandleAcks: () => undefined },
    misbehave: (c) => {
      for (const messageId of [1, 2]) c.reply({ cmd: 'publish', topic: 'a', payload: Buffer.from('x'), qos: 1, retain: false, dup: false, messageId });
    },
  },
  { name: 'a PINGRESP before CONNACK', phase: 'awaitingConnack', reason: 0x82, versions: [4, 5], misbehave: packet({ cmd: 'pingresp' }) },
  { name: 'garbage before CONNACK', phase: 'awaitingConnack', reason: 0x81, versions: [4, 5], misbehave: bytes([0x00, 0x00]) },
];

const table = cases.flatMap((c) => c.versions.map((version) => [`MQTT ${version}: ${c.name}`, version, c] as const));

async function misbehaving(version: 4 | 5, c: Case): Promise<Harness> {
  const h = await harness({ client: { ...client, ...c.options, protocolVersion: version }, broker: { autoConnack: c.phase === 'connected' } });
  expect(h.client.state.status).toBe(c.phase === 'connected' ? 'connected' : 'connecting');
  c.setup?.(h);
  await flush();
  expect(() => c.misbehave(h.broker.last, version)).not.toThrow();
  await flush();
  return h;
}

describe('a hostile or broken broker', () => {
  describe.each(table)('%s', (_name, version, c) => {
    it('yields exactly one ProtocolError and destroys the transport', async () => {
      const h = await misbehaving(version, c);
      const errors = h.errors();
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(ProtocolError);
      expect(errors[0]?.kind).toBe('ERR_PROTOCOL');
      expect(h.broker.connections[0]?.destroyCalled).toBe(true);
      expect(h.broker.connections[0]?.isOpen).toBe(false);
      const before = c.phase === 'connected' ? ['connect'] : [];
      expect(h.eventLog()).toEqual([...before, 'error:ERR_PROTOCOL', 'close', 'offline']);
    });

    it('reconnects after reconnectPeriod', async () => {
      const h = await misbehaving(version, c);
      expect(h.client.state).toMatchObject({ status: 'reconnecting', delayMs: 1000 });
      expect((h.client.state as { cause?: MqttError }).cause).toBe(h.errors()[0]);
      await h.clock.advance(1000);
      expect(h.broker.connections).toHaveLength(2);
      expect(h.broker.connections[1]?.commands[0]).toBe('connect');
    });

    if (version === 5) {
      it(`writes DISCONNECT with reason code 0x${c.reason.toString(16)} before closing`, async () => {
        const h = await misbehaving(version, c);
        const sent = h.broker.connections[0]!.received;
        expect(sent[sent.length - 1]).toMatchObject({ cmd: 'disconnect', reasonCode: c.reason });
        expect(h.errors()[0]?.reasonCode).toBe(c.reason);
      });
    } else {
      it('writes no DISCONNECT (MQTT 3.1.1 clients have no reason codes to send)', async () => {
        const h = await misbehaving(version, c);
        expect(h.broker.connections[0]?.packets('disconnect')).toEqual([]);
      });
    }
  });

  it('reports one error for several bad packets arriving in one chunk', async () => {
    const h = await harness({ client, broker: { autoConnack: true } });
    const chunk = Buffer.concat([encodePacket(accepting(), 4), encodePacket({ cmd: 'pingreq' }, 4), Buffer.from([0x36, 0x00])]);
    h.broker.last.raw(chunk);
    expect(h.errors().map((e) => e.kind)).toEqual(['ERR_PROTOCOL']);
    expect(h.errors()[0]?.message).toMatch(/CONNACK/);
  });

  it('goes offline instead of reconnecting after a protocol error when reconnectPeriod is 0', async () => {
    const h = await harness({ client: { ...client, reconnectPeriod: 0 }, broker: { autoConnack: true } });
    h.broker.last.reply({ cmd: 'pingreq' });
    expect(h.client.state).toMatchObject({ status: 'offline', cause: expect.any(ProtocolError) });
    await h.clock.advance(3600_000);
    expect(h.broker.connections).toHaveLength(1);
    expect(h.eventLog()).toEqual(['connect', 'error:ERR_PROTOCOL', 'close']);
  });

  it('ignores what a broker sends after the client dropped it for a protocol error', async () => {
    const h = await harness({ client, broker: { autoConnack: true } });
    const late = h.broker.last;
    late.raw([0x00, 0x00]);
    expect(() => late.raw([0xff, 0xff])).toThrow(/closed/); // the scripted pipe is gone too
    await h.clock.advance(1000);
    h.broker.last.reply({ cmd: 'pingresp' });
    expect(h.errors()).toHaveLength(1);
  });
});

describe('an MQTT 5 CONNACK claiming a session after Clean Start', () => {
  // [MQTT-3.2.2-4] "If the Client does not have Session State and receives Session Present set to 1
  // it MUST close the Network Connection"; after Clean Start=1 it has none [MQTT-3.1.2-4].
  it('closes the connection with a ProtocolError and DISCONNECT 0x82', async () => {
    const h = await harness({
      client: { ...client, protocolVersion: 5, clean: true },
      broker: { autoConnack: accepting({ sessionPresent: true }) },
    });
    expect(h.errors().map((e) => e.kind)).toEqual(['ERR_PROTOCOL']);
    expect(h.broker.connections[0]?.packets('disconnect')).toEqual([expect.objectContaining({ reasonCode: 0x82 })]);
    expect(h.client.state.status).toBe('reconnecting');
  });
});

describe('an MQTT 5 DISCONNECT from the server', () => {
  const disconnect: IDisconnectPacket = { cmd: 'disconnect', reasonCode: 0x8b, properties: { reasonString: 'going down for maintenance' } };

  it('surfaces as a disconnect event, with a ServerDisconnectError as the state cause, and reconnects', async () => {
    const h = await harness({ client: { ...client, protocolVersion: 5 }, broker: { autoConnack: true } });
    h.broker.last.reply(disconnect);
    await flush();
    expect(h.eventLog()).toEqual(['connect', 'disconnect', 'close', 'offline']);
    const event = h.events.find((e) => e.type === 'disconnect');
    expect(event).toMatchObject({ type: 'disconnect', packet: { cmd: 'disconnect', reasonCode: 0x8b } });
    expect(h.client.state).toMatchObject({ status: 'reconnecting', delayMs: 1000 });
    const cause = (h.client.state as { cause?: MqttError }).cause;
    expect(cause).toBeInstanceOf(ServerDisconnectError);
    expect(cause).toBeInstanceOf(ErrorWithReasonCode);
    expect(cause).toMatchObject({ kind: 'ERR_SERVER_DISCONNECT', code: 0x8b, reasonCode: 0x8b, reasonString: 'going down for maintenance' });
    // The client does not answer a server DISCONNECT with one of its own.
    expect(h.broker.connections[0]?.commands).toEqual(['connect']);
    expect(h.errors()).toEqual([]);
    await h.clock.advance(1000);
    expect(h.broker.connections).toHaveLength(2);
  });

  it('destroys the transport after a grace period when the broker does not close it', async () => {
    const h = await harness({ client: { ...client, protocolVersion: 5 }, broker: { autoConnack: true, closeOnEnd: false } });
    h.broker.last.reply(disconnect);
    expect(h.broker.last.endCalled).toBe(true);
    expect(h.broker.last.isOpen).toBe(true);
    await h.clock.advance(2000);
    expect(h.broker.connections[0]?.destroyCalled).toBe(true);
    expect(h.client.state.status).toBe('reconnecting');
  });
});
