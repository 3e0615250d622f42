/**
 * Applies parsed call events to the ledger inside the caller's transaction — set-based, so one
 * body, a group of concurrent bodies or a backfill of thousands costs the same handful of
 * statements:
 *
 *  1. insert-or-touch every conversation (ordered by key: concurrent transactions take the row
 *     locks in the same order and cannot deadlock; the locks serialize events of one call);
 *  2. upsert legs and recordings by natural key — a copy replaces the stored one only when its
 *     version is greater, so the winner never depends on arrival order;
 *  3. for conversations where something changed: read all their legs and recordings, recompute
 *     the summary (domain/assemble.ts) and write it, settling the ones that are complete.
 * @module
 */
import { inArray, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { conversations, legs, recordings } from '../db/schema';
import { summarize, type ConversationSummary, type LegFacts, type RecordingFacts } from '../domain/assemble';
import type { CallEvent, LegEnded, RecordingRef } from '../domain/events';
import { settleDueAt } from '../domain/settle';
import type { LedgerContext } from './context';
import { refreshDeliveryDecision, settleConversations } from './settle';
import { conversationUniq, legVersion, recordingVersion } from './versions';

/** The events of one stored body. */
export interface ApplyItem {
  source: string;
  events: readonly CallEvent[];
  inboxEventId: number | null;
  /** When the body arrived (drives SETTLE_SECONDS). */
  receivedAt: Date;
}

export interface ApplyResult {
  conversations: number;
  changed: number;
  settled: number;
}

type LegRow = typeof legs.$inferInsert;
type RecordingRow = typeof recordings.$inferInsert;

interface Touched {
  source: string;
  callKey: string;
  uniq: string;
  lastEventAt: Date;
  events: { event: CallEvent; inboxEventId: number | null }[];
}

/** @param now the present; differs from receivedAt when a stored body is replayed. */
export async function applyEvents(tx: Db, ctx: LedgerContext, items: readonly ApplyItem[], now: Date): Promise<ApplyResult> {
  const touched = await groupByConversation(items);
  if (touched.length === 0) return { conversations: 0, changed: 0, settled: 0 };

  const rows = await tx
    .insert(conversations)
    .values(touched.map((t) => ({ source: t.source, callKey: t.callKey, uniq: t.uniq, lastEventAt: t.lastEventAt })))
    .onConflictDoUpdate({ target: [conversations.source, conversations.callKey], set: { callKey: sql`excluded.call_key` } })
    .returning({
      id: conversations.id,
      source: conversations.source,
      callKey: conversations.callKey,
      settledAt: conversations.settledAt,
      finalSeenAt: conversations.finalSeenAt,
    });
  const idOf = new Map(rows.map((r) => [`${r.source}\n${r.callKey}`, r]));
  const conversationOf = (t: Touched) => {
    const row = idOf.get(`${t.source}\n${t.callKey}`);
    if (!row) throw new Error(`conversation ${t.callKey} was neither inserted nor found`);
    return row;
  };

  const legRows: LegRow[] = [];
  const recordingRows: RecordingRow[] = [];
  for (const t of touched) {
    const { id } = conversationOf(t);
    legRows.push(...(await legRowsFor(id, t.events)));
    recordingRows.push(...(await recordingRowsFor(id, t.events)));
  }
  const changed = new Set<string>();
  if (legRows.length) {
    const written = await tx
      .insert(legs)
      .values(legRows)
      .onConflictDoUpdate({
        target: [legs.conversationId, legs.legKey],
        set: excludedColumns([
          'direction', 'from_raw', 'to_raw', 'extension', 'started_at', 'answered_at', 'ended_at',
          'disposition', 'talk_seconds', 'final', 'recorded', 'version', 'inbox_event_id',
        ]),
        setWhere: sql`${legs.version} < excluded.version`,
      })
      .returning({ conversationId: legs.conversationId });
    for (const w of written) changed.add(w.conversationId);
  }
  if (recordingRows.length) {
    const written = await tx
      .insert(recordings)
      .values(recordingRows)
      .onConflictDoUpdate({
        target: [recordings.conversationId, recordings.recordingKey],
        set: excludedColumns(['leg_key', 'origin_url', 'status', 'version', 'inbox_event_id']),
        setWhere: sql`${recordings.version} < excluded.version`,
      })
      .returning({ conversationId: recordings.conversationId });
    for (const w of written) changed.add(w.conversationId);
  }
  if (changed.size === 0) return { conversations: touched.length, changed: 0, settled: 0 };

  const ids = [...changed];
  const allLegs = await tx
    .select({
      conversationId: legs.conversationId, legKey: legs.legKey, direction: legs.direction, fromRaw: legs.fromRaw,
      toRaw: legs.toRaw, extension: legs.extension, startedAt: legs.startedAt, answeredAt: legs.answeredAt,
      endedAt: legs.endedAt, disposition: legs.disposition, talkSeconds: legs.talkSeconds, final: legs.final,
      recorded: legs.recorded,
    })
    .from(legs)
    .where(inArray(legs.conversationId, ids));
  const allRecordings = await tx
    .select({ conversationId: recordings.conversationId, legKey: recordings.legKey })
    .from(recordings)
    .where(inArray(recordings.conversationId, ids));
  const legsOf = groupBy<LegFacts & { conversationId: string }>(allLegs);
  const recordingsOf = groupBy<RecordingFacts & { conversationId: string }>(allRecordings);

  const updates: SummaryUpdate[] = [];
  const toSettle: Parameters<typeof settleConversations>[2] = [];
  const settledChanged: { id: string; summary: ConversationSummary }[] = [];
  for (const t of touched) {
    const row = conversationOf(t);
    if (!changed.has(row.id)) continue;
    const summary = summarize(legsOf.get(row.id) ?? [], recordingsOf.get(row.id) ?? [], ctx.rules);
    const due = row.settledAt
      ? null
      : settleDueAt({ final: summary.final, awaitingRecordings: summary.awaitingRecordings, lastEventAt: t.lastEventAt }, ctx.settleSeconds);
    const settleNow = due !== null && due <= now;
    updates.push({
      id: row.id,
      summary,
      finalSeenAt: summary.final ? (row.finalSeenAt ?? t.lastEventAt) : null,
      lastEventAt: t.lastEventAt,
      settleDueAt: settleNow ? null : due,
      settledAt: settleNow ? now : null,
    });
    if (settleNow) toSettle.push({ id: row.id, uniq: t.uniq, ...summary });
    if (row.settledAt) settledChanged.push({ id: row.id, summary });
  }
  await writeSummaries(tx, updates);
  if (toSettle.length) await settleConversations(tx, ctx, toSettle, now, { alreadyMarked: true });
  for (const c of settledChanged) await refreshDeliveryDecision(tx, c.id, c.summary);
  return { conversations: touched.length, changed: changed.size, settled: toSettle.length };
}

/** Conversations in key order, each with its events and the latest arrival among them. */
async function groupByConversation(items: readonly ApplyItem[]): Promise<Touched[]> {
  const byKey = new Map<string, Touched>();
  for (const item of items) {
    for (const event of item.events) {
      const key = `${item.source}\n${event.callKey}`;
      let t = byKey.get(key);
      if (!t) {
        t = { source: item.source, callKey: event.callKey, uniq: '', lastEventAt: item.receivedAt, events: [] };
        byKey.set(key, t);
      }
      if (item.receivedAt > t.lastEventAt) t.lastEventAt = item.receivedAt;
      t.events.push({ event, inboxEventId: item.inboxEventId });
    }
  }
  const touched = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, t]) => t);
  for (const t of touched) t.uniq = await conversationUniq(t.source, t.callKey);
  return touched;
}

interface SummaryUpdate {
  id: string;
  summary: ConversationSummary;
  finalSeenAt: Date | null;
  lastEventAt: Date;
  settleDueAt: Date | null;
  settledAt: Date | null;
}

/**
 * One UPDATE … FROM (VALUES …) for all changed conversations. Values are typed explicitly:
 * raw SQL has no column to infer a parameter's type from.
 */
async function writeSummaries(tx: Db, updates: SummaryUpdate[]) {
  if (updates.length === 0) return;
  const ts = (d: Date | null): SQL => (d ? sql`${d.toISOString()}::timestamptz` : sql`null::timestamptz`);
  const text = (v: string | null): SQL => sql`${v}::text`;
  const int = (v: number | null): SQL => sql`${v}::int`;
  const values = updates.map(
    (u) => sql`(${u.id}::uuid, ${text(u.summary.direction)}, ${text(u.summary.externalNumber)},
      ${text(u.summary.externalNumberRaw)}, ${text(u.summary.extension)}, ${text(u.summary.outcome)},
      ${ts(u.summary.startedAt)}, ${ts(u.summary.answeredAt)}, ${ts(u.summary.endedAt)}, ${int(u.summary.durationSeconds)},
      ${int(u.summary.talkSeconds)}, ${int(u.summary.legCount)}, ${u.summary.awaitingRecordings}::boolean,
      ${ts(u.finalSeenAt)}, ${ts(u.lastEventAt)}, ${ts(u.settleDueAt)}, ${ts(u.settledAt)})`,
  );
  await tx.execute(sql`
    update ${conversations} as c set
      direction = v.direction, external_number = v.external_number, external_number_raw = v.external_number_raw,
      extension = v.extension, outcome = v.outcome, started_at = v.started_at, answered_at = v.answered_at,
      ended_at = v.ended_at, duration_seconds = v.duration_seconds, talk_seconds = v.talk_seconds,
      leg_count = v.leg_count, awaiting_recordings = v.awaiting_recordings, final_seen_at = v.final_seen_at,
      last_event_at = greatest(c.last_event_at, v.last_event_at), settle_due_at = v.settle_due_at,
      settled_at = coalesce(c.settled_at, v.settled_at), revision = c.revision + 1, updated_at = now()
    from (values ${sql.join(values, sql`, `)}) as v(id, direction, external_number, external_number_raw, extension,
      outcome, started_at, answered_at, ended_at, duration_seconds, talk_seconds, leg_count, awaiting_recordings,
      final_seen_at, last_event_at, settle_due_at, settled_at)
    where c.id = v.id`);
}

function excludedColumns(names: string[]) {
  return Object.fromEntries(names.map((n) => [n.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), sql.raw(`excluded.${n}`)]));
}

function groupBy<T extends { conversationId: string }>(rows: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const row of rows) {
    const list = out.get(row.conversationId);
    if (list) list.push(row);
    else out.set(row.conversationId, [row]);
  }
  return out;
}

/** One row per leg; several copies of one leg collapse to the greatest version. */
async function legRowsFor(conversationId: string, events: Touched['events']) {
  const rows = new Map<string, LegRow>();
  for (const { event, inboxEventId } of events) {
    if (event.kind !== 'leg') continue;
    const row: LegRow = {
      conversationId,
      legKey: event.legKey,
      direction: event.direction,
      fromRaw: event.from,
      toRaw: event.to,
      extension: event.extension,
      startedAt: event.startedAt,
      answeredAt: event.answeredAt,
      endedAt: event.endedAt,
      disposition: event.disposition,
      talkSeconds: legTalkSeconds(event),
      final: event.final,
      recorded: event.recorded,
      version: await legVersion(event),
      inboxEventId,
    };
    const existing = rows.get(event.legKey);
    if (!existing || existing.version < row.version) rows.set(event.legKey, row);
  }
  return [...rows.values()];
}

async function recordingRowsFor(conversationId: string, events: Touched['events']) {
  const rows = new Map<string, RecordingRow>();
  const add = async (legKey: string, ref: RecordingRef, inboxEventId: number | null) => {
    const row: RecordingRow = {
      conversationId,
      recordingKey: ref.key,
      legKey,
      originUrl: ref.url,
      status: ref.status,
      version: await recordingVersion(legKey, ref),
      inboxEventId,
    };
    const existing = rows.get(ref.key);
    if (!existing || existing.version < row.version) rows.set(ref.key, row);
  };
  for (const { event, inboxEventId } of events) {
    if (event.kind === 'recording') await add(event.legKey, event.recording, inboxEventId);
    else if (event.recording) await add(event.legKey, event.recording, inboxEventId);
  }
  return [...rows.values()];
}

export function legTalkSeconds(leg: Pick<LegEnded, 'disposition' | 'answeredAt' | 'endedAt' | 'talkSeconds'>): number {
  if (leg.disposition !== 'answered') return 0;
  if (leg.talkSeconds !== null) return Math.max(0, Math.round(leg.talkSeconds));
  if (!leg.answeredAt) return 0;
  return Math.max(0, Math.round((leg.endedAt.getTime() - leg.answeredAt.getTime()) / 1000));
}
