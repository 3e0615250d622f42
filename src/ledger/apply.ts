/**
 * Applies parsed call events to the ledger inside the caller's transaction — set-based, so one
 * body, a group of concurrent bodies or a backfill of thousands costs the same handful of
 * statements:
 *
 *  1. insert-or-touch every conversation (ordered by key: concurrent transactions take the row
 *     locks in the same order and cannot deadlock; the locks serialize events of one call) —
 *     touched.ts;
 *  2. upsert legs and recordings by natural key — a copy replaces the stored one only when its
 *     version is greater, so the winner never depends on arrival order (legs.ts, recordings.ts;
 *     one exception: another file for a recording not archived yet replaces the stored one);
 *  3. for conversations where something changed: read all their legs and recordings (facts.ts),
 *     recompute the summary (domain/assemble.ts) and write it, settling the ones that are
 *     complete (summaries.ts).
 * @module
 */
import type { Db } from '../db/client';
import type { LedgerContext } from './context';
import { factsOf } from './facts';
import { applyLive } from './live';
import { joinConversations, type JoinResult } from './joins';
import { legRowsFor, upsertLegs, type LegRow } from './legs';
import { type IgnoredFile, recordingRowsFor, type RecordingRow, upsertRecordings } from './recordings';
import { planSummaries, storeSummaries } from './summaries';
import { groupByConversation, upsertConversations, type ApplyItem, type ConversationRows, type Touched } from './touched';

export type { ApplyItem } from './touched';
export type { IgnoredFile } from './recordings';

export interface ApplyResult {
  conversations: number;
  changed: number;
  settled: number;
  /** Other files sent for recordings already archived: not fetched (recordings.ts). */
  ignored: IgnoredFile[];
}

/** @param now the present; differs from receivedAt when a stored body is replayed. */
export async function applyEvents(tx: Db, ctx: LedgerContext, bodies: readonly ApplyItem[], now: Date): Promise<ApplyResult> {
  const { items, merged } = await joinConversations(tx, bodies, ctx.conversationSource);
  // Live moments and ends first: they only show the call now, and never wait on its legs.
  await applyLive(tx, items, ctx.conversationSource);
  const touched = groupByConversation(items, ctx.conversationSource);
  if (touched.length === 0) return { conversations: 0, changed: 0, settled: 0, ignored: [] };

  const rows = await upsertConversations(tx, touched);
  const { legRows, recordingRows } = factRows(touched, rows);
  const changed = mergedOrClosed(touched, merged, rows);
  for (const id of await upsertLegs(tx, legRows)) changed.add(id);
  const { changed: recordingsChanged, ignored } = await upsertRecordings(tx, recordingRows, now);
  for (const id of recordingsChanged) changed.add(id);
  if (changed.size === 0) return { conversations: touched.length, changed: 0, settled: 0, ignored };

  const facts = await factsOf(tx, changed, rows.rows, legRows, recordingRows);
  const plan = planSummaries(ctx, touched, rows, changed, facts, now);
  await storeSummaries(tx, ctx, plan, now);
  return { conversations: touched.length, changed: changed.size, settled: plan.toSettle.length, ignored };
}

/** The leg and recording rows of every touched conversation, in key order. */
function factRows(touched: readonly Touched[], rows: ConversationRows): { legRows: LegRow[]; recordingRows: RecordingRow[] } {
  const legRows: LegRow[] = [];
  const recordingRows: RecordingRow[] = [];
  for (const t of touched) {
    const { id } = rows.of(t);
    legRows.push(...legRowsFor(id, t.events));
    recordingRows.push(...recordingRowsFor(id, t.events));
  }
  return { legRows, recordingRows };
}

/** Conversations summarized again even when none of their legs or recordings changed: merged into, or closed. */
function mergedOrClosed(touched: readonly Touched[], merged: JoinResult<ApplyItem>['merged'], rows: ConversationRows): Set<string> {
  const changed = new Set<string>();
  // Conversations that took in another's legs are summarized again.
  for (const m of merged) {
    const row = rows.find(m.source, m.callKey);
    if (row) changed.add(row.id);
  }
  // A close on its own changes nothing stored but when the call may settle.
  for (const t of touched) if (t.closedAt && !rows.of(t).settled) changed.add(rows.of(t).id);
  return changed;
}
