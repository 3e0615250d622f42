/**
 * Instants from PBX payloads: ISO 8601 with an offset, ISO without one (read in the configured
 * time zone), or unix seconds.
 * @module
 */
import { DateTime } from 'luxon';

export type TimeParse = { ok: true; value: Date } | { ok: false; message: string };

const ISO_WITH_OFFSET = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/** Earliest and latest instants we believe a PBX could mean (catches ms-vs-s mix-ups). */
const MIN_MS = Date.UTC(2000, 0, 1);
const MAX_MS = Date.UTC(2100, 0, 1);

export function parseInstant(input: unknown, timeZone: string): TimeParse {
  if (typeof input === 'number' || (typeof input === 'string' && /^\d+(\.\d+)?$/.test(input.trim()))) {
    const seconds = Number(input);
    if (!Number.isFinite(seconds)) return { ok: false, message: 'expected unix seconds' };
    if (seconds > 1e11) {
      return { ok: false, message: `expected unix seconds, got ${input} (milliseconds?)` };
    }
    return inRange(new Date(Math.round(seconds * 1000)), String(input));
  }
  if (typeof input !== 'string' || input.trim() === '') {
    return { ok: false, message: 'expected an ISO 8601 time or unix seconds' };
  }
  const text = input.trim();
  // Full ISO 8601 with Z or an offset names its instant by itself (the common case, and luxon's
  // zone machinery is the slow path).
  if (ISO_WITH_OFFSET.test(text)) return inRange(new Date(Date.parse(text)), text);
  // "2026-11-20 10:00:00" (Asterisk, FreeSWITCH) is ISO with a space; luxon's SQL parser reads it.
  let dt = DateTime.fromISO(text, { zone: timeZone });
  if (!dt.isValid) dt = DateTime.fromSQL(text, { zone: timeZone });
  if (!dt.isValid) return { ok: false, message: `expected an ISO 8601 time or unix seconds, got "${text}"` };
  return inRange(dt.toJSDate(), text);
}

function inRange(date: Date, shown: string): TimeParse {
  const ms = date.getTime();
  if (Number.isNaN(ms) || ms < MIN_MS || ms > MAX_MS) {
    return { ok: false, message: `time ${shown} is outside 2000–2100` };
  }
  return { ok: true, value: date };
}
