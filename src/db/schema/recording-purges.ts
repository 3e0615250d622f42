/**
 * recording_purges: one row per retention run — what was deleted, what was kept and why — for
 * the admin report.
 * @module
 */
import { bigint, integer, jsonb, pgTable, uuid } from 'drizzle-orm/pg-core';
import { instant } from './columns';

export const recordingPurges = pgTable('recording_purges', {
  id: uuid('id').primaryKey().defaultRandom(),
  ranAt: instant('ran_at').notNull(),
  purgedCalls: integer('purged_calls').notNull(),
  purgedFiles: integer('purged_files').notNull(),
  freedBytes: bigint('freed_bytes', { mode: 'number' }).notNull(),
  /** Expired, but the call has not reached the CRM yet: the only copy stays. */
  keptPending: integer('kept_pending').notNull(),
  errors: jsonb('errors').$type<string[]>().notNull(),
});
