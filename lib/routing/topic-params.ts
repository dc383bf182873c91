/**
 * Named parameters in `topic()` filters: `sensors/:id/temperature` subscribes
 * `sensors/+/temperature` and names the second level `id`. A trailing `:name#` stands for `#` and
 * names every level from there on (joined with `/`; empty when the topic is the parent level).
 * Pure string functions.
 */
import { parseSharedFilter } from '../protocol/topic.js';

/** A parsed `topic()` pattern: the filter to subscribe, and which topic levels are named. */
export interface TopicPattern {
  /** The MQTT filter (`:name` replaced by `+`, `:name#` by `#`), `$share/` prefix kept. */
  readonly filter: string;
  /** The named levels, in order; empty when the pattern has none. */
  readonly params: readonly TopicParam[];
}

/** One named level of a `topic()` pattern. */
export interface TopicParam {
  /** The name written after `:` (letters, digits and `_`, not starting with a digit). */
  readonly name: string;
  /** The topic level it names (0-based, counted without any `$share/{group}/` prefix). */
  readonly level: number;
  /** `:name#`: the level and all those after it. */
  readonly rest: boolean;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses a `topic()` pattern. A level is a parameter when it starts with `:`; any other level is
 * kept as written.
 *
 * @example
 * parseTopicPattern('sensors/:id/temperature');
 * // { filter: 'sensors/+/temperature', params: [{ name: 'id', level: 1, rest: false }] }
 * parseTopicPattern('logs/:path#'); // { filter: 'logs/#', params: [{ name: 'path', level: 1, rest: true }] }
 *
 * @param pattern A topic filter, possibly with named levels.
 * @returns The filter and its parameters, or an error message (bad or repeated name, `:name#` not last).
 */
export function parseTopicPattern(pattern: string): TopicPattern | string {
  if (!pattern.includes(':')) return { filter: pattern, params: [] };
  const { group, filter } = parseSharedFilter(pattern);
  const levels = filter.split('/');
  const params: TopicParam[] = [];
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (!level.startsWith(':')) continue;
    const rest = level.endsWith('#');
    const name = level.slice(1, rest ? -1 : undefined);
    if (!NAME.test(name)) return `Invalid parameter name "${name}" in ${JSON.stringify(pattern)}: use letters, digits and _, not starting with a digit`;
    if (params.some((p) => p.name === name)) return `Parameter "${name}" appears twice in ${JSON.stringify(pattern)}`;
    if (rest && i !== levels.length - 1) return `Parameter ":${name}#" must be the last level of ${JSON.stringify(pattern)}`;
    params.push({ name, level: i, rest });
    levels[i] = rest ? '#' : '+';
  }
  const plain = levels.join('/');
  return { filter: group === undefined ? plain : `$share/${group}/${plain}`, params };
}

/**
 * The values of `params` in `topic`, which matches the pattern's filter.
 *
 * @example
 * topicParams('sensors/a1/temperature', [{ name: 'id', level: 1, rest: false }]); // { id: 'a1' }
 */
export function topicParams(topic: string, params: readonly TopicParam[]): Record<string, string> {
  const levels = topic.split('/');
  const values: Record<string, string> = {};
  for (const { name, level, rest } of params) {
    values[name] = rest ? levels.slice(level).join('/') : levels[level] ?? '';
  }
  return values;
}

/** The parameter a pattern level names, from its type: `:id` and `:id#` name `id`. */
type LevelParam<L extends string> = L extends `:${infer Name}#` ? Name : L extends `:${infer Name}` ? Name : never;

/**
 * The parameter names of a pattern's levels (the `$share/{group}/` prefix is not a level). A step
 * of the types below, not exported: typedoc.json lists it in `intentionallyNotExported`.
 */
type PatternParamNames<P extends string> = P extends `$share/${string}/${infer Filter}`
  ? LevelNames<Filter>
  : LevelNames<P>;

/** The parameter names of the levels of `P`, a filter without a `$share/` prefix: a union of names, `never` if none. */
type LevelNames<P extends string> = P extends `${infer Level}/${infer Rest}` ? LevelParam<Level> | LevelNames<Rest> : LevelParam<P>;

/**
 * The `params` of a pattern, from its type, the way Express types route parameters: a literal
 * pattern gives its names (`'sensors/:id/temperature'` gives `{ readonly id: string }`), a
 * pattern only known as `string` gives a record of strings.
 */
export type TopicPatternParams<P extends string> = string extends P
  ? Readonly<Record<string, string>>
  : { readonly [Name in PatternParamNames<P>]: string };

/**
 * A message of `topic(pattern, { params: Named })` with `params` typed as far as the types can
 * tell: present and named on a literal pattern with `:name` levels; absent on a literal pattern
 * without any, or with `params: false`; otherwise left as `M` has it (optional: narrow with
 * `message.params?.id`), as only the run time knows.
 */
export type WithTopicParams<
  M extends {
    /** The message's named levels, as `M` types them before this narrows them. */
    params?: unknown;
  },
  P extends string,
  Named extends boolean = true,
> = string extends P
  ? M
  : boolean extends Named
    ? M
    : Omit<M, 'params'> & ParamsField<P, Named>;

/**
 * The `params` field `WithTopicParams` gives a message of a literal pattern: the typed names when
 * the pattern has `:name` levels and `Named` is not `false`, else `params` absent. A step of that
 * type, not exported (typedoc.json: `intentionallyNotExported`).
 */
type ParamsField<P extends string, Named extends boolean> = Named extends false
  ? {
      /** Absent: `params: false` asked for none. */
      params?: undefined;
    }
  : [PatternParamNames<P>] extends [never]
    ? {
        /** Absent: the pattern names no level. */
        params?: undefined;
      }
    : {
        /** The value of each named level of the message's topic, by name. */
        params: TopicPatternParams<P>;
      };
