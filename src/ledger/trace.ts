/**
 * Where a call's trace goes on after its webhook: the conversations a body touched keep the
 * traceparent of the span that applied it, and their delivery — seconds or hours later, in this
 * process or another — continues that trace (delivery/run.ts). Written only while tracing is on,
 * after the body is applied, in one statement.
 * @module
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { json } from '../db/raw';
import { conversations } from '../db/schema';
import type { CallEvent } from '../domain/events';
import { groupByConversation } from './touched';

export async function rememberTrace(
  db: Db,
  conversationSource: (source: string) => string,
  body: { source: string; events: readonly CallEvent[] },
  traceparent: string,
): Promise<void> {
  const touched = groupByConversation([{ source: body.source, events: body.events, inboxEventId: null, receivedAt: new Date(0) }], conversationSource);
  if (touched.length === 0) return;
  await db.execute(
    sql`update ${conversations} c set trace_parent = ${traceparent}
          from json_to_recordset(${json(touched.map((t) => ({ source: t.source, call_key: t.callKey })))}) as x(source text, call_key text)
         where c.source = x.source and c.call_key = x.call_key`,
  );
}
