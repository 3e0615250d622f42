/**
 * The console's live view: calls ringing or talking now (live_calls not ended), oldest first,
 * each with its screen pops per CRM user. A row whose end never arrived would ring forever, so
 * only calls started within STALE_AFTER_HOURS are listed.
 * @module
 */
import { and, asc, gte, inArray, ne } from 'drizzle-orm';
import type { Db } from '../../../db/client';
import { liveCalls, livePops } from '../../../db/schema';
import { instantParam } from '../../../ledger/calls-query';

export const STALE_AFTER_HOURS = 12;
const MAX_CALLS = 200;

export interface LivePopView {
  userId: string;
  extension: string | null;
  state: string;
  reason: string | null;
  latencyMs: number | null;
}

export interface LiveCallView {
  id: string;
  state: string;
  direction: string | null;
  from: string | null;
  to: string | null;
  /** Every extension rung so far, in order. */
  extensions: string[];
  answeredBy: string | null;
  line: string | null;
  startedAt: Date;
  answeredAt: Date | null;
  pops: LivePopView[];
}

export async function liveNow(db: Db, now: Date): Promise<LiveCallView[]> {
  const since = new Date(now.getTime() - STALE_AFTER_HOURS * 3_600_000);
  const calls = await db
    .select()
    .from(liveCalls)
    .where(and(ne(liveCalls.state, 'ended'), gte(liveCalls.startedAt, instantParam(since))))
    .orderBy(asc(liveCalls.startedAt), asc(liveCalls.id))
    .limit(MAX_CALLS);
  const ids = calls.map((c) => c.id);
  const pops = ids.length
    ? await db.select().from(livePops).where(inArray(livePops.liveCallId, ids)).orderBy(asc(livePops.createdAt), asc(livePops.userId))
    : [];
  return calls.map((c) => ({
    id: c.id,
    state: c.state,
    direction: c.direction,
    from: c.fromNumber,
    to: c.toNumber,
    extensions: Array.isArray(c.extensions) ? c.extensions.map(String) : [],
    answeredBy: c.answeredBy,
    line: c.line,
    startedAt: c.startedAt,
    answeredAt: c.answeredAt,
    pops: pops
      .filter((p) => p.liveCallId === c.id)
      .map((p) => ({ userId: p.userId, extension: p.extension, state: p.state, reason: p.reason, latencyMs: p.latencyMs })),
  }));
}

/** The JSON the page polls: times as ISO strings, `now` so the browser counts from the server's clock. */
export function liveJson(calls: LiveCallView[], now: Date) {
  return {
    now: now.toISOString(),
    calls: calls.map((c) => ({
      id: c.id,
      state: c.state,
      direction: c.direction,
      from: c.from,
      to: c.to,
      extensions: c.extensions,
      answered_by: c.answeredBy,
      line: c.line,
      started_at: c.startedAt.toISOString(),
      answered_at: c.answeredAt?.toISOString() ?? null,
      pops: c.pops.map((p) => ({ user_id: p.userId, extension: p.extension, state: p.state, reason: p.reason, latency_ms: p.latencyMs })),
    })),
  };
}
