/**
 * recordings: what the PBX recorded for a conversation, one row per file or segment.
 * @module
 */
import { sql } from 'drizzle-orm';
import { bigint, index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { conversations } from './conversations';
import { instant, oneOf, timestamps } from './columns';
import { inboxEvents } from './inbox-events';
import { FETCH_STATES, RECORDING_STATUSES } from '../../domain/call';

export const recordings = pgTable(
  'recordings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    recordingKey: text('recording_key').notNull(),
    /** The leg this recording belongs to (defaults to the conversation's own call id). */
    legKey: text('leg_key').notNull(),
    /** Where the PBX keeps it: an http(s) URL or a path on the PBX host. */
    originUrl: text('origin_url'),
    /**
     * The vendor's id of the file when its URL must be asked for (Zadarma's call_id_with_rec,
     * Mango's recording_id): origin_url stays empty until the source's API gives it.
     */
    vendorRef: text('vendor_ref'),
    /** Getting the file (asking the vendor for its link, later downloading it): tries and schedule. */
    fetchAttempts: integer('fetch_attempts').notNull().default(0),
    nextFetchAt: instant('next_fetch_at'),
    fetchError: text('fetch_error'),
    fetchState: text('fetch_state', { enum: FETCH_STATES }).notNull().default('skipped'),
    /** Our copy of the file as the PBX gave it (WAV or MP3), and what it is. */
    archiveKey: text('archive_key'),
    sha256: text('sha256'),
    bytes: integer('bytes'),
    format: text('format'),
    archivedAt: instant('archived_at'),
    status: text('status', { enum: RECORDING_STATUSES }).notNull(),
    version: text('version').notNull(),
    inboxEventId: bigint('inbox_event_id', { mode: 'number' }).references(() => inboxEvents.id, {
      onDelete: 'set null',
    }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('recordings_conversation_recording_key').on(t.conversationId, t.recordingKey),
    index('recordings_fetch_due').on(t.nextFetchAt).where(sql`${t.nextFetchAt} is not null`),
    oneOf('recordings_status', t.status, RECORDING_STATUSES),
    oneOf('recordings_fetch_state', t.fetchState, FETCH_STATES),
  ],
);
