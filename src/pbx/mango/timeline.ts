/**
 * What the route looks up before a call notification is stored: the other notifications of the
 * same call already in the inbox. Each is stored under `call:<call_id>:<seq>`, so finding them is a
 * handful of exact lookups on the inbox's unique index. Whichever notification of a call arrives
 * last finds all the others and completes the leg (legs.ts); a replay reads the same list from
 * the stored meta, so the parse never depends on the database.
 * @module
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { inboxEvents } from '../../db/schema';
import { readJson } from './body';
import { callEventSchema, recordingEventSchema, summarySchema } from './schema';

/** How many states past its own a notification looks for (a call on hold many times has many). */
export const SEQ_SPAN = 100;
/** How many states before its own it looks for: a real call has far fewer; a forged seq cannot make the lookup unbounded. */
export const SEQ_BACK = 1000;

export const callDedupeKey = (callId: string, seq: number) => `call:${callId}:${seq}`;

const identitySchema = callEventSchema.pick({ call_id: true, seq: true });

function readable(raw: string): unknown {
  try {
    return readJson(raw);
  } catch {
    return undefined;
  }
}

/** The natural id of a notification: Mango's own ids, so a resend is recognised whatever its formatting. */
export function mangoDedupeKey(kind: string, raw: string): string | undefined {
  const json = readable(raw);
  if (kind === 'call') {
    const call = identitySchema.safeParse(json);
    return call.success ? callDedupeKey(call.data.call_id, call.data.seq) : undefined;
  }
  if (kind === 'summary') {
    const summary = summarySchema.pick({ entry_id: true }).safeParse(json);
    return summary.success ? `summary:${summary.data.entry_id}` : undefined;
  }
  const recording = recordingEventSchema.pick({ recording_id: true, recording_state: true, seq: true }).safeParse(json);
  return recording.success ? `recording:${recording.data.recording_id}:${recording.data.recording_state}:${recording.data.seq ?? ''}` : undefined;
}

/** The `json` of every stored notification of the same call, as one JSON array (undefined: none). */
export async function storedTimeline(db: Db, raw: string): Promise<string | undefined> {
  const identity = identitySchema.safeParse(readable(raw));
  if (!identity.success) return undefined;
  const { call_id: callId, seq } = identity.data;
  const keys: string[] = [];
  for (let k = Math.max(1, seq - SEQ_BACK); k <= seq + SEQ_SPAN; k++) if (k !== seq) keys.push(callDedupeKey(callId, k));
  const rows = await db
    .select({ raw: inboxEvents.raw })
    .from(inboxEvents)
    .where(and(eq(inboxEvents.source, 'mango'), inArray(inboxEvents.dedupeKey, keys)));
  const bodies = rows.map((r) => new URLSearchParams(r.raw).get('json')).filter((j): j is string => j !== null);
  return bodies.length ? JSON.stringify(bodies.sort()) : undefined;
}
