/**
 * Settling: a complete conversation gets its delivery row (the outbox) — pending for the CRM, or
 * skipped with the reason when it must not go there (internal calls).
 * @module
 */
import { and, asc, eq, inArray, isNotNull, isNull, lte, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { json } from '../db/raw';
import { conversations, crmAccounts, deliveries } from '../db/schema';
import { deliveryDecision } from '../domain/settle';
import type { ConversationSummary } from '../domain/assemble';
import type { LedgerContext } from './context';

export type Settleable = { id: string; uniq: string } & Pick<
  ConversationSummary,
  'direction' | 'directionRule' | 'externalNumber' | 'externalNumberRaw' | 'externalNumberNote' | 'legCount'
>;

/** Marks the conversations settled and writes one delivery per conversation for the CRM account. */
export async function settleConversations(tx: Db, ctx: LedgerContext, rows: Settleable[], now: Date): Promise<void> {
  if (rows.length === 0) return;
  await tx
    .update(conversations)
    .set({ settledAt: now, settleDueAt: null, updatedAt: sql`now()` })
    .where(
      and(
        inArray(
          conversations.id,
          rows.map((r) => r.id),
        ),
        isNull(conversations.settledAt),
      ),
    );
  await tx.execute(sql`with ${deliveryInsert(ctx, deliveryRows(rows, now))} select 1`);
}

/** The delivery row of each settled conversation: pending, or skipped with the reason. */
export function deliveryRows(rows: Settleable[], now: Date) {
  return rows.map((row) => {
    const decision = deliveryDecision(row);
    return {
      conversation_id: row.id,
      uniq: row.uniq,
      state: decision.deliver ? 'pending' : 'skipped',
      reason: decision.deliver ? null : decision.reason,
      next_attempt_at: decision.deliver ? now : null,
    };
  });
}

/**
 * CTEs (for a WITH clause) inserting delivery rows, creating the CRM account row on first use:
 * the foreign key is checked at the end of the statement, after the account insert.
 */
export function deliveryInsert(ctx: LedgerContext, values: ReturnType<typeof deliveryRows>): SQL {
  return sql`account as (
      insert into ${crmAccounts} (id, kind, base_url) values (${ctx.crm.accountId}, ${ctx.crm.kind}, ${ctx.crm.baseUrl ?? null})
      on conflict (id) do nothing
    ),
    new_deliveries as (
      insert into ${deliveries} (conversation_id, crm_account_id, uniq, state, reason, next_attempt_at)
      select x.conversation_id, ${ctx.crm.accountId}, x.uniq, x.state, x.reason, x.next_attempt_at
        from json_to_recordset(${json(values)})
          as x(conversation_id uuid, uniq text, state text, reason text, next_attempt_at timestamptz)
      on conflict (conversation_id, crm_account_id) do nothing
    )`;
}

/**
 * A late leg can change what a settled call is (an "internal" call turns out to have an outside
 * party). Deliveries nobody has attempted yet follow the new facts; attempted ones are left to
 * the delivery worker, which sees the bumped revision.
 */
export async function refreshDeliveryDecision(tx: Db, conversationId: string, summary: Omit<Settleable, 'id' | 'uniq'>) {
  const decision = deliveryDecision(summary);
  await tx
    .update(deliveries)
    .set({
      state: decision.deliver ? 'pending' : 'skipped',
      reason: decision.deliver ? null : decision.reason,
      nextAttemptAt: decision.deliver ? sql`coalesce(${deliveries.nextAttemptAt}, now())` : null,
      updatedAt: sql`now()`,
    })
    .where(and(eq(deliveries.conversationId, conversationId), inArray(deliveries.state, ['pending', 'skipped']), eq(deliveries.attempts, 0)));
}

/**
 * A settled conversation changed (a late leg or recording) after its note was written: the note
 * is brought up to date by an update step, never a second note. Unknown-caller leads and calls
 * without a note have nothing to update.
 */
export async function queueNoteUpdates(tx: Db, conversationIds: string[], now: Date): Promise<void> {
  if (conversationIds.length === 0) return;
  await tx
    .update(deliveries)
    .set({ state: 'pending', step: 'update', attempts: 0, nextAttemptAt: now, updatedAt: sql`now()` })
    .where(and(inArray(deliveries.conversationId, conversationIds), eq(deliveries.state, 'delivered'), sql`${deliveries.crmRefs} ? 'note_id'`));
}

/**
 * Settles every conversation whose SETTLE_SECONDS have run out. Safe to run from several
 * processes at once: rows are claimed with FOR UPDATE SKIP LOCKED.
 */
export async function settleDue(db: Db, ctx: LedgerContext, now: Date, batchSize = 200): Promise<number> {
  let total = 0;
  for (;;) {
    const settled = await db.transaction(async (tx) => {
      const due = await tx
        .select({
          id: conversations.id,
          uniq: conversations.uniq,
          direction: conversations.direction,
          directionRule: conversations.directionRule,
          externalNumber: conversations.externalNumber,
          externalNumberRaw: conversations.externalNumberRaw,
          externalNumberNote: conversations.externalNumberNote,
          legCount: conversations.legCount,
        })
        .from(conversations)
        .where(and(isNull(conversations.settledAt), isNotNull(conversations.finalSeenAt), lte(conversations.settleDueAt, now)))
        .orderBy(asc(conversations.settleDueAt))
        .limit(batchSize)
        .for('update', { skipLocked: true });
      await settleConversations(tx, ctx, due, now);
      return due.length;
    });
    total += settled;
    if (settled < batchSize) return total;
  }
}
