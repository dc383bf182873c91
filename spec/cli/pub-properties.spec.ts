/**
 * `-D command identifier value` through the BUILT `rxmqtt`: the properties reach the CONNECT
 * (and its will), PUBLISH, SUBSCRIBE and DISCONNECT packets, as a recording broker sees them
 * (aedes 1.x speaks no MQTT 5), and survive a round trip through mosquitto. Bad pairs exit 2.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect, type MqttClient, type MqttMessage } from '../../lib/index.js';
import { createDecoder, encodePacket, type Packet } from '../../lib/protocol/codec.js';
import { describeMosquitto, startMosquitto, type MosquittoHandle } from '../helpers/mosquitto.js';
import { buildCli, CLI_SETUP_MS, CliRun, inPool, within, type CliBuild } from '../helpers/cli-runner.js';

/**
 * A broker that accepts everything and records every packet a client sends, with mqtt-packet
 * (through lib/protocol/codec) as the codec.
 */
class RecordingBroker {
  readonly packets: Packet[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: Server) {}

  static async start(): Promise<RecordingBroker> {
    const server = createServer();
    const broker = new RecordingBroker(server);
    server.on('connection', (socket) => broker.serve(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return broker;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The first recorded packet that satisfies `match`, waiting for it (with a deadline). */
  next<T extends Packet>(match: (packet: Packet) => packet is T): Promise<T> {
    const found = () => this.packets.find(match) as T | undefined;
    let listener!: () => void;
    const seen = new Promise<T>((resolve) => {
      listener = () => {
        const packet = found();
        if (packet) resolve(packet);
      };
      this.listeners.add(listener);
      listener();
    });
    return within(seen, () => `a matching packet; recorded: ${this.packets.map((p) => p.cmd).join(', ')}`).finally(() => this.listeners.delete(listener));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const send = (packet: Packet) => socket.write(encodePacket(packet, 5));
    const decoder = createDecoder(
      5,
      (packet) => {
        this.packets.push(packet);
        for (const listener of this.listeners) listener();
        const reply = replyTo(packet);
        if (reply) send(reply);
      },
      () => socket.destroy(),
    );
    socket.on('data', (chunk: Buffer) => decoder.push(chunk));
  }
}

function replyTo(packet: Packet): Packet | undefined {
  switch (packet.cmd) {
    case 'connect':
      // Topic aliases allowed, so that `-D publish topic-alias` may be used.
      return { cmd: 'connack', sessionPresent: false, reasonCode: 0, properties: { topicAliasMaximum: 10 } };
    case 'publish':
      return packet.qos === 1 ? { cmd: 'puback', messageId: packet.messageId!, reasonCode: 0 } : undefined;
    case 'subscribe':
      return { cmd: 'suback', messageId: packet.messageId, granted: packet.subscriptions.map(() => 0) };
    case 'pingreq':
      return { cmd: 'pingresp' };
    default:
      return undefined;
  }
}

const isCmd =
  <C extends Packet['cmd']>(cmd: C, clientTopic?: string) =>
  (packet: Packet): packet is Extract<Packet, { cmd: C }> =>
    packet.cmd === cmd && (clientTopic === undefined || (packet as { topic?: string }).topic === clientTopic);
const isConnectOf = (clientId: string) => (packet: Packet): packet is Extract<Packet, { cmd: 'connect' }> =>
  packet.cmd === 'connect' && packet.clientId === clientId;

let build: CliBuild;
let broker: RecordingBroker;
const running = new Set<CliRun>();

beforeAll(async () => {
  [build, broker] = await Promise.all([buildCli(), RecordingBroker.start()]);
}, CLI_SETUP_MS);

afterAll(async () => {
  await broker?.close();
  build?.remove();
});

afterEach(() => {
  for (const run of running) run.child.kill('SIGKILL');
  running.clear();
});

function cli(args: string[]): CliRun {
  const run = new CliRun(build.cliPath, args, 'ignore');
  running.add(run);
  return run;
}

describe('rxmqtt -D against a recording broker', () => {
  it('puts every -D connect, will, publish and disconnect property into its packet', async () => {
    const to = ['-h', '127.0.0.1', '-p', String(broker.port), '-V', '5', '-i', 'props-pub'];
    const run = cli([
      'pub', ...to, '-t', 'props/pub', '-m', 'payload', '-q', '1',
      '--will-topic', 'props/will', '--will-payload', 'gone',
      '-D', 'connect', 'session-expiry-interval', '3600',
      '-D', 'connect', 'receive-maximum', '10',
      '-D', 'connect', 'maximum-packet-size', '5000',
      '-D', 'connect', 'topic-alias-maximum', '4',
      '-D', 'connect', 'request-response-information', '1',
      '-D', 'connect', 'request-problem-information', '0',
      '-D', 'connect', 'user-property', 'ck', 'cv',
      '-D', 'will', 'will-delay-interval', '9',
      '-D', 'will', 'content-type', 'text/plain',
      '-D', 'will', 'message-expiry-interval', '30',
      '-D', 'will', 'user-property', 'wk', 'wv',
      '-D', 'publish', 'content-type', 'application/json',
      '-D', 'publish', 'message-expiry-interval', '60',
      '-D', 'publish', 'payload-format-indicator', '1',
      '-D', 'publish', 'response-topic', 'props/reply',
      '-D', 'publish', 'correlation-data', 'req-1',
      '-D', 'publish', 'topic-alias', '2',
      '-D', 'publish', 'user-property', 'pk', 'pv1',
      '-D', 'publish', 'user-property', 'pk', 'pv2',
      '-D', 'disconnect', 'reason-string', 'done',
      '-D', 'disconnect', 'user-property', 'dk', 'dv',
    ]); // prettier-ignore
    expect(await run.exit()).toEqual({ code: 0, signal: null });

    const connectPacket = await broker.next(isConnectOf('props-pub'));
    expect(connectPacket.properties).toEqual({
      sessionExpiryInterval: 3600,
      receiveMaximum: 10,
      maximumPacketSize: 5000,
      topicAliasMaximum: 4,
      requestResponseInformation: true,
      requestProblemInformation: false,
      userProperties: { ck: 'cv' },
    });
    expect(connectPacket.will).toMatchObject({ topic: 'props/will', payload: Buffer.from('gone') });
    expect(connectPacket.will?.properties).toEqual({
      willDelayInterval: 9,
      contentType: 'text/plain',
      messageExpiryInterval: 30,
      userProperties: { wk: 'wv' },
    });

    const publish = await broker.next(isCmd('publish', 'props/pub'));
    expect(publish.payload.toString()).toBe('payload');
    expect(publish.properties).toEqual({
      contentType: 'application/json',
      messageExpiryInterval: 60,
      payloadFormatIndicator: true,
      responseTopic: 'props/reply',
      correlationData: Buffer.from('req-1'),
      topicAlias: 2,
      userProperties: { pk: ['pv1', 'pv2'] },
    });

    const disconnect = await broker.next(isCmd('disconnect'));
    expect(disconnect.properties).toEqual({ reasonString: 'done', userProperties: { dk: 'dv' } });
  });

  it('puts -D subscribe properties into the SUBSCRIBE of sub', async () => {
    const to = ['-h', '127.0.0.1', '-p', String(broker.port), '-V', '5', '-i', 'props-sub'];
    const run = cli(['sub', ...to, '-t', 'props/sub/#', '-D', 'subscribe', 'subscription-identifier', '42', '-D', 'subscribe', 'user-property', 'sk', 'sv']);
    const subscribe = await broker.next(isCmd('subscribe'));
    expect(subscribe.properties).toEqual({ subscriptionIdentifier: 42, userProperties: { sk: 'sv' } });
    run.child.kill('SIGINT');
    expect(await run.exit()).toEqual({ code: 0, signal: null });
  });

  it('takes mosquitto\'s -c, -x (-1: never expires) and -I (prefix + process id) into the CONNECT', async () => {
    const run = cli(['pub', '-h', '127.0.0.1', '-p', String(broker.port), '-V', '5', '-c', '-x', '-1', '-I', 'prefixed-', '-t', 'props/x', '-m', 'm']);
    expect(await run.exit()).toEqual({ code: 0, signal: null });
    const isPrefixed = (packet: Packet): packet is Extract<Packet, { cmd: 'connect' }> => packet.cmd === 'connect' && packet.clientId.startsWith('prefixed-');
    const connectPacket = await broker.next(isPrefixed);
    expect(connectPacket.clientId).toBe(`prefixed-${run.child.pid}`);
    expect(connectPacket.clean).toBe(false);
    expect(connectPacket.properties?.sessionExpiryInterval).toBe(0xffffffff);
  });

  it('exits 2 with one line naming the problem for a bad -D, before connecting', async () => {
    const to = ['-h', '127.0.0.1', '-p', String(broker.port)];
    const cases: Array<[string[], RegExp]> = [
      [['pub', ...to, '-t', 'x', '-m', 'y', '-D', 'publish', 'content-type', 'a'], /-D\/--property needs MQTT 5 \(-V 5\)/],
      [['pub', ...to, '-V', '5', '-t', 'x', '-m', 'y', '-D', 'publish', 'session-expiry-interval', '3'], /session-expiry-interval is not allowed in PUBLISH/],
      [['pub', ...to, '-V', '5', '-t', 'x', '-m', 'y', '-D', 'subscribe', 'subscription-identifier', '3'], /sends no SUBSCRIBE packet/],
      [['sub', ...to, '-V', '5', '-t', 'x', '-D', 'subscribe', 'subscription-identifier', '0'], /integer from 1 to 268435455, got "0"/],
      [['pub', ...to, '-V', '5', '-t', 'x', '-m', 'y', '-D', 'will', 'content-type', 'a'], /needs --will-topic/],
      [['pub', ...to, '-t', 'x', '-m', 'y', '-x', '60'], /-x\/--session-expiry needs MQTT 5/],
    ];
    const before = broker.packets.length;
    const results = await inPool(cases, 2, async ([args]) => {
      const run = cli(args);
      return { exit: await run.exit(), stderr: run.stderr };
    });
    results.forEach(({ exit, stderr }, index) => {
      expect(exit).toEqual({ code: 2, signal: null });
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(cases[index]![1]);
    });
    expect(broker.packets.length).toBe(before);
  });
});

describeMosquitto('rxmqtt -D against mosquitto (MQTT 5 round trip)', () => {
  let mosquitto: MosquittoHandle;
  let subscriber: MqttClient;

  beforeAll(async () => {
    mosquitto = await startMosquitto();
  }, CLI_SETUP_MS);

  afterAll(async () => {
    await subscriber?.endAsync(true);
    await mosquitto?.stop();
  });

  it('delivers the -D publish properties to an MQTT 5 subscriber', async () => {
    subscriber = connect(mosquitto.url, { protocolVersion: 5, reconnectPeriod: 0 });
    await subscriber.subscribeAsync('rt5/#', { qos: 1 });
    const received = new Promise<MqttMessage>((resolve) => subscriber.once('message', (_topic, _payload, packet) => resolve(packet as unknown as MqttMessage)));
    const to = ['-h', '127.0.0.1', '-p', String(mosquitto.port), '-V', '5'];
    const run = cli([
      'pub', ...to, '-t', 'rt5/a', '-m', '{"t":21}', '-q', '1',
      '-D', 'publish', 'content-type', 'application/json',
      '-D', 'publish', 'payload-format-indicator', '1',
      '-D', 'publish', 'response-topic', 'rt5/reply',
      '-D', 'publish', 'correlation-data', 'c-9',
      '-D', 'publish', 'user-property', 'unit', 'celsius',
      '-D', 'publish', 'message-expiry-interval', '3600',
    ]); // prettier-ignore
    expect(await run.exit()).toEqual({ code: 0, signal: null });
    const message = await within(received, () => 'the message at the subscriber');
    expect(message.properties).toMatchObject({
      contentType: 'application/json',
      payloadFormatIndicator: true,
      responseTopic: 'rt5/reply',
      correlationData: Buffer.from('c-9'),
      userProperties: { unit: 'celsius' },
    });
    // mosquitto forwards the expiry interval minus the time the message waited: at most 3600.
    expect(message.properties?.messageExpiryInterval).toBeLessThanOrEqual(3600);
    expect(message.properties?.messageExpiryInterval).toBeGreaterThan(3500);
  });
});
