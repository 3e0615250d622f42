/**
 * The screen pop: while a call rings, the CRM users it rings for see the caller.
 *
 * After a body with live moments is stored, each ringing call it touched is shown to the users
 * of its ringing extensions (or its line's `pop_users`) that have not seen it yet. "Not yet" is
 * a row in live_pops, inserted before the request (primary key call + user), so two webhooks of
 * one call racing each other, a PBX retry or a replay never show a user the same call twice.
 * The request goes first in the account's budget, with a deadline `live.pop.deadline_seconds`
 * after the ring arrived: a pop that cannot go out in time is dropped (late), never queued behind
 * the backlog, and takes no slot from it. When the call is answered, the others' pops are taken
 * down where the CRM needs that (Bitrix24).
 * @module
 */
import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import { LateForBudget } from '../crm/limiter';
import type { CrmPort, ScreenPop } from '../crm/port';
import { liveCalls, livePops } from '../db/schema';
import { liveCrm } from './crm';
import { conversationUniq } from '../ledger/versions';
import { describeError } from '../lib/log';
import type { LiveDeps } from './deps';
import { outsideNumber, popUsers } from './people';

type LiveRow = typeof liveCalls.$inferSelect;

export interface PopOutcome {
  liveCallId: string;
  shown: string[];
  late: string[];
  failed: string[];
  hidden: string[];
}

/** A ring older than this (by the PBX's clock against ours) is not popped. */
const STALE_RING_MS = 5 * 60_000;

const now = (deps: LiveDeps) => (deps.now ?? (() => new Date()))();

/**
 * Shows (or takes down) the pops of these live calls. `arrivedAtMs` is when their moments arrived,
 * by the wall clock (Date.now()): the budget's deadlines and the pop's latency are real time.
 */
export async function popLiveCalls(deps: LiveDeps, ids: readonly string[], arrivedAtMs: number): Promise<PopOutcome[]> {
  if (!deps.config.live.pop.enabled || ids.length === 0) return [];
  const crm = liveCrm(deps);
  if (!crm?.port.popUp) return [];
  const rows = await deps.db
    .select()
    .from(liveCalls)
    .where(inArray(liveCalls.id, [...ids]));
  return Promise.all(rows.map((row) => popOne(deps, crm.port, row, arrivedAtMs)));
}

async function popOne(deps: LiveDeps, port: CrmPort, row: LiveRow, arrivedAtMs: number): Promise<PopOutcome> {
  const outcome: PopOutcome = { liveCallId: row.id, shown: [], late: [], failed: [], hidden: [] };
  if (row.direction === 'outbound' || row.direction === 'internal') return outcome;
  // A ring stored long after it happened (a PBX's late retry, a replay) is worth nothing now.
  if (now(deps).getTime() - row.startedAt.getTime() > STALE_RING_MS) return outcome;
  const phone = outsideNumber(deps.config, row.fromNumber, row.line);
  if (!phone) return outcome;
  const pop: ScreenPop = {
    uniq: conversationUniq(row.source, row.callKey),
    direction: 'inbound',
    phone,
    users: [],
    extensions: {},
    line: row.line,
    startedAt: row.startedAt,
    caller: null,
    ref: row.crmRef,
  };
  const deadline = arrivedAtMs + deps.config.live.pop.deadline_seconds * 1000;
  if (row.state === 'ringing') await showTo(deps, port, row, pop, deadline, arrivedAtMs, outcome);
  if (row.state !== 'ringing') await takeDown(deps, port, row, pop, deadline, outcome);
  return outcome;
}

/** Claims the users who have not seen this call (at most once each), then shows it to them. */
async function showTo(deps: LiveDeps, port: CrmPort, row: LiveRow, pop: ScreenPop, deadline: number, arrivedAtMs: number, outcome: PopOutcome) {
  const users = popUsers(deps.config, row.extensions, row.line);
  if (users.size === 0) return;
  const claimed = await deps.db
    .insert(livePops)
    .values([...users].map(([userId, extension]) => ({ liveCallId: row.id, userId, extension, state: 'sending' as const })))
    .onConflictDoNothing()
    .returning({ userId: livePops.userId, extension: livePops.extension });
  if (claimed.length === 0) return;
  const ids = claimed.map((c) => c.userId);
  const request: ScreenPop = {
    ...pop,
    users: ids.map((u) => (/^\d+$/.test(u) ? Number(u) : u)),
    extensions: Object.fromEntries(claimed.flatMap((c) => (c.extension ? [[c.userId, c.extension]] : []))),
  };
  try {
    const result = await (port.popUp as NonNullable<CrmPort['popUp']>)(request, { deadline });
    const latencyMs = Math.max(0, Date.now() - arrivedAtMs);
    await markPops(deps, row.id, ids, { state: 'shown', reason: null, latencyMs });
    if (result.ref && result.ref !== row.crmRef) {
      await deps.db
        .update(liveCalls)
        .set({ crmRef: result.ref, updatedAt: now(deps) })
        .where(eq(liveCalls.id, row.id));
    }
    outcome.shown.push(...ids);
  } catch (error) {
    const late = error instanceof LateForBudget || Date.now() >= deadline;
    const reason = late ? `not shown within ${deps.config.live.pop.deadline_seconds} s of the ring: ${describeError(error)}` : describeError(error);
    await markPops(deps, row.id, ids, { state: late ? 'late' : 'failed', reason, latencyMs: null });
    (late ? outcome.late : outcome.failed).push(...ids);
    deps.log.warn(late ? 'screen pop dropped: too late' : 'screen pop failed', { liveCallId: row.id, users: ids.length, reason });
  }
}

/** Answered or over: the pops of everyone but the one who answered come down, where the CRM needs it. */
async function takeDown(deps: LiveDeps, port: CrmPort, row: LiveRow, pop: ScreenPop, deadline: number, outcome: PopOutcome) {
  if (!port.popDown || !row.crmRef) return;
  const answeredUser = row.answeredBy
    ? popUsers({ ...deps.config, lines: {} }, [row.answeredBy], null)
        .keys()
        .next().value
    : undefined;
  const shown = await deps.db
    .select({ userId: livePops.userId })
    .from(livePops)
    .where(and(eq(livePops.liveCallId, row.id), eq(livePops.state, 'shown'), ...(answeredUser ? [ne(livePops.userId, answeredUser)] : [])));
  if (shown.length === 0) return;
  const ids = shown.map((s) => s.userId);
  try {
    await port.popDown({ ...pop, ref: row.crmRef }, ids, { deadline });
    await markPops(deps, row.id, ids, { state: 'hidden', reason: row.answeredBy ? `answered by ${row.answeredBy}` : 'the call ended', latencyMs: null });
    outcome.hidden.push(...ids);
  } catch (error) {
    deps.log.warn('taking a screen pop down failed', { liveCallId: row.id, error });
  }
}

async function markPops(
  deps: LiveDeps,
  liveCallId: string,
  users: string[],
  set: { state: 'shown' | 'late' | 'failed' | 'hidden'; reason: string | null; latencyMs: number | null },
) {
  await deps.db
    .update(livePops)
    .set({ state: set.state, reason: set.reason, ...(set.latencyMs !== null ? { latencyMs: set.latencyMs } : {}), updatedAt: sql`now()` })
    .where(and(eq(livePops.liveCallId, liveCallId), inArray(livePops.userId, users)));
}
