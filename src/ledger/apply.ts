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
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { json, queryRows, uuidArray } from '../db/raw';
import { conversations, legs, recordings } from '../db/schema';
import { legTalkSeconds, summarize, type ConversationSummary, type LegFacts, type RecordingFacts } from '../domain/assemble';
import { isConversationEvent, type CallEvent, type ConversationEvent, type LegEnded, type RecordingRef } from '../domain/events';
import { settleDueAt } from '../domain/settle';
import type { LedgerContext } from './context';
import { joinConversations } from './joins';
import { deliveryRows, deliveryInsert, queueNoteUpdates, refreshDeliveryDecision, type Settleable } from './settle';
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

/** Rows as json_to_recordset reads them (column names). */
interface LegRow {
  conversation_id: string;
  leg_key: string;
  direction: string | null;
  direction_rule: string | null;
  from_raw: string | null;
  to_raw: string | null;
  extension: string | null;
  line: string | null;
  links: string[] | null;
  started_at: Date;
  answered_at: Date | null;
  ended_at: Date;
  disposition: string;
  talk_seconds: number;
  final: boolean;
  recorded: boolean | null;
  version: string;
  inbox_event_id: number | null;
}
interface RecordingRow {
  conversation_id: string;
  recording_key: string;
  leg_key: string;
  origin_url: string | null;
  vendor_ref: string | null;
  status: string;
  version: string;
  inbox_event_id: number | null;
}

interface Touched {
  source: string;
  callKey: string;
  uniq: string;
  lastEventAt: Date;
  /** The PBX said the conversation is over (the earliest such time among the events). */
  closedAt: Date | null;
  events: { event: ConversationEvent; inboxEventId: number | null }[];
}

/** @param now the present; differs from receivedAt when a stored body is replayed. */
export async function applyEvents(tx: Db, ctx: LedgerContext, bodies: readonly ApplyItem[], now: Date): Promise<ApplyResult> {
  const { items, merged } = await joinConversations(tx, bodies, ctx.conversationSource);
  const touched = groupByConversation(items, ctx.conversationSource);
  if (touched.length === 0) return { conversations: 0, changed: 0, settled: 0 };

  // Ordered in SQL, so every transaction locks conversations in the same order.
  // xmax = 0: the row was inserted by this statement, not updated (a new conversation).
  const rows = await queryRows<{ id: string; source: string; call_key: string; settled: boolean; inserted: boolean; closed: boolean }>(
    tx,
    sql`insert into ${conversations} as c (source, call_key, uniq, last_event_at, closed_at)
        select x.source, x.call_key, x.uniq, x.last_event_at, x.closed_at
          from json_to_recordset(${json(touched.map((t) => ({ source: t.source, call_key: t.callKey, uniq: t.uniq, last_event_at: t.lastEventAt, closed_at: t.closedAt })))})
            as x(source text, call_key text, uniq text, last_event_at timestamptz, closed_at timestamptz)
         order by x.source collate "C", x.call_key collate "C"
        on conflict (source, call_key) do update set call_key = excluded.call_key,
          closed_at = coalesce(c.closed_at, excluded.closed_at)
        returning id, source, call_key, settled_at is not null as settled, (xmax = 0) as inserted, closed_at is not null as closed`,
  );
  const idOf = new Map(rows.map((r) => [`${r.source}\n${r.call_key}`, r]));
  const conversationOf = (t: Touched) => {
    const row = idOf.get(`${t.source}\n${t.callKey}`);
    if (!row) throw new Error(`conversation ${t.callKey} was neither inserted nor found`);
    return row;
  };

  const legRows: LegRow[] = [];
  const recordingRows: RecordingRow[] = [];
  for (const t of touched) {
    const { id } = conversationOf(t);
    legRows.push(...legRowsFor(id, t.events));
    recordingRows.push(...recordingRowsFor(id, t.events));
  }
  const changed = new Set<string>();
  // Conversations that took in another's legs are summarized again.
  for (const m of merged) {
    const row = idOf.get(`${m.source}\n${m.callKey}`);
    if (row) changed.add(row.id);
  }
  // A close on its own changes nothing stored but when the call may settle.
  for (const t of touched) if (t.closedAt && !conversationOf(t).settled) changed.add(conversationOf(t).id);
  if (legRows.length) {
    const written = await queryRows<{ conversation_id: string }>(
      tx,
      sql`insert into ${legs} (conversation_id, leg_key, direction, direction_rule, from_raw, to_raw, extension, line,
            links, started_at, answered_at, ended_at, disposition, talk_seconds, final, recorded, version, inbox_event_id)
          select x.conversation_id, x.leg_key, x.direction, x.direction_rule, x.from_raw, x.to_raw, x.extension, x.line,
                 (select array_agg(value) from json_array_elements_text(x.links)), x.started_at, x.answered_at, x.ended_at,
                 x.disposition, x.talk_seconds, x.final, x.recorded, x.version, x.inbox_event_id
            from json_to_recordset(${json(legRows)})
            as x(conversation_id uuid, leg_key text, direction text, direction_rule text, from_raw text, to_raw text,
                 extension text, line text, links json, started_at timestamptz, answered_at timestamptz, ended_at timestamptz,
                 disposition text, talk_seconds int, final boolean, recorded boolean, version text, inbox_event_id bigint)
          on conflict (conversation_id, leg_key) do update set
            direction = excluded.direction, direction_rule = excluded.direction_rule, from_raw = excluded.from_raw,
            to_raw = excluded.to_raw, extension = excluded.extension, line = excluded.line, links = excluded.links, started_at = excluded.started_at, answered_at = excluded.answered_at,
            ended_at = excluded.ended_at, disposition = excluded.disposition, talk_seconds = excluded.talk_seconds,
            final = excluded.final, recorded = excluded.recorded, version = excluded.version,
            inbox_event_id = excluded.inbox_event_id, updated_at = now()
          where ${legs.version} < excluded.version
          returning conversation_id`,
    );
    for (const w of written) changed.add(w.conversation_id);
  }
  if (recordingRows.length) {
    const written = await queryRows<{ conversation_id: string }>(
      tx,
      sql`insert into ${recordings} (conversation_id, recording_key, leg_key, origin_url, vendor_ref, status, version,
            inbox_event_id, fetch_state, next_fetch_at)
          select x.conversation_id, x.recording_key, x.leg_key, x.origin_url, x.vendor_ref, x.status, x.version, x.inbox_event_id,
                 -- a file we know how to reach (a URL, a path, or the vendor's id) is to be fetched
                 case when x.status = 'referenced' and (x.origin_url is not null or x.vendor_ref is not null)
                      then 'waiting' else 'skipped' end,
                 case when x.status = 'referenced' and (x.origin_url is not null or x.vendor_ref is not null)
                      then ${now.toISOString()}::timestamptz end
            from json_to_recordset(${json(recordingRows)})
            as x(conversation_id uuid, recording_key text, leg_key text, origin_url text, vendor_ref text, status text,
                 version text, inbox_event_id bigint)
          on conflict (conversation_id, recording_key) do update set
            leg_key = excluded.leg_key, origin_url = coalesce(excluded.origin_url, ${recordings.originUrl}),
            vendor_ref = coalesce(excluded.vendor_ref, ${recordings.vendorRef}), status = excluded.status,
            version = excluded.version, inbox_event_id = excluded.inbox_event_id, updated_at = now(),
            -- a copy we already have stays; one not fetched yet follows the newer facts
            fetch_state = case when ${recordings.fetchState} in ('archived', 'purged') then ${recordings.fetchState}
                               else excluded.fetch_state end,
            next_fetch_at = case when ${recordings.fetchState} in ('archived', 'purged') then null
                                 when excluded.fetch_state = 'waiting' then coalesce(${recordings.nextFetchAt}, excluded.next_fetch_at) end
          where ${recordings.version} < excluded.version
          returning conversation_id`,
    );
    for (const w of written) changed.add(w.conversation_id);
  }
  if (changed.size === 0) return { conversations: touched.length, changed: 0, settled: 0 };

  // A conversation this statement inserted has exactly the legs and recordings just written;
  // only conversations that existed before need theirs read back.
  const facts = new Map<string, { legs: LegFacts[]; recordings: RecordingFacts[] }>();
  for (const row of rows) if (row.inserted && changed.has(row.id)) facts.set(row.id, { legs: [], recordings: [] });
  for (const l of legRows) facts.get(l.conversation_id)?.legs.push(legFacts(l));
  for (const r of recordingRows) facts.get(r.conversation_id)?.recordings.push({ legKey: r.leg_key });
  const existing = [...changed].filter((id) => !facts.has(id));
  if (existing.length) for (const [id, f] of await readFacts(tx, existing)) facts.set(id, f);

  const updates: SummaryUpdate[] = [];
  const toSettle: Settleable[] = [];
  const settledChanged: { id: string; summary: ConversationSummary }[] = [];
  for (const t of touched) {
    const row = conversationOf(t);
    if (!changed.has(row.id)) continue;
    const f = facts.get(row.id);
    if (!f) throw new Error(`no facts read for conversation ${row.id}`);
    const summary = closedSummary(summarize(f.legs, f.recordings, ctx.rulesFor(t.source)), row.closed);
    const due = row.settled
      ? null
      : settleDueAt(
          {
            final: summary.final,
            awaitingRecordings: summary.awaitingRecordings,
            // Once the PBX said the call is over, no more of its records are to be waited for.
            tentativeFinal: ctx.tentativeFinalSources.has(t.source) && !row.closed,
            lastEventAt: t.lastEventAt,
          },
          ctx.settleSeconds,
        );
    const settleNow = due !== null && due <= now;
    updates.push({
      id: row.id,
      summary,
      lastEventAt: t.lastEventAt,
      settleDueAt: settleNow ? null : due,
      settledAt: settleNow ? now : null,
    });
    if (settleNow) toSettle.push({ id: row.id, uniq: t.uniq, ...summary });
    if (row.settled) settledChanged.push({ id: row.id, summary });
  }
  await writeSummaries(tx, ctx, updates, deliveryRows(toSettle, now));
  for (const c of settledChanged) await refreshDeliveryDecision(tx, c.id, c.summary);
  await queueNoteUpdates(tx, settledChanged.map((c) => c.id), now);
  return { conversations: touched.length, changed: changed.size, settled: toSettle.length };
}

/** A conversation the PBX closed has ended, whichever of its legs are final. */
function closedSummary(summary: ConversationSummary, closed: boolean): ConversationSummary {
  return closed && summary.legCount > 0 && !summary.final ? { ...summary, final: true } : summary;
}

/**
 * Conversations in key order, each with its events and the latest arrival among them. A source's
 * conversations live in its family's key space (FreePBX's cdr rows are Asterisk CDRs: one call
 * read from Master.csv and from the poller is one conversation).
 */
function groupByConversation(items: readonly ApplyItem[], conversationSource: (source: string) => string): Touched[] {
  const byKey = new Map<string, Touched>();
  for (const item of items) {
    const source = conversationSource(item.source);
    for (const event of item.events) {
      if (!isConversationEvent(event)) continue;
      const key = `${source}\n${event.callKey}`;
      let t = byKey.get(key);
      if (!t) {
        t = { source, callKey: event.callKey, uniq: '', lastEventAt: item.receivedAt, closedAt: null, events: [] };
        byKey.set(key, t);
      }
      if (item.receivedAt > t.lastEventAt) t.lastEventAt = item.receivedAt;
      if (event.kind === 'closed') {
        const at = event.at ?? item.receivedAt;
        if (t.closedAt === null || at < t.closedAt) t.closedAt = at;
      }
      t.events.push({ event, inboxEventId: item.inboxEventId });
    }
  }
  const touched = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, t]) => t);
  for (const t of touched) t.uniq = conversationUniq(t.source, t.callKey);
  return touched;
}

interface SummaryUpdate {
  id: string;
  summary: ConversationSummary;
  lastEventAt: Date;
  settleDueAt: Date | null;
  settledAt: Date | null;
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
      external_number_raw = v.external_number_raw, external_number_note = v.external_number_note, extension = v.extension, outcome = v.outcome, started_at = v.started_at, answered_at = v.answered_at,
      ended_at = v.ended_at, duration_seconds = v.duration_seconds, talk_seconds = v.talk_seconds,
      leg_count = v.leg_count, awaiting_recordings = v.awaiting_recordings,
      final_seen_at = case when v.final then coalesce(c.final_seen_at, v.last_event_at) end,
      last_event_at = greatest(c.last_event_at, v.last_event_at), settle_due_at = v.settle_due_at,
      settled_at = coalesce(c.settled_at, v.settled_at), revision = c.revision + 1, updated_at = now()
    from json_to_recordset(${json(values)}) as v(id uuid, direction text, direction_rule text, external_number text,
      external_number_raw text, external_number_note text, extension text, outcome text, started_at timestamptz, answered_at timestamptz,
      ended_at timestamptz, duration_seconds int, talk_seconds int, leg_count int, awaiting_recordings boolean,
      final boolean, last_event_at timestamptz, settle_due_at timestamptz, settled_at timestamptz)
    where c.id = v.id and c.id = any(${uuidArray(updates.map((u) => u.id))})
    returning c.id)
    ${deliveries.length ? sql`, ${deliveryInsert(ctx, deliveries)}` : sql``}
    select count(*) from summaries`);
}

function legFacts(l: LegRow): LegFacts {
  return {
    legKey: l.leg_key,
    direction: l.direction as LegFacts['direction'],
    directionRule: l.direction_rule,
    fromRaw: l.from_raw,
    toRaw: l.to_raw,
    extension: l.extension,
    line: l.line,
    startedAt: l.started_at,
    answeredAt: l.answered_at,
    endedAt: l.ended_at,
    disposition: l.disposition as LegFacts['disposition'],
    talkSeconds: l.talk_seconds,
    final: l.final,
    recorded: l.recorded,
  };
}

/** Legs and recordings of existing conversations, in one statement. */
async function readFacts(tx: Db, ids: string[]) {
  const rows = await queryRows<{ id: string; legs: Record<string, unknown>[] | null; recordings: string[] | null }>(
    tx,
    sql`select c.id,
          (select json_agg(json_build_object('leg_key', l.leg_key, 'direction', l.direction, 'direction_rule', l.direction_rule,
             'from_raw', l.from_raw, 'to_raw', l.to_raw, 'extension', l.extension, 'line', l.line, 'started_at', l.started_at, 'answered_at', l.answered_at,
             'ended_at', l.ended_at, 'disposition', l.disposition, 'talk_seconds', l.talk_seconds, 'final', l.final,
             'recorded', l.recorded)) from ${legs} l where l.conversation_id = c.id) as legs,
          (select json_agg(r.leg_key) from ${recordings} r where r.conversation_id = c.id) as recordings
        from ${conversations} c where c.id = any(${uuidArray(ids)})`,
  );
  const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));
  return new Map(
    rows.map((row) => [
      row.id,
      {
        legs: (row.legs ?? []).map(
          (l): LegFacts => ({
            legKey: l.leg_key as string,
            direction: l.direction as LegFacts['direction'],
            directionRule: (l.direction_rule as string | null) ?? null,
            fromRaw: l.from_raw as string | null,
            toRaw: l.to_raw as string | null,
            extension: l.extension as string | null,
            line: (l.line as string | null) ?? null,
            startedAt: date(l.started_at) as Date,
            answeredAt: date(l.answered_at),
            endedAt: date(l.ended_at) as Date,
            disposition: l.disposition as LegFacts['disposition'],
            talkSeconds: l.talk_seconds as number,
            final: l.final as boolean,
            recorded: l.recorded as boolean | null,
          }),
        ),
        recordings: (row.recordings ?? []).map((legKey): RecordingFacts => ({ legKey })),
      },
    ]),
  );
}

/** One row per leg; several copies of one leg collapse to the greatest version. */
function legRowsFor(conversationId: string, events: Touched['events']): LegRow[] {
  const rows = new Map<string, LegRow>();
  for (const { event, inboxEventId } of events) {
    if (event.kind !== 'leg') continue;
    const row: LegRow = {
      conversation_id: conversationId,
      leg_key: event.legKey,
      direction: event.direction,
      direction_rule: event.directionRule ?? null,
      from_raw: event.from,
      to_raw: event.to,
      extension: event.extension,
      line: event.line ?? null,
      links: event.joins?.length ? event.joins : null,
      started_at: event.startedAt,
      answered_at: event.answeredAt,
      ended_at: event.endedAt,
      disposition: event.disposition,
      talk_seconds: legTalkSeconds(event),
      final: event.final,
      recorded: event.recorded,
      version: legVersion(event),
      inbox_event_id: inboxEventId,
    };
    const existing = rows.get(event.legKey);
    if (!existing || existing.version < row.version) rows.set(event.legKey, row);
  }
  return [...rows.values()];
}

function recordingRowsFor(conversationId: string, events: Touched['events']): RecordingRow[] {
  const rows = new Map<string, RecordingRow>();
  const add = (legKey: string, ref: RecordingRef, inboxEventId: number | null) => {
    const row: RecordingRow = {
      conversation_id: conversationId,
      recording_key: ref.key,
      leg_key: legKey,
      origin_url: ref.url,
      vendor_ref: ref.vendorRef ?? null,
      status: ref.status,
      version: recordingVersion(legKey, ref),
      inbox_event_id: inboxEventId,
    };
    const existing = rows.get(ref.key);
    if (!existing || existing.version < row.version) rows.set(ref.key, row);
  };
  for (const { event, inboxEventId } of events) {
    if (event.kind === 'recording') add(event.legKey, event.recording, inboxEventId);
    else if (event.kind === 'leg' && event.recording) add(event.legKey, event.recording, inboxEventId);
  }
  return [...rows.values()];
}
