/**
 * Today's calls in the configured time zone, by outcome, in one aggregate.
 * @module
 */
import { and, gte, lt, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Db } from '../../../db/client';
import { conversations } from '../../../db/schema';
import { callTime, instantParam } from '../../../ledger/calls-query';

export interface DayCalls {
  from: Date;
  to: Date;
  calls: number;
  answered: number;
  missed: number;
}

/** The local day containing `now`, midnight to midnight (23 or 25 hours across DST). */
export function today(zone: string, now: Date): { from: Date; to: Date } {
  const start = DateTime.fromJSDate(now, { zone }).startOf('day');
  return { from: start.toJSDate(), to: start.plus({ days: 1 }).toJSDate() };
}

export async function callsToday(db: Db, zone: string, now: Date): Promise<DayCalls> {
  const day = today(zone, now);
  const [row] = await db
    .select({
      calls: sql<number>`count(*)::int`,
      answered: sql<number>`(count(*) filter (where ${conversations.outcome} = 'answered'))::int`,
      missed: sql<number>`(count(*) filter (where ${conversations.outcome} in ('missed', 'busy', 'failed')))::int`,
    })
    .from(conversations)
    .where(and(gte(callTime, instantParam(day.from)), lt(callTime, instantParam(day.to))));
  return { ...day, calls: Number(row?.calls ?? 0), answered: Number(row?.answered ?? 0), missed: Number(row?.missed ?? 0) };
}
