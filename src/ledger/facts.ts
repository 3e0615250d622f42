/**
 * Between steps 2 and 3 of applying events (apply.ts): the facts the summary is computed from — all
 * the legs and recordings of each changed conversation. A new conversation's are exactly the rows
 * just written; those of one that existed before are read back in one statement.
 * @module
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { queryRows, uuidArray } from '../db/raw';
import { conversations, legs, recordings } from '../db/schema';
import type { LegFacts, RecordingFacts } from '../domain/assemble';
import type { LegRow } from './legs';
import type { RecordingRow } from './recordings';
import type { ConversationRow } from './touched';

/** What domain/assemble.ts summarizes a conversation from. */
export interface ConversationFacts {
  legs: LegFacts[];
  recordings: RecordingFacts[];
}

/** The facts of every changed conversation, by id. */
export async function factsOf(
  tx: Db,
  changed: ReadonlySet<string>,
  rows: readonly ConversationRow[],
  legRows: readonly LegRow[],
  recordingRows: readonly RecordingRow[],
): Promise<Map<string, ConversationFacts>> {
  // A conversation this statement inserted has exactly the legs and recordings just written;
  // only conversations that existed before need theirs read back.
  const facts = new Map<string, ConversationFacts>();
  for (const row of rows) if (row.inserted && changed.has(row.id)) facts.set(row.id, { legs: [], recordings: [] });
  for (const l of legRows) facts.get(l.conversation_id)?.legs.push(legFacts(l));
  for (const r of recordingRows) facts.get(r.conversation_id)?.recordings.push({ legKey: r.leg_key });
  const existing = [...changed].filter((id) => !facts.has(id));
  if (existing.length) for (const [id, f] of await readFacts(tx, existing)) facts.set(id, f);
  return facts;
}

function legFacts(l: LegRow): LegFacts {
  return {
    legKey: l.leg_key,
    direction: l.direction as LegFacts['direction'],
    directionRule: l.direction_rule,
    fromRaw: l.from_raw,
    toRaw: l.to_raw,
    extension: l.extension,
    line: l.line,
    startedAt: l.started_at,
    answeredAt: l.answered_at,
    endedAt: l.ended_at,
    disposition: l.disposition as LegFacts['disposition'],
    talkSeconds: l.talk_seconds,
    final: l.final,
    recorded: l.recorded,
  };
}

/** Legs and recordings of existing conversations, in one statement. */
async function readFacts(tx: Db, ids: string[]): Promise<Map<string, ConversationFacts>> {
  const rows = await queryRows<{ id: string; legs: Record<string, unknown>[] | null; recordings: string[] | null }>(
    tx,
    sql`select c.id,
          (select json_agg(json_build_object('leg_key', l.leg_key, 'direction', l.direction, 'direction_rule', l.direction_rule,
             'from_raw', l.from_raw, 'to_raw', l.to_raw, 'extension', l.extension, 'line', l.line, 'started_at', l.started_at, 'answered_at', l.answered_at,
             'ended_at', l.ended_at, 'disposition', l.disposition, 'talk_seconds', l.talk_seconds, 'final', l.final,
             'recorded', l.recorded)) from ${legs} l where l.conversation_id = c.id) as legs,
          (select json_agg(r.leg_key) from ${recordings} r where r.conversation_id = c.id) as recordings
        from ${conversations} c where c.id = any(${uuidArray(ids)})`,
  );
  return new Map(
    rows.map((row) => [
      row.id,
      { legs: (row.legs ?? []).map(storedLegFacts), recordings: (row.recordings ?? []).map((legKey): RecordingFacts => ({ legKey })) },
    ]),
  );
}

/** A leg as readFacts' json_build_object gives it back. */
function storedLegFacts(l: Record<string, unknown>): LegFacts {
  const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));
  return {
    legKey: l.leg_key as string,
    direction: l.direction as LegFacts['direction'],
    directionRule: (l.direction_rule as string | null) ?? null,
    fromRaw: l.from_raw as string | null,
    toRaw: l.to_raw as string | null,
    extension: l.extension as string | null,
    line: (l.line as string | null) ?? null,
    startedAt: date(l.started_at) as Date,
    answeredAt: date(l.answered_at),
    endedAt: date(l.ended_at) as Date,
    disposition: l.disposition as LegFacts['disposition'],
    talkSeconds: l.talk_seconds as number,
    final: l.final as boolean,
    recorded: l.recorded as boolean | null,
  };
}
