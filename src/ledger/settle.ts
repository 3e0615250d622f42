/**
 * Settling: a complete conversation gets its delivery row (the outbox) — pending for the CRM, or
 * skipped with the reason when it must not go there (internal calls).
 * @module
 */
import { and, asc, eq, inArray, isNotNull, isNull, lte, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { conversations, crmAccounts, deliveries } from '../db/schema';
import { deliveryDecision } from '../domain/settle';
import type { ConversationSummary } from '../domain/assemble';
import type { LedgerContext } from './context';

type Settleable = { id: string; uniq: string } & Pick<
  ConversationSummary,
  'direction' | 'externalNumber' | 'externalNumberRaw' | 'legCount'
>;

/**
 * Marks the conversations settled (unless the caller's own update already did) and writes one
 * delivery per conversation for the CRM account.
 */
export async function settleConversations(
  tx: Db,
  ctx: LedgerContext,
  rows: Settleable[],
  now: Date,
  options: { alreadyMarked?: boolean } = {},
): Promise<void> {
  if (rows.length === 0) return;
  await ensureCrmAccount(tx, ctx);
  if (!options.alreadyMarked) {
    await tx
      .update(conversations)
      .set({ settledAt: now, settleDueAt: null, updatedAt: sql`now()` })
      .where(and(inArray(conversations.id, rows.map((r) => r.id)), isNull(conversations.settledAt)));
  }
  await tx
    .insert(deliveries)
    .values(
      rows.map((row) => {
        const decision = deliveryDecision(row);
        return {
          conversationId: row.id,
          crmAccountId: ctx.crm.accountId,
          uniq: row.uniq,
          state: decision.deliver ? ('pending' as const) : ('skipped' as const),
          reason: decision.deliver ? null : decision.reason,
          nextAttemptAt: decision.deliver ? now : null,
        };
      }),
    )
    .onConflictDoNothing({ target: [deliveries.conversationId, deliveries.crmAccountId] });
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
    .where(
      and(
        eq(deliveries.conversationId, conversationId),
        inArray(deliveries.state, ['pending', 'skipped']),
        eq(deliveries.attempts, 0),
      ),
    );
}

/** The account row the deliveries point at; created on first use, never changed here. */
async function ensureCrmAccount(tx: Db, ctx: LedgerContext) {
  await tx
    .insert(crmAccounts)
    .values({ id: ctx.crm.accountId, kind: ctx.crm.kind, baseUrl: ctx.crm.baseUrl ?? null })
    .onConflictDoNothing({ target: crmAccounts.id });
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
          externalNumber: conversations.externalNumber,
          externalNumberRaw: conversations.externalNumberRaw,
          legCount: conversations.legCount,
        })
        .from(conversations)
        .where(
          and(isNull(conversations.settledAt), isNotNull(conversations.finalSeenAt), lte(conversations.settleDueAt, now)),
        )
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
