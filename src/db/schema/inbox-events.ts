/**
 * inbox_events: every accepted webhook body, stored raw before the PBX gets its 2xx.
 * The ledger can always be rebuilt by replaying this table through the source's parser.
 * @module
 */
import { sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { instant, oneOf } from './columns';
import { INBOX_STATUSES } from '../../domain/inbox';

export const inboxEvents = pgTable(
  'inbox_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    /** Which PBX adapter parses it: "generic", "zadarma", … */
    source: text('source').notNull(),
    /** Natural id of the delivery (a hash of the raw body unless the source has a better one). */
    dedupeKey: text('dedupe_key').notNull(),
    raw: text('raw').notNull(),
    /** What the parser needs besides the body (content type, query string), never secrets. */
    meta: jsonb('meta').$type<Record<string, string>>().notNull().default({}),
    status: text('status', { enum: INBOX_STATUSES }).notNull(),
    /** How many times processing was tried. */
    attempts: integer('attempts').notNull().default(1),
    error: text('error'),
    /** What the body held that is no call (dropped records with their reasons), for people reading the inbox. */
    note: text('note'),
    /**
     * When a failed event is tried again automatically (null once retries are exhausted); for a
     * queued one, when the Cron Trigger applies it if its queue message has not.
     */
    nextAttemptAt: instant('next_attempt_at'),
    receivedAt: instant('received_at').notNull(),
    processedAt: instant('processed_at'),
  },
  (t) => [
    uniqueIndex('inbox_events_source_dedupe_key').on(t.source, t.dedupeKey),
    // Failed bodies due for a retry, and queued ones a lost queue message left behind (jobs.ts).
    index('inbox_events_retry_due').on(t.nextAttemptAt).where(sql`${t.status} in ('failed', 'queued')`),
    oneOf('inbox_events_status', t.status, INBOX_STATUSES),
  ],
);
