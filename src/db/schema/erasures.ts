/**
 * erasures: one row per deletion request by phone number (right to erasure), with what it
 * deleted. The number itself is not kept: a salted SHA-256 answers "was this number erased?"
 * and the last four digits let a person recognise the request.
 * @module
 */
import { integer, jsonb, pgTable, text, uuid, index } from 'drizzle-orm/pg-core';
import { instant } from './columns';

/** A call of the number that was kept because it is under legal hold. */
export interface ErasureKept {
  call_id: string;
  held_at: string;
  held_by: string | null;
  reason: string | null;
}

export const erasures = pgTable(
  'erasures',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    requestedAt: instant('requested_at').notNull(),
    /** Who asked (an actor name, as in the audit trail). */
    requestedBy: text('requested_by').notNull(),
    /** Random per request; phone_hash = sha256(salt + ":" + number in E.164 or digits). */
    salt: text('salt').notNull(),
    phoneHash: text('phone_hash').notNull(),
    phoneLast4: text('phone_last4').notNull(),
    callsDeleted: integer('calls_deleted').notNull(),
    recordingsDeleted: integer('recordings_deleted').notNull(),
    filesDeleted: integer('files_deleted').notNull(),
    bodiesDeleted: integer('bodies_deleted').notNull(),
    bodiesRedacted: integer('bodies_redacted').notNull(),
    /** Other rows that named the number: live calls, originations, cached caller cards, findings. */
    otherRows: integer('other_rows').notNull(),
    keptOnHold: jsonb('kept_on_hold').$type<ErasureKept[]>().notNull().default([]),
    errors: jsonb('errors').$type<string[]>().notNull().default([]),
  },
  (t) => [index('erasures_requested_at').on(t.requestedAt)],
);
