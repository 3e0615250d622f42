/**
 * How the console writes times, durations and counts: local times in the configured time zone
 * (what the call centre's clocks said), talk times as m:ss.
 * @module
 */
import { DateTime } from 'luxon';

export function localTime(d: Date | null | undefined, zone: string): string {
  return d ? DateTime.fromJSDate(d, { zone }).toFormat('yyyy-LL-dd HH:mm:ss') : '—';
}

export function localDate(d: Date, zone: string): string {
  return DateTime.fromJSDate(d, { zone }).toFormat('yyyy-LL-dd');
}

/** Talk time: 3:05, or 1:02:03 from an hour on. */
export function clock(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.max(0, Math.round(seconds));
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/** A run's working time: 850 ms, 12.4 s, 3 min 5 s. */
export function elapsed(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString('en-US');
}

/** A run's window: the local day when it is one, else both ends. */
export function windowLabel(from: Date, to: Date, zone: string): string {
  const a = DateTime.fromJSDate(from, { zone });
  const b = DateTime.fromJSDate(to, { zone });
  if (a.equals(a.startOf('day')) && b.equals(a.plus({ days: 1 }).startOf('day'))) return a.toFormat('yyyy-LL-dd');
  return `${a.toFormat('yyyy-LL-dd HH:mm')} – ${b.toFormat('yyyy-LL-dd HH:mm')}`;
}

/** The outside party as the admin should see it: the E.164 number, else what the PBX sent. */
export function partyNumber(e164: string | null, raw: string | null): string {
  return e164 ?? raw ?? '—';
}
