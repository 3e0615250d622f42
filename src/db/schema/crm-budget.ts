/**
 * The request budget of each CRM account, shared by every process on this database: the starts
 * of the requests sent in the last window, and the account's pause (after a 429), its slowed rate
 * and which better priorities are waiting. Read and written only by the SQL function
 * calltrail_take_slot (migrations/0012_crm_budget_function.sql), under an advisory lock per
 * account, in one round trip per request (crm/shared-budget.ts).
 * @module
 */
import { doublePrecision, index, pgTable, text } from 'drizzle-orm/pg-core';
import { instant } from './columns';

export const crmBudgetRequests = pgTable(
  'crm_budget_requests',
  {
    account: text('account').notNull(),
    sentAt: instant('sent_at').notNull(),
  },
  (t) => [index('crm_budget_requests_account_sent').on(t.account, t.sentAt)],
);

export const crmBudgetState = pgTable('crm_budget_state', {
  account: text('account').primaryKey(),
  /** No request before this (a 429's Retry-After, for every process). */
  pausedUntil: instant('paused_until'),
  /** The share of the rate in force after 429s: halved on each, a tenth back per quiet 10 s. */
  scale: doublePrecision('scale').notNull().default(1),
  penalizedAt: instant('penalized_at'),
  /** A live request (a ring) waits for a slot until then: deliveries and listings hold back. */
  liveUntil: instant('live_until'),
  /** A delivery waits for a slot until then: listings and backfills hold back. */
  deliveryUntil: instant('delivery_until'),
});
