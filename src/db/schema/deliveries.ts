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

export const DELIVERY_STATES = ['pending', 'delivered', 'failed', 'skipped'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

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
    /** Why a delivery is skipped or failed, in words an admin understands. */
    reason: text('reason'),
    uniq: text('uniq').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: instant('next_attempt_at'),
    lastAttemptAt: instant('last_attempt_at'),
    lastError: text('last_error'),
    /** The last attempt may have reached the CRM: look the uniq up before sending again. */
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
    index('deliveries_due')
      .on(t.crmAccountId, t.nextAttemptAt)
      .where(sql`${t.state} = 'pending'`),
    oneOf('deliveries_state', t.state, DELIVERY_STATES),
  ],
);
