// Local-time stamps like the old scripts' `date +%Y%m%d-%H%M%S`, which operators' tools expect.

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** `YYYYMMDD` in local time. */
export function localDay(date: Date): string {
  return `${pad(date.getFullYear(), 4)}${pad(date.getMonth() + 1)}${pad(date.getDate())}`;
}

/** `HHMMSS` in local time. */
export function localClock(date: Date): string {
  return `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

/** `2026-11-25T13:15:00.000+08:00`: local wall time with its offset, for log lines read by humans. */
export function localIsoTimestamp(date: Date): string {
  const offsetMinutes = -date.getTimezoneOffset();
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const absolute = Math.abs(offsetMinutes);
  return (
    `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(absolute / 60))}:${pad(absolute % 60)}`
  );
}

/**
 * The local time written as `YYYYMMDD` + `HHMMSS`, or undefined when the digits are no real
 * time (month 13, 31 February): such a name was not written by us.
 */
export function parseLocalStamp(day: string, clock: string): Date | undefined {
  const numbers = [day.slice(0, 4), day.slice(4, 6), day.slice(6, 8), clock.slice(0, 2), clock.slice(2, 4), clock.slice(4, 6)].map(Number);
  const [year = NaN, month = NaN, dayOfMonth = NaN, hours = NaN, minutes = NaN, seconds = NaN] = numbers;
  const date = new Date(year, month - 1, dayOfMonth, hours, minutes, seconds);
  if (Number.isNaN(date.getTime())) return undefined;
  // Date rolls 31 Feb over into March; a round trip catches it.
  return localDay(date) === day && localClock(date) === clock ? date : undefined;
}
