/**
 * Topic names and topic filters: validation, shared-subscription parsing and a reference matcher.
 *
 * Pure string functions with no dependencies, so they run unchanged in Node and browsers. The
 * validators return an error message instead of throwing, letting each caller pick its channel
 * (a throw at the call, `subscriber.error`, or a callback), as `errors.ts` asks.
 */

/** The prefix of an MQTT 5 shared subscription: `$share/{ShareName}/{filter}`. */
const SHARE_PREFIX = '$share/';

/** [MQTT-1.5.4] a UTF-8 encoded string is prefixed by a two-byte length. */
const MAX_UTF8_BYTES = 65535;

/**
 * Checks a topic name, as used in PUBLISH.
 *
 * @example
 * validateTopic('sport/tennis'); // undefined
 * validateTopic('sport/+');      // 'Topic must not contain wildcards (+ or #): "sport/+"'
 *
 * @param topic The value to check; anything that is not a string is invalid.
 * @returns An error message, or `undefined` when the topic name is valid.
 */
export function validateTopic(topic: unknown): string | undefined {
  const common = checkString('Topic', topic);
  if (common !== undefined) return common;
  const t = topic as string;
  // [MQTT-3.3.2-2] the Topic Name in a PUBLISH packet MUST NOT contain wildcard characters.
  if (t.includes('+') || t.includes('#')) return `Topic must not contain wildcards (+ or #): ${quote(t)}`;
  return undefined;
}

/**
 * Checks a topic filter, as used in SUBSCRIBE and UNSUBSCRIBE, including `$share/{group}/{filter}`.
 *
 * @example
 * validateFilter('sport/tennis/#'); // undefined
 * validateFilter('sport/tennis#');  // 'Wildcard # must occupy a whole level: "sport/tennis#"'
 * validateFilter('$share//a');      // 'Shared subscription group must not be empty: "$share//a"'
 *
 * @param filter The value to check; anything that is not a string is invalid.
 * @returns An error message, or `undefined` when the filter is valid.
 */
export function validateFilter(filter: unknown): string | undefined {
  const common = checkString('Topic filter', filter);
  if (common !== undefined) return common;
  const f = filter as string;
  if (!f.startsWith(SHARE_PREFIX)) return checkFilterLevels(f, f);
  const slash = f.indexOf('/', SHARE_PREFIX.length);
  const group = f.slice(SHARE_PREFIX.length, slash === -1 ? f.length : slash);
  // [MQTT-4.8.2-1] a ShareName MUST be at least one character long.
  if (group === '') return `Shared subscription group must not be empty: ${quote(f)}`;
  // [MQTT-4.8.2-2] the ShareName MUST NOT contain "/", "+" or "#".
  if (group.includes('+') || group.includes('#')) {
    return `Shared subscription group must not contain wildcards (+ or #): ${quote(f)}`;
  }
  // [MQTT-4.8.2-2] a ShareName MUST be followed by "/" and a topic filter.
  if (slash === -1 || slash === f.length - 1) {
    return `Shared subscription needs a topic filter after the group: ${quote(f)}`;
  }
  return checkFilterLevels(f.slice(slash + 1), f);
}

/**
 * Splits a `$share/{group}/{filter}` filter into its group and its topic filter; any other filter
 * comes back unchanged, without a group. Does not validate.
 *
 * @example
 * parseSharedFilter('$share/workers/jobs/+'); // { group: 'workers', filter: 'jobs/+' }
 * parseSharedFilter('jobs/+');                // { filter: 'jobs/+' }
 *
 * @param filter A topic filter.
 * @returns The share group (when there is one) and the filter the broker matches topics against.
 */
export function parseSharedFilter(filter: string): { group?: string; filter: string } {
  const slash = shareSlash(filter);
  if (slash === -1) return { filter };
  return { group: filter.slice(SHARE_PREFIX.length, slash), filter: filter.slice(slash + 1) };
}

/**
 * Strips a `$share/{group}/` prefix, returning the filter topics are matched against.
 *
 * @param filter A topic filter.
 * @returns The filter without its share prefix (the filter itself when it is not shared).
 */
export function stripSharePrefix(filter: string): string {
  const slash = shareSlash(filter);
  return slash === -1 ? filter : filter.slice(slash + 1);
}

/**
 * Tells whether a topic name matches a topic filter: `+` matches exactly one level, `#` matches
 * its parent level and every level below it. A straightforward reference implementation; use
 * `TopicRouter` to match one topic against many filters.
 *
 * @example
 * matchTopic('sport/tennis/player1/#', 'sport/tennis/player1/ranking'); // true
 * matchTopic('sport/#', 'sport');                                       // true
 * matchTopic('#', '$SYS/uptime');                                       // false
 *
 * @param filter A valid topic filter; a `$share/{group}/` prefix is ignored.
 * @param topic A valid topic name.
 * @returns `true` when a message published to `topic` is delivered to a subscription on `filter`.
 */
export function matchTopic(filter: string, topic: string): boolean {
  return matchLevels(stripSharePrefix(filter).split('/'), topic);
}

/**
 * Whether `topic` matches the filter split into `levels`, without splitting the topic (this runs
 * once per message when the filter is fixed: `filterTopic`, routing by Subscription Identifier).
 * The one implementation of the matching rules; `matchTopic` splits the filter and calls it.
 */
export function matchLevels(levels: readonly string[], topic: string): boolean {
  const first = levels[0];
  // [MQTT-4.7.2-1] wildcards at the first level must not match topics starting with "$".
  if (topic.charCodeAt(0) === 0x24 && (first === '+' || first === '#')) return false;
  let start = 0;
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    // MQTT 4.7.1.2: "#" stands for the parent level and any number of child levels, so "a/#" matches "a".
    if (level === '#') return true;
    if (start > topic.length) return false; // the topic has fewer levels
    let end = topic.indexOf('/', start);
    if (end === -1) end = topic.length;
    if (level !== '+' && (level.length !== end - start || !topic.startsWith(level, start))) return false;
    start = end + 1;
  }
  return start === topic.length + 1;
}

/** The index of the slash ending the share group, or -1 when `filter` is not a shared filter. */
function shareSlash(filter: string): number {
  if (!filter.startsWith(SHARE_PREFIX)) return -1;
  return filter.indexOf('/', SHARE_PREFIX.length);
}

/** Checks shared by names and filters: type, emptiness, U+0000 and encoded length. */
function checkString(what: string, value: unknown): string | undefined {
  if (typeof value !== 'string') return `${what} must be a string, got ${typeof value}`;
  // [MQTT-4.7.3-1] topic names and filters MUST be at least one character long.
  if (value === '') return `${what} must not be empty`;
  // [MQTT-4.7.3-2] topic names and filters MUST NOT include the null character U+0000.
  if (value.includes('\u0000')) return `${what} must not contain the null character U+0000`;
  // [MQTT-4.7.3-3] topic names and filters MUST NOT encode to more than 65535 bytes.
  if (value.length * 3 > MAX_UTF8_BYTES && utf8Length(value) > MAX_UTF8_BYTES) {
    return `${what} must not exceed ${MAX_UTF8_BYTES} bytes in UTF-8, got ${utf8Length(value)}`;
  }
  return undefined;
}

/** Checks wildcard placement level by level; `whole` is the filter quoted in messages. */
function checkFilterLevels(filter: string, whole: string): string | undefined {
  let start = 0;
  for (;;) {
    const end = filter.indexOf('/', start);
    const last = end === -1;
    const level = filter.slice(start, last ? filter.length : end);
    if (level.includes('#')) {
      // [MQTT-4.7.1-2] "#" MUST occupy a whole level and MUST be the last character of the filter.
      if (level !== '#') return `Wildcard # must occupy a whole level: ${quote(whole)}`;
      if (!last) return `Wildcard # must be the last level: ${quote(whole)}`;
    }
    // [MQTT-4.7.1-3] "+" MUST occupy an entire level of the filter.
    if (level.includes('+') && level !== '+') return `Wildcard + must occupy a whole level: ${quote(whole)}`;
    if (last) return undefined;
    start = end + 1;
  }
}

/** UTF-8 byte length without allocating (no TextEncoder, no Buffer, so it also runs in browsers). */
function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) {
      bytes += 4; // a surrogate pair is one code point above U+FFFF
      i++;
    } else bytes += 3; // lone surrogates are encoded as U+FFFD, three bytes
  }
  return bytes;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Quotes a value for an error message, shortening very long ones. */
function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}
