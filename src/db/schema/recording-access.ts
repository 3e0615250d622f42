/**
 * Who may still hear a recording, and which calls are recorded at all.
 *
 * recording_link_revocations: a link to a recording signed before `revoked_before` stops working.
 * `scope` is the call_audio id of one recording, `*` for every recording, or (once accounts exist)
 * `account:<id>` for one account's. Rows are only appended; the newest time per scope counts.
 *
 * recording_policies: record or skip the recordings of calls matching a rule (a CRM user, a
 * department, a line, a direction, or any combination; an empty field matches any call). A rule
 * applies to calls that start while it is in force (created_at … removed_at); removing a rule
 * keeps its row, so a call's "not recorded by policy (rule #N)" still names it.
 * @module
 */
import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, pgTable, text } from 'drizzle-orm/pg-core';
import { instant, oneOf } from './columns';

export const RECORDING_POLICY_ACTIONS = ['record', 'skip'] as const;
export const RECORDING_POLICY_DIRECTIONS = ['inbound', 'outbound', 'internal'] as const;

export const recordingLinkRevocations = pgTable(
  'recording_link_revocations',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** A call_audio id, '*' (every link), or 'account:<id>'. */
    scope: text('scope').notNull(),
    /** Links signed before this time no longer work. */
    revokedBefore: instant('revoked_before').notNull(),
    /** The actor, as the audit trail names it ("token:ADMIN_TOKEN"). */
    revokedBy: text('revoked_by').notNull(),
    reason: text('reason'),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [index('recording_link_revocations_scope').on(t.scope, t.revokedBefore)],
);

export const recordingPolicies = pgTable(
  'recording_policies',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** The CRM user behind the call's extension (the `extensions` map). */
    userId: bigint('user_id', { mode: 'number' }),
    department: text('department'),
    /** Our number the call came in on or went out from, compared by its digits. */
    line: text('line'),
    direction: text('direction', { enum: RECORDING_POLICY_DIRECTIONS }),
    action: text('action', { enum: RECORDING_POLICY_ACTIONS }).notNull(),
    note: text('note'),
    createdBy: text('created_by').notNull(),
    createdAt: instant('created_at').notNull().defaultNow(),
    removedBy: text('removed_by'),
    removedAt: instant('removed_at'),
  },
  (t) => [
    index('recording_policies_active').on(t.createdAt).where(sql`${t.removedAt} is null`),
    oneOf('recording_policies_action', t.action, RECORDING_POLICY_ACTIONS),
    oneOf('recording_policies_direction', t.direction, RECORDING_POLICY_DIRECTIONS),
  ],
);
