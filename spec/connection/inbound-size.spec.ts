import { encodePacket } from '../../lib/protocol/codec.js';
import { ProtocolError } from '../../lib/errors.js';
import type { MqttMessage } from '../../lib/inbound/message.js';
import { DEFAULT_MAXIMUM_INCOMING_PACKET_SIZE, resolveOptions } from '../../lib/options/options.js';
import type { ClientOptions } from '../../lib/options/client-options.js';
import { flush, harness, type Harness } from './harness.js';

const client = { keepalive: 0, connectTimeout: 30_000, reconnectPeriod: 1000 };

/** A PUBLISH fixed header announcing 268,435,455 body bytes (256 MB, the 4-byte maximum). */
const HUGE_HEADER = [0x30, 0xff, 0xff, 0xff, 0x7f];
/** The first few body bytes of that PUBLISH: topic "a", then payload. */
const FEW_BODY_BYTES = [0x00, 0x01, 0x61, 0x78, 0x78, 0x78];

/** A QoS 0 PUBLISH to "t" whose encoding is exactly `size` bytes (header included). */
function publishOfSize(size: number, version: 4 | 5): Buffer {
  // Header (1 + length bytes) + topic (2 + 1) [+ 1 empty properties byte on MQTT 5] + payload.
  let lengthBytes = 1;
  while (size - 1 - lengthBytes >= 128 ** lengthBytes) lengthBytes++;
  const payload = Buffer.alloc(size - 1 - lengthBytes - 3 - (version === 5 ? 1 : 0), 0x78);
  const bytes = encodePacket({ cmd: 'publish', topic: 't', payload, qos: 0, retain: false, dup: false }, version);
  expect(bytes.length).toBe(size);
  return bytes;
}

/** A PUBLISH header announcing a packet of `size` bytes in all, with no body. */
function headerOfSize(size: number): Buffer {
  const bytes = [0x30];
  let body = size - 5; // sizes here all need 4 length bytes
  for (let i = 0; i < 4; i++) {
    bytes.push((body % 128) | (i < 3 ? 0x80 : 0));
    body = Math.floor(body / 128);
  }
  return Buffer.from(bytes);
}

async function connectedClient(version: 4 | 5, options: ClientOptions = {}): Promise<{ h: Harness; messages: MqttMessage[] }> {
  const h = await harness({ client: { ...client, protocolVersion: version, ...options }, broker: { autoConnack: true } });
  expect(h.client.state.status).toBe('connected');
  const messages: MqttMessage[] = [];
  h.client.messages$.subscribe((m) => messages.push(m));
  return { h, messages };
}

function expectRefused(h: Harness, version: 4 | 5): void {
  expect(h.errors()).toHaveLength(1);
  expect(h.errors()[0]).toBeInstanceOf(ProtocolError);
  expect(h.errors()[0]).toMatchObject({ kind: 'ERR_PROTOCOL', reasonCode: 0x95, code: 0x95 });
  expect(h.eventLog()).toEqual(['connect', 'error:ERR_PROTOCOL', 'close', 'offline']);
  expect(h.broker.connections[0]?.destroyCalled).toBe(true);
  const disconnects = h.broker.connections[0]!.packets('disconnect');
  expect(disconnects).toEqual(version === 5 ? [expect.objectContaining({ reasonCode: 0x95 })] : []);
}

describe.each([4, 5] as const)('MQTT %s: a broker announcing a 256 MB packet', (version) => {
  it('yields one ProtocolError 0x95 and closes the connection', async () => {
    const { h, messages } = await connectedClient(version);
    h.broker.last.raw([...HUGE_HEADER, ...FEW_BODY_BYTES]);
    await flush();
    expectRefused(h, version);
    expect(messages).toEqual([]);
    if (version === 5) expect(h.broker.connections[0]?.commands).toEqual(['connect', 'disconnect']);
  });

  it('reconnects per the reconnect policy', async () => {
    const { h } = await connectedClient(version);
    h.broker.last.raw([...HUGE_HEADER, ...FEW_BODY_BYTES]);
    await flush();
    expect(h.client.state).toMatchObject({ status: 'reconnecting', delayMs: 1000, cause: h.errors()[0] });
    await h.clock.advance(1000);
    expect(h.broker.connections).toHaveLength(2);
    expect(h.client.state.status).toBe('connected');
  });

  it('stops reading at the header: the body is never buffered', async () => {
    const { h } = await connectedClient(version);
    const before = process.memoryUsage().arrayBuffers;
    const connection = h.broker.last;
    connection.raw(HUGE_HEADER);
    // The connection is gone before a single body byte: the broker cannot stream the 256 MB in.
    expect(connection.isOpen).toBe(false);
    expect(() => connection.raw(Buffer.alloc(1024 * 1024))).toThrow(/closed/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
    expectRefused(h, version);
  });

  it('catches the header split byte by byte across chunks', async () => {
    const { h } = await connectedClient(version);
    for (const byte of HUGE_HEADER) h.broker.last.raw([byte]);
    await flush();
    expectRefused(h, version);
  });

  it('delivers the packets in the same chunk before the oversized one', async () => {
    const { h, messages } = await connectedClient(version);
    h.broker.last.raw(Buffer.concat([publishOfSize(100, version), Buffer.from(HUGE_HEADER)]));
    await flush();
    expect(messages.map((m) => m.payload.length)).toEqual([100 - (version === 5 ? 6 : 5)]);
    expectRefused(h, version);
  });
});

describe('the inbound packet size limit', () => {
  it('accepts a packet exactly at the default of 16 MiB and refuses one a byte over', async () => {
    expect(DEFAULT_MAXIMUM_INCOMING_PACKET_SIZE).toBe(16 * 1024 * 1024);
    const { h, messages } = await connectedClient(4);
    h.broker.last.raw(publishOfSize(DEFAULT_MAXIMUM_INCOMING_PACKET_SIZE, 4));
    await flush();
    expect(messages).toHaveLength(1);
    expect(h.errors()).toEqual([]);
    h.broker.last.raw(headerOfSize(DEFAULT_MAXIMUM_INCOMING_PACKET_SIZE + 1));
    await flush();
    expectRefused(h, 4);
  });

  it.each([4, 5] as const)('MQTT %s: maximumIncomingPacketSize sets the limit, to the byte', async (version) => {
    const { h, messages } = await connectedClient(version, { maximumIncomingPacketSize: 1000 });
    h.broker.last.raw(publishOfSize(1000, version));
    await flush();
    expect(messages).toHaveLength(1);
    h.broker.last.raw(publishOfSize(1001, version));
    await flush();
    expect(messages).toHaveLength(1);
    expectRefused(h, version);
  });

  it('maximumIncomingPacketSize raises the default', async () => {
    const { h } = await connectedClient(4, { maximumIncomingPacketSize: 64 * 1024 * 1024 });
    h.broker.last.raw(headerOfSize(DEFAULT_MAXIMUM_INCOMING_PACKET_SIZE + 1));
    await flush();
    expect(h.errors()).toEqual([]);
    expect(h.client.state.status).toBe('connected');
  });

  it('MQTT 5: properties.maximumPacketSize (announced in CONNECT) is the limit', async () => {
    const { h, messages } = await connectedClient(5, { properties: { maximumPacketSize: 200 }, maximumIncomingPacketSize: 100 });
    expect(h.broker.last.packets('connect')[0]?.properties?.maximumPacketSize).toBe(200);
    h.broker.last.raw(publishOfSize(200, 5));
    await flush();
    expect(messages).toHaveLength(1);
    h.broker.last.raw(publishOfSize(201, 5));
    await flush();
    expectRefused(h, 5);
  });

  it('MQTT 5: properties.maximumPacketSize above the default raises it', async () => {
    const { h } = await connectedClient(5, { properties: { maximumPacketSize: 64 * 1024 * 1024 } });
    h.broker.last.raw(headerOfSize(DEFAULT_MAXIMUM_INCOMING_PACKET_SIZE + 1));
    await flush();
    expect(h.errors()).toEqual([]);
  });

  it('MQTT 3.1.1 ignores properties.maximumPacketSize (it is never sent)', async () => {
    const { h } = await connectedClient(4, { properties: { maximumPacketSize: 200 } });
    h.broker.last.raw(publishOfSize(201, 4));
    await flush();
    expect(h.errors()).toEqual([]);
  });

  it.each([0, 1, 1.5, 268_435_461, Number.NaN])('refuses maximumIncomingPacketSize %p at the call', (value) => {
    expect(() => resolveOptions(undefined, { maximumIncomingPacketSize: value })).toThrow(/maximumIncomingPacketSize/);
  });
});

describe('the Maximum Packet Size announced in CONNECT', () => {
  const connectOf = async (client: ClientOptions) => {
    const h = await harness({ client });
    return h.broker.last.packets('connect')[0]!;
  };

  it('is the inbound limit on MQTT 5, so the broker drops what we would refuse [MQTT-3.1.2-25]', async () => {
    expect((await connectOf({ protocolVersion: 5 })).properties?.maximumPacketSize).toBe(DEFAULT_MAXIMUM_INCOMING_PACKET_SIZE);
    expect((await connectOf({ protocolVersion: 5, maximumIncomingPacketSize: 4096 })).properties?.maximumPacketSize).toBe(4096);
  });

  it('keeps the value the user set, and their other properties', async () => {
    const connect = await connectOf({ protocolVersion: 5, properties: { maximumPacketSize: 1000, sessionExpiryInterval: 60 } });
    expect(connect.properties).toMatchObject({ maximumPacketSize: 1000, sessionExpiryInterval: 60 });
  });

  it('is not sent before MQTT 5, which has no such property', async () => {
    expect((await connectOf({ protocolVersion: 4 })).properties).toBeUndefined();
  });
});
