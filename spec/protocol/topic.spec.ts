import { matchTopic, parseSharedFilter, stripSharePrefix, validateFilter, validateTopic } from '../../lib/protocol/topic.js';
import { MATCH_CASES } from '../helpers/topic-cases.js';

describe('validateTopic', () => {
  it.each([
    ['sport/tennis/player1'],
    ['/'],
    ['/finance'],
    ['$SYS/broker/uptime'],
    ['a//b'],
    [' '],
    ['caf\u00e9/\u{1F600}'],
    ['x'.repeat(65535)],
  ])('accepts the topic name %j', (topic) => {
    expect(validateTopic(topic)).toBeUndefined();
  });

  it.each<[string, unknown, RegExp]>([
    ['a non-string', 42, /must be a string/],
    ['undefined', undefined, /must be a string/],
    ['the empty string', '', /must not be empty/],
    ['a single-level wildcard', 'sport/+', /wildcards/],
    ['a multi-level wildcard', 'sport/#', /wildcards/],
    ['a wildcard inside a level', 'sport/ten+nis', /wildcards/],
    ['the null character', 'a\u0000b', /U\+0000/],
    ['more than 65535 bytes', 'x'.repeat(65536), /65535 bytes/],
    ['more than 65535 bytes once UTF-8 encoded', '\u00e9'.repeat(32768), /65535 bytes/],
  ])('rejects %s', (_name, topic, message) => {
    expect(validateTopic(topic)).toMatch(message);
  });

  it('counts a surrogate pair as four UTF-8 bytes', () => {
    const fits = '\u{1F600}'.repeat(16383) + 'abc'; // 65532 + 3 bytes
    expect(validateTopic(fits)).toBeUndefined();
    expect(validateTopic(fits + 'd')).toMatch(/got 65536/);
  });
});

describe('validateFilter', () => {
  it.each([
    ['sport/tennis/player1/#'],
    ['sport/#'],
    ['#'],
    ['+'],
    ['+/tennis/#'],
    ['sport/+/player1'],
    ['+/+'],
    ['/+'],
    ['$SYS/#'],
    ['$share/group/sport/+'],
    ['$share/group/#'],
    ['$share/g/a/b'],
    ['$share'],
    ['$sharedstuff/+'],
  ])('accepts the filter %j', (filter) => {
    expect(validateFilter(filter)).toBeUndefined();
  });

  it.each<[string, unknown, RegExp]>([
    ['a non-string', null, /must be a string/],
    ['the empty string', '', /must not be empty/],
    ['# not at the end', 'sport/tennis/#/ranking', /# must be the last level/],
    ['# sharing its level', 'sport/tennis#', /# must occupy a whole level/],
    ['# sharing its level at the start', '#a', /# must occupy a whole level/],
    ['+ sharing its level', 'sport+', /\+ must occupy a whole level/],
    ['+ sharing its level in the middle', 'sport/a+b/x', /\+ must occupy a whole level/],
    ['the null character', 'a/\u0000', /U\+0000/],
    ['more than 65535 bytes', '#'.padStart(65536, 'a'), /65535 bytes/],
    ['a shared filter with an empty group', '$share//a', /group must not be empty/],
    ['a shared filter without anything after $share/', '$share/', /group must not be empty/],
    ['a shared filter with + in the group', '$share/g+/a', /group must not contain wildcards/],
    ['a shared filter with # in the group', '$share/#/a', /group must not contain wildcards/],
    ['a shared filter without a filter', '$share/group', /needs a topic filter/],
    ['a shared filter with an empty filter', '$share/group/', /needs a topic filter/],
    ['a shared filter with an invalid filter', '$share/group/a/#/b', /# must be the last level/],
  ])('rejects %s', (_name, filter, message) => {
    expect(validateFilter(filter)).toMatch(message);
  });

  it('quotes the whole filter, shortened, in its messages', () => {
    expect(validateFilter('$share/g/a#')).toBe('Wildcard # must occupy a whole level: "$share/g/a#"');
    expect(validateFilter('a'.repeat(100) + '+')).toBe(`Wildcard + must occupy a whole level: "${'a'.repeat(77)}..."`);
  });
});

describe('parseSharedFilter', () => {
  it.each([
    ['$share/workers/jobs/+', { group: 'workers', filter: 'jobs/+' }],
    ['$share/g/#', { group: 'g', filter: '#' }],
    ['$share/g/$SYS/x', { group: 'g', filter: '$SYS/x' }],
    ['jobs/+', { filter: 'jobs/+' }],
    ['$share', { filter: '$share' }],
    ['$share/nofilter', { filter: '$share/nofilter' }],
    ['$SYS/#', { filter: '$SYS/#' }],
  ])('splits %j into its group and filter', (input, expected) => {
    expect(parseSharedFilter(input)).toStrictEqual(expected);
    expect(stripSharePrefix(input)).toBe(expected.filter);
  });
});

describe('matchTopic', () => {
  it.each(MATCH_CASES)('matches the filter %j against the topic %j: %s', (filter, topic, expected) => {
    expect(matchTopic(filter, topic)).toBe(expected);
  });
});
