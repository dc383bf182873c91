/**
 * `-D command identifier value`: the pure parsing of cli/properties.ts, table-driven, and the
 * plan checks of pub and rr that use it. The binary's plumbing (exit 2, the
 * properties in the packets) is checked in pub-properties.spec.ts.
 */
import { UsageError } from '../../cli/errors.js';
import { toConnectSettings } from '../../cli/options.js';
import { mergeProperties, parsePropertyWords, PROPERTY_COMMANDS, PROPERTY_TABLE, withConnectProperties, type PropertyCommand } from '../../cli/properties.js';
import { toPublishPlan } from '../../cli/pub.js';
import { toRequestPlan } from '../../cli/rr.js';

const ALL: readonly PropertyCommand[] = PROPERTY_COMMANDS;
const words = (line: string) => line.split(' ');
const parse = (line: string, allowed = ALL) => parsePropertyWords(words(line), allowed);

describe('parsePropertyWords', () => {
  test.each([
    ['connect session-expiry-interval 3600', { connect: { sessionExpiryInterval: 3600 } }],
    ['connect receive-maximum 10', { connect: { receiveMaximum: 10 } }],
    ['connect maximum-packet-size 4096', { connect: { maximumPacketSize: 4096 } }],
    ['connect topic-alias-maximum 5', { connect: { topicAliasMaximum: 5 } }],
    ['connect request-response-information 1', { connect: { requestResponseInformation: true } }],
    ['connect request-problem-information 0', { connect: { requestProblemInformation: false } }],
    ['connect authentication-method SCRAM', { connect: { authenticationMethod: 'SCRAM' } }],
    ['connect authentication-data abc', { connect: { authenticationData: Buffer.from('abc') } }],
    ['publish message-expiry-interval 60', { publish: { messageExpiryInterval: 60 } }],
    ['publish content-type text/plain', { publish: { contentType: 'text/plain' } }],
    ['publish response-topic x/y', { publish: { responseTopic: 'x/y' } }],
    ['publish correlation-data 42', { publish: { correlationData: Buffer.from('42') } }],
    ['publish payload-format-indicator 1', { publish: { payloadFormatIndicator: true } }],
    ['publish topic-alias 3', { publish: { topicAlias: 3 } }],
    ['subscribe subscription-identifier 5', { subscribe: { subscriptionIdentifier: 5 } }],
    ['unsubscribe user-property k v', { unsubscribe: { userProperties: { k: 'v' } } }],
    ['will will-delay-interval 30', { will: { willDelayInterval: 30 } }],
    ['will content-type application/json', { will: { contentType: 'application/json' } }],
    ['disconnect reason-string bye', { disconnect: { reasonString: 'bye' } }],
    ['disconnect session-expiry-interval 0', { disconnect: { sessionExpiryInterval: 0 } }],
  ])('reads "-D %s"', (line, expected) => {
    expect(parse(line)).toEqual(expected);
  });

  it('reads several -D in a row, user properties taking a key and a value, repeated keys kept in order', () => {
    expect(parse('publish user-property unit C publish content-type text/plain publish user-property unit F connect user-property a b')).toEqual({
      publish: { userProperties: { unit: ['C', 'F'] }, contentType: 'text/plain' },
      connect: { userProperties: { a: 'b' } },
    });
  });

  it('returns no properties when -D is not given', () => {
    expect(parsePropertyWords(undefined, ALL)).toEqual({});
  });

  it('knows every property a client may send, each with the packets MQTT 5 allows it in', () => {
    expect(Object.keys(PROPERTY_TABLE).sort()).toEqual(
      [
        'authentication-data',
        'authentication-method',
        'content-type',
        'correlation-data',
        'maximum-packet-size',
        'message-expiry-interval',
        'payload-format-indicator',
        'reason-string',
        'receive-maximum',
        'request-problem-information',
        'request-response-information',
        'response-topic',
        'session-expiry-interval',
        'subscription-identifier',
        'topic-alias',
        'topic-alias-maximum',
        'user-property',
        'will-delay-interval',
      ].sort(),
    );
  });

  test.each([
    ['bogus content-type x', /unknown command "bogus"/],
    ['publish colour red', /unknown property "colour"/],
    ['publish session-expiry-interval 3', /session-expiry-interval is not allowed in PUBLISH \(allowed in: connect, disconnect\)/],
    ['connect content-type x', /content-type is not allowed in CONNECT/],
    ['subscribe content-type x', /not allowed in SUBSCRIBE/],
    ['publish', /missing property name/],
    ['publish content-type', /needs a value/],
    ['publish user-property k', /needs a key and a value/],
    ['publish payload-format-indicator 2', /must be 0 or 1, got "2"/],
    ['connect request-problem-information yes', /must be 0 or 1/],
    ['publish message-expiry-interval -1', /integer from 0 to 4294967295, got "-1"/],
    ['publish message-expiry-interval 4294967296', /integer from 0 to 4294967295/],
    ['connect receive-maximum 65536', /integer from 0 to 65535/],
    ['publish topic-alias 1.5', /integer from 0 to 65535, got "1.5"/],
    ['subscribe subscription-identifier 0', /integer from 1 to 268435455, got "0"/],
    ['subscribe subscription-identifier 268435456', /integer from 1 to 268435455/],
    ['publish content-type a publish content-type b', /content-type given twice/],
  ])('rejects "-D %s" with a usage error', (line, message) => {
    expect(() => parse(line)).toThrow(UsageError);
    expect(() => parse(line)).toThrow(message);
  });

  it('rejects a packet the command never sends, naming the ones it does', () => {
    expect(() => parse('subscribe subscription-identifier 5', ['connect', 'publish'])).toThrow(
      /this command sends no SUBSCRIBE packet: use connect, publish/,
    );
  });

  it('rejects correlation data longer than a binary property can hold', () => {
    expect(() => parsePropertyWords(['publish', 'correlation-data', 'x'.repeat(65536)], ALL)).toThrow(/longer than 65535 bytes/);
  });
});

describe('withConnectProperties', () => {
  const v5 = toConnectSettings({ protocolVersion: 5, willTopic: 'gone' }, () => Buffer.alloc(0)).options;

  it('puts CONNECT and will properties into the connect options', () => {
    const options = withConnectProperties(v5, parse('connect session-expiry-interval 60 will will-delay-interval 5'));
    expect(options.properties).toEqual({ sessionExpiryInterval: 60 });
    expect(options.will).toEqual({ topic: 'gone', payload: Buffer.alloc(0), qos: 0, retain: false, properties: { willDelayInterval: 5 } });
  });

  it('needs MQTT 5, and a will for will properties', () => {
    const v4 = toConnectSettings({}, () => Buffer.alloc(0)).options;
    expect(() => withConnectProperties(v4, parse('connect session-expiry-interval 60'))).toThrow('-D/--property needs MQTT 5 (-V 5)');
    const noWill = toConnectSettings({ protocolVersion: 5 }, () => Buffer.alloc(0)).options;
    expect(() => withConnectProperties(noWill, parse('will content-type x'))).toThrow('-D will ... needs --will-topic');
  });

  it('leaves the options alone without -D (any protocol version)', () => {
    const v4 = toConnectSettings({}, () => Buffer.alloc(0)).options;
    expect(withConnectProperties(v4, {})).toBe(v4);
  });
});

describe('mergeProperties', () => {
  it('keeps the user properties of both sides, the second winning on other keys', () => {
    expect(mergeProperties({ contentType: 'a', userProperties: { k: 'v1' } }, { contentType: 'b', userProperties: { k: 'v2', j: 'w' } })).toEqual({
      contentType: 'b',
      userProperties: { k: ['v1', 'v2'], j: 'w' },
    });
  });
});

describe('pub and rr plans with -D', () => {
  it('merges -D publish with the named MQTT 5 flags of pub', () => {
    const plan = toPublishPlan({ topic: 't', message: 'm', userProperty: ['a=1'] }, 5, { userProperties: { b: '2' }, topicAlias: 1 });
    expect(plan.options.properties).toEqual({ userProperties: { a: '1', b: '2' }, topicAlias: 1 });
  });

  it('leaves the Response Topic and Correlation Data of a request to rr', () => {
    expect(() => toRequestPlan({ topic: 't', message: 'm' }, { responseTopic: 'x' })).toThrow('Give the response topic with -e, not -D publish response-topic');
    expect(() => toRequestPlan({ topic: 't', message: 'm' }, { correlationData: Buffer.from('x') })).toThrow(/correlation data/);
  });

  it('checks the request topic, response topic, payload source and -W', () => {
    expect(toRequestPlan({ topic: 'svc/a', responseTopic: 'svc/a/reply', message: 'm', timeout: 2.5 })).toEqual({
      topic: 'svc/a',
      responseTopic: 'svc/a/reply',
      source: { kind: 'message', payload: Buffer.from('m') },
      qos: 0,
      timeoutMs: 2500,
      format: 'text',
      verbose: false,
    });
    expect(() => toRequestPlan({ topic: 'svc/#', message: 'm' })).toThrow(/Invalid topic "svc\/#"/);
    expect(() => toRequestPlan({ topic: 'svc', responseTopic: 'r/+', message: 'm' })).toThrow(/Invalid response topic "r\/\+"/);
    expect(() => toRequestPlan({ topic: 'svc' })).toThrow(/Give exactly one of -m/);
    expect(() => toRequestPlan({ topic: 'svc', message: 'm', timeout: 0 })).toThrow(/-W\/--timeout must be a positive number/);
  });
});
