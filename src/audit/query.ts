/**
 * Reading the audit trail: a page of entries, newest first, filtered by action (a prefix), actor
 * (a name, or the start of one up to a colon), subject and time; and the same entries as CSV,
 * streamed a page at a time. The JSON API (GET /v1/audit, /v1/audit.csv) and the console's
 * /admin/audit read through these.
 * @module
 */
import type { AuditRow } from './log';
import { and, desc, eq, gte, like, lt, or, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { auditLog } from '../db/schema';

export interface AuditFilters {
  /** Entries whose action starts with this: "export" → export.findings, export.audit, … */
  action?: string;
  /** An actor's name ("token:ADMIN_TOKEN"), or its start up to a colon ("session", "session:user:7"). */
  actor?: string;
  subject?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

export type { AuditRow };

/** LIKE's wildcards and escape taken literally (PostgreSQL's default escape is the backslash). */
const literal = (text: string) => text.replace(/[\\%_]/g, (ch) => `\\${ch}`);

function where(f: AuditFilters, before?: number): SQL | undefined {
  return and(
    f.action ? like(auditLog.action, `${literal(f.action)}%`) : undefined,
    f.actor ? or(eq(auditLog.actor, f.actor), like(auditLog.actor, `${literal(f.actor)}:%`)) : undefined,
    f.subject ? eq(auditLog.subject, f.subject) : undefined,
    f.from ? gte(auditLog.at, f.from) : undefined,
    f.to ? lt(auditLog.at, f.to) : undefined,
    before !== undefined ? lt(auditLog.id, before) : undefined,
  );
}

/** A page of entries, newest first; `before`: the previous page's next cursor (ids below it). */
export async function auditPage(
  db: Db,
  filters: AuditFilters,
  page: { limit: number; before?: number },
): Promise<{ items: AuditRow[]; nextCursor: number | null }> {
  const rows = (await db
    .select()
    .from(auditLog)
    .where(where(filters, page.before))
    .orderBy(desc(auditLog.id))
    .limit(page.limit + 1)) as AuditRow[];
  const items = rows.slice(0, page.limit);
  return { items, nextCursor: rows.length > page.limit ? (items.at(-1)?.id ?? null) : null };
}

export const AUDIT_CSV_HEADER = 'id,at,actor,role,action,subject,detail,ip,prev_hash,hash';

/** The filtered entries as CSV (newest first, as the page lists them), read a thousand at a time. */
export function auditCsv(db: Db, filters: AuditFilters): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let before: number | undefined;
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(`${AUDIT_CSV_HEADER}\r\n`));
      }
      const { items, nextCursor } = await auditPage(db, filters, { limit: 1000, ...(before !== undefined ? { before } : {}) });
      if (items.length) controller.enqueue(encoder.encode(`${items.map(auditCsvLine).join('\r\n')}\r\n`));
      if (nextCursor === null) controller.close();
      else before = nextCursor;
    },
  });
}

export function auditCsvLine(r: AuditRow): string {
  return [r.id, r.at.toISOString(), r.actor, r.role, r.action, r.subject, JSON.stringify(r.detail), r.ip, r.prevHash, r.hash].map(csvCell).join(',');
}

/**
 * One CSV cell: quoted when it holds a comma, quote or line break; and a text a spreadsheet would
 * run as a formula (starting with = + - @, a tab or a carriage return) is prefixed with ' so it
 * is shown, not evaluated. Numbers are written as they are.
 */
export function csvCell(value: unknown): string {
  if (typeof value === 'number') return String(value);
  let text = String(value ?? '');
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** An entry's detail in one line for a table cell: key=value pairs, long values and lists cut. */
export function detailSummary(detail: Record<string, unknown>, max = 140): string {
  const parts = Object.entries(detail).map(([key, value]) => {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return `${key}=${text.length > 60 ? `${text.slice(0, 59)}…` : text}`;
  });
  const line = parts.join(', ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
