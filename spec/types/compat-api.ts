/**
 * The MQTT.js-compatible API's typings: calls MQTT.js 5 code makes, which must compile with their
 * callbacks typed (no implicit any under strict), and `// @ts-expect-error` lines MQTT.js's own
 * typings reject, which must not compile. Compiled, never run, by types.spec.ts.
 */
import type { IConnackPacket, IDisconnectPacket, IPublishPacket, ISubscriptionGrant, MqttClient, Packet, QoS } from '../../lib/index.js';
import mqtt, {
  connect,
  connectAsync,
  type ClientSubscribeCallback,
  type IClientOptions,
  type IClientPublishOptions,
  type IClientSubscribeOptions,
  type ISubscriptionMap,
  type OnMessageCallback,
  type PacketCallback,
} from '../../lib/index.js';

declare const client: MqttClient;
declare function expectType<T>(value: T): void;

// subscribe: every MQTT.js shape, callbacks typed.
client.subscribe('presence', (err) => expectType<Error | null>(err));
client.subscribe('a', { qos: 1 }, (err, granted) => {
  expectType<Error | null>(err);
  expectType<ISubscriptionGrant[] | undefined>(granted);
  granted?.forEach((g) => expectType<QoS | 0x80 | 0x87 | 0x8f>(g.qos === 0x80 || g.qos === 0x87 || g.qos === 0x8f ? g.qos : (g.qos as QoS)));
});
client.subscribe(['a', 'b'], { qos: 2, nl: true, rap: true, rh: 1, properties: { subscriptionIdentifier: 4 } });
client.subscribe({ 'a/b': { qos: 1 }, c: 0 }, (err, granted) => expectType<number | undefined>(granted?.[0]?.qos));
client.subscribe('a', { properties: { userProperties: { k: 'v' } } });
const map: ISubscriptionMap = { x: { qos: 0 } };
const options: IClientSubscribeOptions = { qos: 1 };
const onSubscribed: ClientSubscribeCallback = () => {};
client.subscribe(map, options, onSubscribed).subscribe('y');
void client.subscribeAsync('a', { qos: 1 }).then((granted) => expectType<ISubscriptionGrant[]>(granted));
// @ts-expect-error QoS is 0, 1 or 2
client.subscribe('x', { qos: 7 });
// @ts-expect-error QoS is 0, 1 or 2, in a map too
client.subscribe({ x: { qos: 3 } });
// @ts-expect-error the callback's first argument is an Error or null, not a string
client.subscribe('x', (err: string) => err);
// @ts-expect-error a topic is a string, a list of strings or a map
client.subscribe(42);

// publish
client.publish('t', 'hello');
client.publish('t', Buffer.from('hello'), (err, packet) => expectType<[Error | null | undefined, Packet | undefined]>([err, packet]));
const publishOptions: IClientPublishOptions = { qos: 1, retain: true, properties: { contentType: 'text/plain' } };
client.publish('t', 'hello', publishOptions, (err) => expectType<Error | null | undefined>(err));
const onPublished: PacketCallback = () => {};
// Callbacks typed for MQTT.js's declarations compile as they are.
client.publish('t', 'hello', { qos: 1 }, (err?: Error) => err?.message);
client.publish('t', 'hello', (err?: Error, packet?: Packet) => [err, packet]);
client.unsubscribe('a', (err?: Error) => err);
client.end(false, {}, (err?: Error) => err);
client.publish('t', 'hello', { qos: 2 }, onPublished);
void client.publishAsync('t', 'hello', { qos: 1 }).then((packet) => expectType<Packet | undefined>(packet));
// @ts-expect-error QoS is 0, 1 or 2
client.publish('t', 'hello', { qos: 3 });
// @ts-expect-error a payload is a string or a Buffer
client.publish('t', { not: 'a payload' });

// unsubscribe
client.unsubscribe('a');
client.unsubscribe(['a', 'b'], (err, packet) => expectType<[Error | null | undefined, Packet | undefined]>([err, packet]));
client.unsubscribe('a', { properties: { userProperties: { k: 'v' } } }, (err) => expectType<Error | null | undefined>(err));
void client.unsubscribeAsync('a').then((packet) => expectType<Packet | undefined>(packet));
// @ts-expect-error unsubscribe takes filters, not a map
client.unsubscribe({ a: 1 });

// end, endAsync, reconnect, removeOutgoingMessage
client.end();
client.end(true);
client.end((err) => expectType<Error | undefined>(err));
client.end(true, () => {});
client.end({ reasonCode: 0x04 }, () => {});
client.end(false, { reasonCode: 0x04, properties: { reasonString: 'bye' } }, () => {});
void client.endAsync();
void client.endAsync(true);
void client.endAsync({ reasonCode: 0 });
void client.endAsync(true, { reasonCode: 0 });
// @ts-expect-error force is a boolean
client.end('now');
// @ts-expect-error the options are an object
client.end(true, 4);
// @ts-expect-error the callback comes last, with nothing after it
client.end(() => {}, true);
client.reconnect().removeOutgoingMessage(1).end();
client.reconnect({ incomingStore: new mqtt.Store(), outgoingStore: new mqtt.Store({ clean: false }) }).end();
client.reconnect({});
// @ts-expect-error reconnect() takes the stores only
client.reconnect({ clean: false });
// @ts-expect-error a message id is a number
client.removeOutgoingMessage('1');

// events: MQTT.js's names and listener signatures.
client.on('connect', (connack) => expectType<IConnackPacket>(connack));
client.on('message', (topic, payload, packet) => expectType<[string, Buffer, IPublishPacket]>([topic, payload, packet]));
client.on('error', (error) => expectType<Error>(error));
client.on('disconnect', (packet) => expectType<IDisconnectPacket>(packet));
client.on('packetsend', (packet) => expectType<Packet>(packet)).on('packetreceive', (packet) => expectType<Packet>(packet));
for (const event of ['close', 'offline', 'reconnect', 'end', 'outgoingEmpty'] as const) client.once(event, () => {});
const onMessage: OnMessageCallback = () => {};
client.off('message', onMessage).removeListener('message', onMessage).addListener('message', onMessage);
// @ts-expect-error an unknown event name
client.on('connected', () => {});
// @ts-expect-error a 'message' listener gets (topic: string, payload: Buffer, packet)
client.on('message', (topic: number) => topic);
// @ts-expect-error 'connect' gets the CONNACK, not a string
client.once('connect', (connack: string) => connack);

// connect, connectAsync and the default export
const clientOptions: IClientOptions = { clientId: 'c', protocolVersion: 5, keepalive: 30 };
expectType<MqttClient>(connect('mqtt://localhost', clientOptions));
expectType<MqttClient>(connect(clientOptions));
expectType<Promise<MqttClient>>(connectAsync('mqtt://localhost', clientOptions, false));
expectType<MqttClient>(mqtt.connect('mqtt://localhost'));
// @ts-expect-error protocolVersion is 3, 4 or 5
connect({ protocolVersion: 6 });
