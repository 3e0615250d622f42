/**
 * pbx_cursors: where a poller (the FreePBX CDR table, a vendor's statistics API) has read up to,
 * so a restart resumes there and nothing is read twice or skipped.
 * @module
 */
import { jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { instant } from './columns';

export const pbxCursors = pgTable('pbx_cursors', {
  /** The poller, e.g. "freepbx". */
  source: text('source').primaryKey(),
  /** The poller's own position, e.g. {"calldate": "…", "uniqueid": "…"}. */
  position: jsonb('position').$type<Record<string, unknown>>().notNull(),
  updatedAt: instant('updated_at').notNull().defaultNow(),
});
