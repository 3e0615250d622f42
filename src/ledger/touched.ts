/**
 * Step 1 of applying events (apply.ts): the conversations a batch of bodies touches, grouped by
 * key, and their rows inserted or touched in one statement. Kept apart because the key order it
 * sets is what keeps concurrent transactions from deadlocking: every later step walks the
 * conversations in this order.
 * @module
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { json, queryRows } from '../db/raw';
import { conversations } from '../db/schema';
import { isConversationEvent, type CallEvent, type ConversationEvent } from '../domain/events';
import { conversationUniq } from './versions';

/** The events of one stored body. */
export interface ApplyItem {
  source: string;
  events: readonly CallEvent[];
  inboxEventId: number | null;
  /** When the body arrived (drives SETTLE_SECONDS). */
  receivedAt: Date;
}

/** One conversation the batch touches, with its events. */
export interface Touched {
  source: string;
  callKey: string;
  uniq: string;
  lastEventAt: Date;
  /** The PBX said the conversation is over (the earliest such time among the events). */
  closedAt: Date | null;
  events: { event: ConversationEvent; inboxEventId: number | null }[];
}

/** A conversation's row as the upsert returns it. */
export interface ConversationRow {
  id: string;
  source: string;
  call_key: string;
  settled: boolean;
  /** Inserted by this statement (a new conversation), not updated. */
  inserted: boolean;
  closed: boolean;
}

/** The touched conversations' rows, found by key. */
export class ConversationRows {
  private readonly byKey: Map<string, ConversationRow>;

  constructor(readonly rows: ConversationRow[]) {
    this.byKey = new Map(rows.map((r) => [`${r.source}\n${r.call_key}`, r]));
  }

  find(source: string, callKey: string): ConversationRow | undefined {
    return this.byKey.get(`${source}\n${callKey}`);
  }

  /** The row of a touched conversation; the upsert returns every one of them. */
  of(t: Touched): ConversationRow {
    const row = this.find(t.source, t.callKey);
    if (!row) throw new Error(`conversation ${t.callKey} was neither inserted nor found`);
    return row;
  }
}

/**
 * Conversations in key order, each with its events and the latest arrival among them. A source's
 * conversations live in its family's key space (FreePBX's cdr rows are Asterisk CDRs: one call
 * read from Master.csv and from the poller is one conversation).
 */
export function groupByConversation(items: readonly ApplyItem[], conversationSource: (source: string) => string): Touched[] {
  const byKey = new Map<string, Touched>();
  for (const item of items) {
    const source = conversationSource(item.source);
    for (const event of item.events) {
      if (!isConversationEvent(event)) continue;
      const key = `${source}\n${event.callKey}`;
      let t = byKey.get(key);
      if (!t) {
        t = { source, callKey: event.callKey, uniq: '', lastEventAt: item.receivedAt, closedAt: null, events: [] };
        byKey.set(key, t);
      }
      if (item.receivedAt > t.lastEventAt) t.lastEventAt = item.receivedAt;
      if (event.kind === 'closed') {
        const at = event.at ?? item.receivedAt;
        if (t.closedAt === null || at < t.closedAt) t.closedAt = at;
      }
      t.events.push({ event, inboxEventId: item.inboxEventId });
    }
  }
  const touched = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, t]) => t);
  for (const t of touched) t.uniq = conversationUniq(t.source, t.callKey);
  return touched;
}

/** Inserts every touched conversation, or touches the existing row (taking its lock). */
export async function upsertConversations(tx: Db, touched: Touched[]): Promise<ConversationRows> {
  // Ordered in SQL, so every transaction locks conversations in the same order.
  // xmax = 0: the row was inserted by this statement, not updated (a new conversation).
  const rows = await queryRows<ConversationRow>(
    tx,
    sql`insert into ${conversations} as c (source, call_key, uniq, last_event_at, closed_at)
        select x.source, x.call_key, x.uniq, x.last_event_at, x.closed_at
          from json_to_recordset(${json(touched.map((t) => ({ source: t.source, call_key: t.callKey, uniq: t.uniq, last_event_at: t.lastEventAt, closed_at: t.closedAt })))})
            as x(source text, call_key text, uniq text, last_event_at timestamptz, closed_at timestamptz)
         order by x.source collate "C", x.call_key collate "C"
        on conflict (source, call_key) do update set call_key = excluded.call_key,
          closed_at = coalesce(c.closed_at, excluded.closed_at)
        returning id, source, call_key, settled_at is not null as settled, (xmax = 0) as inserted, closed_at is not null as closed`,
  );
  return new ConversationRows(rows);
}
