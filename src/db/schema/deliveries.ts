/**
 * deliveries: the outbox. One row per conversation per CRM account, created when the
 * conversation settles; the delivery worker drains pending rows.
 * @module
 */
import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { conversations } from './conversations';
import { crmAccounts } from './crm-accounts';
import { instant, oneOf, timestamps } from './columns';
import { DELIVERY_STATES, DELIVERY_STEPS } from '../../domain/delivery';

export const deliveries = pgTable(
  'deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    crmAccountId: text('crm_account_id')
      .notNull()
      .references(() => crmAccounts.id),
    state: text('state', { enum: DELIVERY_STATES }).notNull(),
    step: text('step', { enum: DELIVERY_STEPS }).notNull().default('log'),
    /** Why a delivery is skipped or failed, in words an admin understands. */
    reason: text('reason'),
    uniq: text('uniq').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: instant('next_attempt_at'),
    lastAttemptAt: instant('last_attempt_at'),
    lastError: text('last_error'),
    /** The last attempt of `step` may have reached the CRM: look it up before sending again. */
    outcomeUnknown: boolean('outcome_unknown').notNull().default(false),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: instant('lease_expires_at'),
    /** Ids the CRM gave the call (note id, entity id and type). */
    crmRefs: jsonb('crm_refs').$type<Record<string, unknown>>(),
    /** conversations.revision that the CRM has seen; lower than the current one → update. */
    deliveredRevision: integer('delivered_revision'),
    deliveredAt: instant('delivered_at'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('deliveries_conversation_crm_account').on(t.conversationId, t.crmAccountId),
    index('deliveries_due').on(t.crmAccountId, t.nextAttemptAt).where(sql`${t.state} = 'pending'`),
    index('deliveries_state').on(t.crmAccountId, t.state),
    oneOf('deliveries_state', t.state, DELIVERY_STATES),
    oneOf('deliveries_step', t.step, DELIVERY_STEPS),
  ],
);
