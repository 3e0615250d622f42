/**
 * Mango's times are unix seconds. Its documentation labels them "UTC+3"; by default they are read
 * as ordinary unix time, and `timestamps_in_local_time` reads each as a wall-clock time in the
 * source's zone instead, for accounts where they turn out to be shifted.
 * @module
 */
import { DateTime } from 'luxon';
import { parseInstant } from '../../domain/time';
import { InvalidPayloadError } from '../core/parse';
import type { MangoContext } from './config';

export type MangoClock = (seconds: number, field: string) => Date;

export function mangoClock(ctx: MangoContext): MangoClock {
  const { timestamps_in_local_time: local, time_zone } = ctx.sources.mango;
  const zone = time_zone ?? ctx.timeZone;
  return (seconds, field) => {
    const parsed = parseInstant(seconds, 'UTC');
    if (!parsed.ok) throw new InvalidPayloadError([`json.${field}: ${parsed.message}`]);
    if (!local) return parsed.value;
    return DateTime.fromJSDate(parsed.value, { zone: 'UTC' }).setZone(zone, { keepLocalTime: true }).toJSDate();
  };
}
