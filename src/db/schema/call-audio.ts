/**
 * call_audio: the one MP3 of a conversation, built from its recordings in order (a transfer's
 * segments joined) and archived. Its id is the public id in /recordings/:id.mp3 — it stays the
 * same when a late segment rebuilds the file, so the link in the CRM note keeps working.
 * @module
 */
import { boolean, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { conversations } from './conversations';
import { instant, timestamps } from './columns';

export const callAudio = pgTable(
  'call_audio',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    storageKey: text('storage_key').notNull(),
    sha256: text('sha256').notNull(),
    bytes: integer('bytes').notNull(),
    durationMs: integer('duration_ms').notNull(),
    /** Which recordings (id and checksum, in order) the file was built from. */
    builtFrom: jsonb('built_from').$type<{ id: string; sha256: string }[]>().notNull(),
    /** false: a single MP3 from the PBX, stored as is. */
    transcoded: boolean('transcoded').notNull(),
    /** Deleted by retention after this (null: kept). */
    expiresAt: instant('expires_at'),
    purgedAt: instant('purged_at'),
    ...timestamps,
  },
  (t) => [uniqueIndex('call_audio_conversation').on(t.conversationId)],
);
