/**
 * Applies parsed call events to the ledger inside the caller's transaction.
 *
 * Per conversation: lock its row (insert-or-touch), upsert legs and recordings by their natural
 * keys (a copy replaces the stored one only if its version is greater), and when anything changed,
 * recompute the summary from all legs and recordings and settle it if it is complete.
 * Conversations are handled in key order so concurrent bodies never deadlock.
 * @module
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { conversations, legs, recordings } from '../db/schema';
import { summarize } from '../domain/assemble';
import type { CallEvent, LegEnded, RecordingRef } from '../domain/events';
import { settleDueAt } from '../domain/settle';
import type { LedgerContext } from './context';
import { refreshDeliveryDecision, settleConversations } from './settle';
import { conversationUniq, legVersion, recordingVersion } from './versions';

export interface ApplyInput {
  source: string;
  events: readonly CallEvent[];
  inboxEventId: number | null;
  /** When the events arrived (drives SETTLE_SECONDS). */
  receivedAt: Date;
  /** The present; differs from receivedAt when a stored body is replayed. */
  now: Date;
}

export interface ApplyResult {
  conversations: number;
  changed: number;
  settled: number;
}

type LegRow = typeof legs.$inferInsert;
type RecordingRow = typeof recordings.$inferInsert;

export async function applyEvents(tx: Db, ctx: LedgerContext, input: ApplyInput): Promise<ApplyResult> {
  const byCall = new Map<string, CallEvent[]>();
  for (const event of input.events) {
    const list = byCall.get(event.callKey);
    if (list) list.push(event);
    else byCall.set(event.callKey, [event]);
  }
  const result: ApplyResult = { conversations: byCall.size, changed: 0, settled: 0 };
  for (const callKey of [...byCall.keys()].sort()) {
    const outcome = await applyToConversation(tx, ctx, input, callKey, byCall.get(callKey) ?? []);
    if (outcome.changed) result.changed++;
    if (outcome.settled) result.settled++;
  }
  return result;
}

async function applyToConversation(
  tx: Db,
  ctx: LedgerContext,
  input: ApplyInput,
  callKey: string,
  events: CallEvent[],
): Promise<{ changed: boolean; settled: boolean }> {
  const uniq = await conversationUniq(input.source, callKey);
  // Insert-or-touch takes the row lock that serializes concurrent events of one conversation.
  const [conversation] = await tx
    .insert(conversations)
    .values({ source: input.source, callKey, uniq, lastEventAt: input.receivedAt })
    .onConflictDoUpdate({
      target: [conversations.source, conversations.callKey],
      set: { callKey: sql`excluded.call_key` },
    })
    .returning({ id: conversations.id, settledAt: conversations.settledAt, finalSeenAt: conversations.finalSeenAt });
  if (!conversation) throw new Error(`conversation ${callKey} was neither inserted nor found`);

  const legRows = await legRowsFor(conversation.id, events, input.inboxEventId);
  const recordingRows = await recordingRowsFor(conversation.id, events, input.inboxEventId);
  let changed = false;
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
      .returning({ id: legs.id });
    changed ||= written.length > 0;
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
      .returning({ id: recordings.id });
    changed ||= written.length > 0;
  }
  if (!changed) return { changed: false, settled: false };

  const full = await tx.query.conversations.findFirst({
    where: eq(conversations.id, conversation.id),
    columns: { id: true },
    with: {
      legs: {
        columns: {
          legKey: true, direction: true, fromRaw: true, toRaw: true, extension: true, startedAt: true,
          answeredAt: true, endedAt: true, disposition: true, talkSeconds: true, final: true, recorded: true,
        },
      },
      recordings: { columns: { legKey: true } },
    },
  });
  if (!full) throw new Error(`conversation ${conversation.id} vanished inside its own transaction`);
  const summary = summarize(full.legs, full.recordings, ctx.rules);
  const finalSeenAt = summary.final ? (conversation.finalSeenAt ?? input.receivedAt) : null;
  const due = conversation.settledAt
    ? null
    : settleDueAt(
        { final: summary.final, awaitingRecordings: summary.awaitingRecordings, lastEventAt: input.receivedAt },
        ctx.settleSeconds,
      );
  const { final: _final, ...columns } = summary;
  await tx
    .update(conversations)
    .set({
      ...columns,
      finalSeenAt,
      lastEventAt: sql`greatest(${conversations.lastEventAt}, ${input.receivedAt.toISOString()}::timestamptz)`,
      settleDueAt: due,
      revision: sql`${conversations.revision} + 1`,
      updatedAt: sql`now()`,
    })
    .where(and(eq(conversations.id, conversation.id)));

  if (conversation.settledAt) {
    await refreshDeliveryDecision(tx, conversation.id, summary);
    return { changed: true, settled: false };
  }
  if (due && due <= input.now) {
    await settleConversations(tx, ctx, [{ id: conversation.id, uniq, ...summary }], input.now);
    return { changed: true, settled: true };
  }
  return { changed: true, settled: false };
}

function excludedColumns(names: string[]) {
  return Object.fromEntries(names.map((n) => [snakeToCamel(n), sql.raw(`excluded.${n}`)]));
}
function snakeToCamel(s: string) {
  return s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** One row per leg; several copies of one leg in a single body collapse to the greatest version. */
async function legRowsFor(conversationId: string, events: CallEvent[], inboxEventId: number | null) {
  const rows = new Map<string, LegRow>();
  for (const event of events) {
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

async function recordingRowsFor(conversationId: string, events: CallEvent[], inboxEventId: number | null) {
  const rows = new Map<string, RecordingRow>();
  const add = async (legKey: string, ref: RecordingRef) => {
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
  for (const event of events) {
    if (event.kind === 'recording') await add(event.legKey, event.recording);
    else if (event.recording) await add(event.legKey, event.recording);
  }
  return [...rows.values()];
}

export function legTalkSeconds(leg: Pick<LegEnded, 'disposition' | 'answeredAt' | 'endedAt' | 'talkSeconds'>): number {
  if (leg.disposition !== 'answered') return 0;
  if (leg.talkSeconds !== null) return Math.max(0, Math.round(leg.talkSeconds));
  if (!leg.answeredAt) return 0;
  return Math.max(0, Math.round((leg.endedAt.getTime() - leg.answeredAt.getTime()) / 1000));
}
