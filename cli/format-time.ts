/**
 * The time fields of mosquitto_sub's `-F` format: `@X` is strftime(3)'s `%X` in local time (C
 * locale), `@N` the nanoseconds within the second, plus `%I` (ISO 8601) and `%U` (Unix time with
 * nanoseconds). Pure: the time is an input.
 *
 * ```
 * formatStrftime('Y', t)  -> '2026-12-07'.slice(0, 4)   formatStrftime('N', t) -> '395191114'
 * isoTime(t)              -> '2026-12-07T08:24:27+0000'  unixTime(t)           -> '1796631867.395097115'
 * ```
 */

/**
 * A wall-clock instant with nanoseconds (what mosquitto_sub reads with clock_gettime) and the
 * local zone at that instant, so that formatting needs no look at the host's zone.
 */
export interface WallTime {
  /** Whole seconds since the Unix epoch. */
  seconds: number;
  /** Nanoseconds within that second, 0 to 999,999,999. */
  nanoseconds: number;
  /** Local time minus UTC, in minutes (+60 for UTC+01:00). */
  utcOffsetMinutes: number;
  /** The zone's abbreviation, as Intl names it ("UTC", "CET", "GMT+1"). */
  zone: string;
}

let zoneFormat: Intl.DateTimeFormat | undefined;

/** Now, to the resolution the platform gives (microseconds on Node), in the host's zone. */
export function wallTimeNow(): WallTime {
  const ms = performance.timeOrigin + performance.now();
  const seconds = Math.floor(ms / 1000);
  const date = new Date(seconds * 1000);
  zoneFormat ??= new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' });
  const zone = zoneFormat.formatToParts(date).find((part) => part.type === 'timeZoneName')?.value ?? '';
  const nanoseconds = Math.min(999_999_999, Math.round((ms - seconds * 1000) * 1e6));
  return { seconds, nanoseconds, utcOffsetMinutes: -date.getTimezoneOffset(), zone };
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * A Date whose UTC fields are the local time of `time`: every conversion reads getUTC*(), so the
 * host's zone never enters.
 */
const localDate = (time: WallTime) => new Date((time.seconds + time.utcOffsetMinutes * 60) * 1000);

const pad = (value: number, width: number, fill = '0') => String(value).padStart(width, fill);

/** Day of the year, 0-based. */
function dayOfYear(date: Date): number {
  return Math.floor((date.getTime() - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86_400_000);
}

/** ISO 8601 week number and week-based year (strftime %V and %G). */
function isoWeek(date: Date): { week: number; year: number } {
  const day = (date.getUTCDay() + 6) % 7; // Monday = 0
  const thursday = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() - day + 3));
  // The ISO week is the week of its Thursday; week 1 holds the year's first Thursday.
  const week = Math.floor(dayOfYear(thursday) / 7) + 1;
  return { week, year: thursday.getUTCFullYear() };
}

/** `+hhmm` / `-hhmm`: the local offset from UTC (strftime %z). */
function utcOffset(time: WallTime): string {
  const minutes = time.utcOffsetMinutes;
  const abs = Math.abs(minutes);
  return (minutes < 0 ? '-' : '+') + pad(Math.floor(abs / 60), 2) + pad(abs % 60, 2);
}

const hour12 = (date: Date) => date.getUTCHours() % 12 || 12;

/** strftime conversions (C locale), by the letter after `@`. */
const CONVERSIONS: Record<string, (date: Date, time: WallTime) => string> = {
  a: (d) => DAYS[d.getUTCDay()]!.slice(0, 3),
  A: (d) => DAYS[d.getUTCDay()]!,
  b: (d) => MONTHS[d.getUTCMonth()]!.slice(0, 3),
  h: (d) => MONTHS[d.getUTCMonth()]!.slice(0, 3),
  B: (d) => MONTHS[d.getUTCMonth()]!,
  c: (d, t) => `${CONVERSIONS.a!(d, t)} ${CONVERSIONS.b!(d, t)} ${pad(d.getUTCDate(), 2, ' ')} ${CONVERSIONS.T!(d, t)} ${d.getUTCFullYear()}`,
  C: (d) => pad(Math.floor(d.getUTCFullYear() / 100), 2),
  d: (d) => pad(d.getUTCDate(), 2),
  D: (d) => `${pad(d.getUTCMonth() + 1, 2)}/${pad(d.getUTCDate(), 2)}/${pad(d.getUTCFullYear() % 100, 2)}`,
  e: (d) => pad(d.getUTCDate(), 2, ' '),
  F: (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`,
  g: (d) => pad(isoWeek(d).year % 100, 2),
  G: (d) => String(isoWeek(d).year),
  H: (d) => pad(d.getUTCHours(), 2),
  I: (d) => pad(hour12(d), 2),
  j: (d) => pad(dayOfYear(d) + 1, 3),
  k: (d) => pad(d.getUTCHours(), 2, ' '),
  l: (d) => pad(hour12(d), 2, ' '),
  m: (d) => pad(d.getUTCMonth() + 1, 2),
  M: (d) => pad(d.getUTCMinutes(), 2),
  n: () => '\n',
  N: (_, t) => pad(t.nanoseconds, 9),
  p: (d) => (d.getUTCHours() < 12 ? 'AM' : 'PM'),
  P: (d) => (d.getUTCHours() < 12 ? 'am' : 'pm'),
  r: (d) => `${pad(hour12(d), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)} ${d.getUTCHours() < 12 ? 'AM' : 'PM'}`,
  R: (d) => `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}`,
  s: (_, t) => String(t.seconds),
  S: (d) => pad(d.getUTCSeconds(), 2),
  t: () => '\t',
  T: (d) => `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`,
  u: (d) => String(d.getUTCDay() || 7),
  U: (d) => pad(Math.floor((dayOfYear(d) + 7 - d.getUTCDay()) / 7), 2),
  V: (d) => pad(isoWeek(d).week, 2),
  w: (d) => String(d.getUTCDay()),
  W: (d) => pad(Math.floor((dayOfYear(d) + 7 - ((d.getUTCDay() + 6) % 7)) / 7), 2),
  x: (d, t) => CONVERSIONS.D!(d, t),
  X: (d, t) => CONVERSIONS.T!(d, t),
  y: (d) => pad(d.getUTCFullYear() % 100, 2),
  Y: (d) => String(d.getUTCFullYear()),
  z: (_, t) => utcOffset(t),
  Z: (_, t) => t.zone,
  '%': () => '%',
};

/**
 * One `@X` time field: strftime's `%X` in local time, `@N` the nanoseconds (9 digits). A letter
 * strftime does not know prints as `%X`, as glibc's strftime does.
 */
export function formatStrftime(conversion: string, time: WallTime): string {
  const convert = CONVERSIONS[conversion];
  return convert ? convert(localDate(time), time) : '%' + conversion;
}

/** `%I`: ISO 8601 local time with offset, `2016-08-10T09:47:38+0100` (strftime "%FT%T%z"). */
export function isoTime(time: WallTime): string {
  const date = localDate(time);
  return `${CONVERSIONS.F!(date, time)}T${CONVERSIONS.T!(date, time)}${utcOffset(time)}`;
}

/** `%U`: Unix time with nanoseconds, `1470818943.786368637`. */
export function unixTime(time: WallTime): string {
  return `${time.seconds}.${pad(time.nanoseconds, 9)}`;
}

/** The `tst` of `%j`/`%J`: local time with microseconds and mosquitto's literal `Z` before the offset. */
export function jsonTimestamp(time: WallTime): string {
  const date = localDate(time);
  return `${CONVERSIONS.F!(date, time)}T${CONVERSIONS.T!(date, time)}.${pad(Math.floor(time.nanoseconds / 1000), 6)}Z${utcOffset(time)}`;
}
