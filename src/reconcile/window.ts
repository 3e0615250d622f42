/**
 * The window a run covers: a calendar day in the configured time zone (by default the day
 * before), or any from/to.
 * @module
 */
import { DateTime } from 'luxon';

export interface Window {
  from: Date;
  to: Date;
}

/** The local day `date` (YYYY-MM-DD) in `timeZone`, midnight to midnight (23 or 25 hours across DST). */
export function dayWindow(date: string, timeZone: string): Window {
  const start = DateTime.fromISO(date, { zone: timeZone });
  if (!start.isValid || !/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new RangeError(`not a date: "${date}" (expected YYYY-MM-DD)`);
  return { from: start.startOf('day').toJSDate(), to: start.plus({ days: 1 }).startOf('day').toJSDate() };
}

/** Yesterday in `timeZone`, as of `now`. */
export function yesterday(timeZone: string, now: Date): Window {
  const day = DateTime.fromJSDate(now, { zone: timeZone }).minus({ days: 1 }).toISODate() as string;
  return dayWindow(day, timeZone);
}
