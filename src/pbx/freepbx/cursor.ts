/**
 * Where the FreePBX poller has read up to, kept in pbx_cursors.
 *
 * Asterisk writes a CDR row when its channel hangs up but dates it (`calldate`) when the CDR
 * started, so a row can appear an hour "in the past" — a cursor on calldate alone would skip every
 * long call. The table has no insertion id to follow instead. So the cursor keeps, for each
 * calldate minute of a lookback window behind the newest row, how many rows it has read:
 * each poll counts the rows per minute in the window (one GROUP BY on the calldate index) and
 * reads only the minutes whose count changed. A late row changes its minute's count and is read;
 * the rows of that minute read before come again and are duplicates in the inbox, harmlessly.
 * Minutes fall out of the window `lookback_minutes` behind the newest row read.
 *
 * Times are the table's own: local wall-clock text, compared as text ("YYYY-MM-DD HH:MM").
 * @module
 */
import { DateTime } from 'luxon';
import * as z from 'zod';

export const cursorSchema = z.object({
  /** Rows dated before this minute are never read (start_from: now). */
  floor: z
    .string()
    .regex(/^\d{4}-\d\d-\d\d \d\d:\d\d$/)
    .nullable(),
  /** The minute of the newest row read. */
  watermark: z
    .string()
    .regex(/^\d{4}-\d\d-\d\d \d\d:\d\d$/)
    .nullable(),
  /** Rows read per calldate minute, for the minutes inside the window. */
  minutes: z.record(z.string(), z.number().int().nonnegative()),
});

export type FreepbxCursor = z.output<typeof cursorSchema>;

const FORMAT = 'yyyy-MM-dd HH:mm';
// Wall-clock arithmetic: the zone only has to be one without daylight-saving jumps.
const wall = (minute: string) => DateTime.fromFormat(minute, FORMAT, { zone: 'UTC' });

/** "2026-11-20 10:03:17" → "2026-11-20 10:03". */
export const minuteOf = (calldate: string): string => calldate.slice(0, 16);

export const nextMinute = (minute: string): string => wall(minute).plus({ minutes: 1 }).toFormat(FORMAT);

/** A minute as the lower bound of a calldate comparison. */
export const minuteStart = (minute: string): string => `${minute}:00`;

export function initialCursor(startFrom: 'now' | 'beginning', now: Date, timeZone: string): FreepbxCursor {
  const floor = startFrom === 'now' ? DateTime.fromJSDate(now, { zone: timeZone }).toFormat(FORMAT) : null;
  return { floor, watermark: null, minutes: {} };
}

/** The first minute the next poll looks at: the lookback behind the newest row, never before the floor. */
export function windowStart(cursor: FreepbxCursor, lookbackMinutes: number): string | null {
  const behind = cursor.watermark ? wall(cursor.watermark).minus({ minutes: lookbackMinutes }).toFormat(FORMAT) : null;
  if (behind === null) return cursor.floor;
  if (cursor.floor === null) return behind;
  // Wall-clock strings in one fixed format: their string order is their time order.
  if (behind > cursor.floor) return behind;
  return cursor.floor;
}

/** The minutes whose row count differs from what was read, oldest first. */
export function changedMinutes(counts: readonly (readonly [string, number])[], cursor: FreepbxCursor): string[] {
  return counts
    .filter(([minute, n]) => cursor.minutes[minute] !== n)
    .map(([minute]) => minute)
    .sort();
}

/**
 * The cursor after `read` minutes were read in full (minute → rows read) and every other minute
 * up to `seenUpTo` was found unchanged: the watermark moves, minutes out of the window go.
 */
export function advance(cursor: FreepbxCursor, read: Readonly<Record<string, number>>, seenUpTo: string | null, lookbackMinutes: number): FreepbxCursor {
  const minutes = { ...cursor.minutes, ...read };
  let watermark = cursor.watermark;
  for (const minute of [...Object.keys(read), ...(seenUpTo ? [seenUpTo] : [])]) {
    if (watermark === null || minute > watermark) watermark = minute;
  }
  const next: FreepbxCursor = { floor: cursor.floor, watermark, minutes: {} };
  const start = windowStart(next, lookbackMinutes);
  for (const [minute, n] of Object.entries(minutes)) {
    if (start === null || minute >= start) next.minutes[minute] = n;
  }
  return next;
}
