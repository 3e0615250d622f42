/**
 * Step 3 of applying events (apply.ts): each changed conversation's summary recomputed from its
 * facts (domain/assemble.ts), when it may settle (domain/settle.ts), and all of it written in one
 * statement with the deliveries of the conversations that settle now. A settled conversation that
 * changed has its delivery decision refreshed and its CRM note queued for an update.
 * @module
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { json, uuidArray } from '../db/raw';
import { conversations } from '../db/schema';
import { summarize, type ConversationSummary } from '../domain/assemble';
import { settleDueAt } from '../domain/settle';
import type { LedgerContext } from './context';
import type { ConversationFacts } from './facts';
import { deliveryInsert, deliveryRows, queueNoteUpdates, refreshDeliveryDecision, type Settleable } from './settle';
import type { ConversationRow, ConversationRows, Touched } from './touched';

interface SummaryUpdate {
  id: string;
  summary: ConversationSummary;
  lastEventAt: Date;
  settleDueAt: Date | null;
  settledAt: Date | null;
}

/** What step 3 writes: the summaries, the conversations that settle now, the settled ones that changed. */
export interface SummaryPlan {
  updates: SummaryUpdate[];
  toSettle: Settleable[];
  settledChanged: { id: string; summary: ConversationSummary }[];
}

/** The summaries of the changed conversations (in key order), and which of them settle now. */
export function planSummaries(
  ctx: LedgerContext,
  touched: readonly Touched[],
  rows: ConversationRows,
  changed: ReadonlySet<string>,
  facts: ReadonlyMap<string, ConversationFacts>,
  now: Date,
): SummaryPlan {
  const plan: SummaryPlan = { updates: [], toSettle: [], settledChanged: [] };
  for (const t of touched) {
    const row = rows.of(t);
    if (!changed.has(row.id)) continue;
    const f = facts.get(row.id);
    if (!f) throw new Error(`no facts read for conversation ${row.id}`);
    const summary = closedSummary(summarize(f.legs, f.recordings, ctx.rulesFor(t.source)), row.closed);
    const due = row.settled ? null : dueAt(ctx, t, row, summary);
    const settleNow = due !== null && due <= now;
    plan.updates.push({
      id: row.id,
      summary,
      lastEventAt: t.lastEventAt,
      settleDueAt: settleNow ? null : due,
      settledAt: settleNow ? now : null,
    });
    if (settleNow) plan.toSettle.push({ id: row.id, uniq: t.uniq, ...summary });
    if (row.settled) plan.settledChanged.push({ id: row.id, summary });
  }
  return plan;
}

/** When a conversation not yet settled may settle (null: not while it waits for more). */
function dueAt(ctx: LedgerContext, t: Touched, row: ConversationRow, summary: ConversationSummary): Date | null {
  return settleDueAt(
    {
      final: summary.final,
      awaitingRecordings: summary.awaitingRecordings,
      // Once the PBX said the call is over, no more of its records are to be waited for.
      tentativeFinal: ctx.tentativeFinalSources.has(t.source) && !row.closed,
      lastEventAt: t.lastEventAt,
    },
    ctx.settleSeconds,
  );
}

/** A conversation the PBX closed has ended, whichever of its legs are final. */
function closedSummary(summary: ConversationSummary, closed: boolean): ConversationSummary {
  return closed && summary.legCount > 0 && !summary.final ? { ...summary, final: true } : summary;
}

/** Writes the plan: summaries and new deliveries, then the settled conversations' decisions and note updates. */
export async function storeSummaries(tx: Db, ctx: LedgerContext, plan: SummaryPlan, now: Date): Promise<void> {
  await writeSummaries(tx, ctx, plan.updates, deliveryRows(plan.toSettle, now));
  for (const c of plan.settledChanged) await refreshDeliveryDecision(tx, c.id, c.summary);
  await queueNoteUpdates(
    tx,
    plan.settledChanged.map((c) => c.id),
    now,
  );
}

/**
 * One statement: the summaries of all changed conversations (UPDATE … FROM json_to_recordset)
 * and the deliveries of those that settled.
 */
async function writeSummaries(tx: Db, ctx: LedgerContext, updates: SummaryUpdate[], deliveries: ReturnType<typeof deliveryRows>) {
  if (updates.length === 0) return;
  const values = updates.map((u) => ({
    id: u.id,
    direction: u.summary.direction,
    direction_rule: u.summary.directionRule,
    external_number: u.summary.externalNumber,
    external_number_raw: u.summary.externalNumberRaw,
    external_number_note: u.summary.externalNumberNote,
    extension: u.summary.extension,
    line: u.summary.line,
    outcome: u.summary.outcome,
    started_at: u.summary.startedAt,
    answered_at: u.summary.answeredAt,
    ended_at: u.summary.endedAt,
    duration_seconds: u.summary.durationSeconds,
    talk_seconds: u.summary.talkSeconds,
    leg_count: u.summary.legCount,
    awaiting_recordings: u.summary.awaitingRecordings,
    final: u.summary.final,
    last_event_at: u.lastEventAt,
    settle_due_at: u.settleDueAt,
    settled_at: u.settledAt,
  }));
  await tx.execute(sql`
    with summaries as (update ${conversations} as c set
      direction = v.direction, direction_rule = v.direction_rule, external_number = v.external_number,
      external_number_raw = v.external_number_raw, external_number_note = v.external_number_note, extension = v.extension, line = v.line, outcome = v.outcome, started_at = v.started_at, answered_at = v.answered_at,
      ended_at = v.ended_at, duration_seconds = v.duration_seconds, talk_seconds = v.talk_seconds,
      leg_count = v.leg_count, awaiting_recordings = v.awaiting_recordings,
      final_seen_at = case when v.final then coalesce(c.final_seen_at, v.last_event_at) end,
      last_event_at = greatest(c.last_event_at, v.last_event_at), settle_due_at = v.settle_due_at,
      settled_at = coalesce(c.settled_at, v.settled_at), revision = c.revision + 1, updated_at = now()
    from json_to_recordset(${json(values)}) as v(id uuid, direction text, direction_rule text, external_number text,
      external_number_raw text, external_number_note text, extension text, line text, outcome text, started_at timestamptz, answered_at timestamptz,
      ended_at timestamptz, duration_seconds int, talk_seconds int, leg_count int, awaiting_recordings boolean,
      final boolean, last_event_at timestamptz, settle_due_at timestamptz, settled_at timestamptz)
    where c.id = v.id and c.id = any(${uuidArray(updates.map((u) => u.id))})
    returning c.id)
    ${deliveries.length ? sql`, ${deliveryInsert(ctx, deliveries)}` : sql``}
    select count(*) from summaries`);
}
