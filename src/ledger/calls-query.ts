/**
 * Finding calls and reading one back, shared by the JSON API (routes/calls.ts) and the admin
 * console: the number in any format, extension, period, outcome, delivery state; newest first
 * with a keyset cursor, so a page costs the same on the first day and after a million calls.
 * Parsing user input into these filters (time zones, HTTP errors) stays with the callers.
 * @module
 */
import { and, desc, eq, gte, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { conversations, deliveries } from '../db/schema';
import type { DeliveryState } from '../domain/delivery';
import type { Outcome } from '../domain/call';
import { classifyNumber, type NumberRules } from '../domain/phone';

export type CallStateFilter = DeliveryState | 'unsettled';

export interface CallFilters {
  /** Outside number in any format, or an extension. */
  phone?: string;
  extension?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  outcome?: Outcome;
  state?: CallStateFilter;
  cursor?: CallCursor;
  limit: number;
}

export interface CallCursor {
  at: Date;
  id: string;
}

export type ConversationRow = typeof conversations.$inferSelect;

export interface CallRow {
  call: ConversationRow;
  /** The delivery to the configured CRM account; null while the call has not settled. */
  delivery: { state: DeliveryState; reason: string | null } | null;
}

/** When a call happened: its start, or its first event when the PBX never said. */
export const callTime = sql`coalesce(${conversations.startedAt}, ${conversations.lastEventAt})`;

/** Raw SQL has no column type to map a Date with: pass ISO text and cast it. */
export const instantParam = (d: Date) => sql`${d.toISOString()}::timestamptz`;

export async function searchCalls(db: Db, rules: NumberRules, crmAccountId: string, q: CallFilters): Promise<{ items: CallRow[]; nextCursor: string | null }> {
  const filters: (SQL | undefined)[] = [];
  if (q.phone?.trim()) {
    const number = classifyNumber(q.phone, rules);
    if (number.kind === 'external') filters.push(eq(conversations.externalNumber, number.e164));
    else if (number.kind === 'extension') filters.push(eq(conversations.extension, number.extension));
    else if (number.kind === 'unknown') {
      // Kept as dialled: found by its digits, however the PBX or the admin wrote them.
      filters.push(sql`regexp_replace(${conversations.externalNumberRaw}, '[^0-9+]', '', 'g') = ${number.digits}`);
    } else filters.push(eq(conversations.externalNumberRaw, q.phone.trim()));
  }
  if (q.extension?.trim()) filters.push(eq(conversations.extension, q.extension.trim()));
  if (q.from) filters.push(gte(callTime, instantParam(q.from)));
  if (q.to) filters.push(lt(callTime, instantParam(q.to)));
  if (q.outcome) filters.push(eq(conversations.outcome, q.outcome));
  if (q.state === 'unsettled') filters.push(isNull(deliveries.id));
  else if (q.state) filters.push(eq(deliveries.state, q.state));
  if (q.cursor) {
    const at = instantParam(q.cursor.at);
    filters.push(or(lt(callTime, at), and(eq(callTime, at), lt(conversations.id, q.cursor.id))));
  }
  const rows = await db
    .select({ c: conversations, d: { state: deliveries.state, reason: deliveries.reason }, at: sql<Date | string>`${callTime}` })
    .from(conversations)
    .leftJoin(deliveries, and(eq(deliveries.conversationId, conversations.id), eq(deliveries.crmAccountId, crmAccountId)))
    .where(and(...filters))
    .orderBy(desc(callTime), desc(conversations.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => ({ call: r.c, delivery: r.d?.state ? { state: r.d.state, reason: r.d.reason } : null })),
    nextCursor: rows.length > q.limit && last ? encodeCallCursor({ at: new Date(last.at), id: last.c.id }) : null,
  };
}

/** One call with its legs, recordings, archived MP3 and deliveries (each with its latest attempts). */
export async function findCall(db: Db, id: string, attempts = 50) {
  const call = await db.query.conversations.findFirst({
    where: eq(conversations.id, id),
    with: {
      legs: true,
      recordings: true,
      audio: true,
      deliveries: { with: { history: { orderBy: (a, { desc }) => [desc(a.at)], limit: attempts } } },
    },
  });
  return call ?? null;
}

export type CallDetail = NonNullable<Awaited<ReturnType<typeof findCall>>>;

export function encodeCallCursor(cursor: CallCursor): string {
  return btoa(`${cursor.at.toISOString()}|${cursor.id}`).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** null: not a cursor this service handed out. */
export function decodeCallCursor(text: string): CallCursor | null {
  try {
    const [at, id] = atob(text.replace(/-/g, '+').replace(/_/g, '/')).split('|');
    const date = new Date(at ?? '');
    if (!id || !UUID.test(id) || Number.isNaN(date.getTime())) return null;
    return { at: date, id };
  } catch {
    return null;
  }
}
