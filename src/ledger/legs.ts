/**
 * Step 2 of applying events (apply.ts): the legs of the touched conversations, upserted by
 * natural key in one statement. A copy replaces the stored one only when its version is greater,
 * so the winner never depends on arrival order; the statement returns the conversations whose
 * legs it changed. Their recordings: recordings.ts.
 * @module
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { json, queryRows } from '../db/raw';
import { legs } from '../db/schema';
import { legTalkSeconds } from '../domain/assemble';
import type { Touched } from './touched';
import { legVersion } from './versions';

/** Rows as json_to_recordset reads them (column names). */
export interface LegRow {
  conversation_id: string;
  leg_key: string;
  direction: string | null;
  direction_rule: string | null;
  from_raw: string | null;
  to_raw: string | null;
  extension: string | null;
  line: string | null;
  links: string[] | null;
  started_at: Date;
  answered_at: Date | null;
  ended_at: Date;
  disposition: string;
  talk_seconds: number;
  final: boolean;
  recorded: boolean | null;
  version: string;
  inbox_event_id: number | null;
}

/** One row per leg; several copies of one leg collapse to the greatest version. */
export function legRowsFor(conversationId: string, events: Touched['events']): LegRow[] {
  const rows = new Map<string, LegRow>();
  for (const { event, inboxEventId } of events) {
    if (event.kind !== 'leg') continue;
    const row: LegRow = {
      conversation_id: conversationId,
      leg_key: event.legKey,
      direction: event.direction,
      direction_rule: event.directionRule ?? null,
      from_raw: event.from,
      to_raw: event.to,
      extension: event.extension,
      line: event.line ?? null,
      links: event.joins?.length ? event.joins : null,
      started_at: event.startedAt,
      answered_at: event.answeredAt,
      ended_at: event.endedAt,
      disposition: event.disposition,
      talk_seconds: legTalkSeconds(event),
      final: event.final,
      recorded: event.recorded,
      version: legVersion(event),
      inbox_event_id: inboxEventId,
    };
    const existing = rows.get(event.legKey);
    if (!existing || existing.version < row.version) rows.set(event.legKey, row);
  }
  return [...rows.values()];
}

/** Upserts the legs; returns the conversations of the legs that changed. */
export async function upsertLegs(tx: Db, legRows: LegRow[]): Promise<string[]> {
  if (!legRows.length) return [];
  const written = await queryRows<{ conversation_id: string }>(
    tx,
    sql`insert into ${legs} (conversation_id, leg_key, direction, direction_rule, from_raw, to_raw, extension, line,
            links, started_at, answered_at, ended_at, disposition, talk_seconds, final, recorded, version, inbox_event_id)
          select x.conversation_id, x.leg_key, x.direction, x.direction_rule, x.from_raw, x.to_raw, x.extension, x.line,
                 (select array_agg(value) from json_array_elements_text(x.links)), x.started_at, x.answered_at, x.ended_at,
                 x.disposition, x.talk_seconds, x.final, x.recorded, x.version, x.inbox_event_id
            from json_to_recordset(${json(legRows)})
            as x(conversation_id uuid, leg_key text, direction text, direction_rule text, from_raw text, to_raw text,
                 extension text, line text, links json, started_at timestamptz, answered_at timestamptz, ended_at timestamptz,
                 disposition text, talk_seconds int, final boolean, recorded boolean, version text, inbox_event_id bigint)
          on conflict (conversation_id, leg_key) do update set
            direction = excluded.direction, direction_rule = excluded.direction_rule, from_raw = excluded.from_raw,
            to_raw = excluded.to_raw, extension = excluded.extension, line = excluded.line, links = excluded.links, started_at = excluded.started_at, answered_at = excluded.answered_at,
            ended_at = excluded.ended_at, disposition = excluded.disposition, talk_seconds = excluded.talk_seconds,
            final = excluded.final, recorded = excluded.recorded, version = excluded.version,
            inbox_event_id = excluded.inbox_event_id, updated_at = now()
          where ${legs.version} < excluded.version
          returning conversation_id`,
  );
  return written.map((w) => w.conversation_id);
}
