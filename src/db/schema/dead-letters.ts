/**
 * dead_letters: what Cloudflare Queues could not get done (Workers). A message whose handling
 * throws is recorded here as it is retried (the error and the attempts, which the dead-letter
 * queue does not carry), and marked dead when the dead-letter queue's consumer receives it after
 * the last retry; a message that succeeds on a retry takes its row away. The console lists the
 * dead ones (/admin/dead-letters). Messages carry ids only (an inbox body's, a CRM account's), and
 * errors are stored masked: no phone number reaches this table.
 * @module
 */
import { bigint, index, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { instant } from './columns';

export const deadLetters = pgTable(
  'dead_letters',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    /** The queue the message was for: "inbox" or "deliveries" ("unknown" for an unreadable one). */
    queue: text('queue').notNull(),
    messageId: text('message_id').notNull(),
    /** What the message asked for, e.g. "apply inbox body 42"; ids only. */
    summary: text('summary').notNull(),
    /** How many times the queue handed it over and its handling threw (null: none was recorded). */
    attempts: integer('attempts'),
    error: text('error'),
    firstFailedAt: instant('first_failed_at').notNull(),
    lastFailedAt: instant('last_failed_at').notNull(),
    /** Set when the dead-letter queue delivered it: retries are over. Null: still being retried. */
    diedAt: instant('died_at'),
  },
  (t) => [uniqueIndex('dead_letters_message_id').on(t.messageId), index('dead_letters_died_at').on(t.diedAt)],
);
