/**
 * audit_log: an append-only trail of who listened to, downloaded or exported what, who changed
 * settings, retried or re-pushed calls, signed in, and used a token. Each entry's hash covers the
 * previous entry's hash and its own fields, so a removed or edited entry breaks the chain
 * (audit/log.ts verifies it).
 * @module
 */
import { bigserial, index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { instant } from './columns';

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: instant('at').notNull(),
    /** Actor kind and id: "token:ADMIN_TOKEN", "session:user:7", "link". */
    actor: text('actor').notNull(),
    role: text('role'),
    /** What was done: recording.listen, recording.download, export.findings, settings.change, call.retry, … */
    action: text('action').notNull(),
    /** What it was done to: a recording id, a call id, a run id, a setting's path. */
    subject: text('subject'),
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull().default({}),
    /** Where from: the client address as the edge saw it. */
    ip: text('ip'),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [index('audit_log_action_at').on(t.action, t.at), index('audit_log_subject').on(t.subject)],
);
