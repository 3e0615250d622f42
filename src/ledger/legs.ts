/**
 * Step 2 of applying events (apply.ts): the legs and recordings of the touched conversations,
 * upserted by natural key in one statement each. A copy replaces the stored one only when its
 * version is greater, so the winner never depends on arrival order; each statement returns the
 * conversations whose facts it changed.
 * @module
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { json, queryRows } from '../db/raw';
import { legs, recordings } from '../db/schema';
import { legTalkSeconds } from '../domain/assemble';
import type { RecordingRef } from '../domain/events';
import type { Touched } from './touched';
import { legVersion, recordingVersion } from './versions';

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
export interface RecordingRow {
  conversation_id: string;
  recording_key: string;
  leg_key: string;
  origin_url: string | null;
  vendor_ref: string | null;
  status: string;
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

export function recordingRowsFor(conversationId: string, events: Touched['events']): RecordingRow[] {
  const rows = new Map<string, RecordingRow>();
  const add = (legKey: string, ref: RecordingRef, inboxEventId: number | null) => {
    const row: RecordingRow = {
      conversation_id: conversationId,
      recording_key: ref.key,
      leg_key: legKey,
      origin_url: ref.url,
      vendor_ref: ref.vendorRef ?? null,
      status: ref.status,
      version: recordingVersion(legKey, ref),
      inbox_event_id: inboxEventId,
    };
    const existing = rows.get(ref.key);
    if (!existing || existing.version < row.version) rows.set(ref.key, row);
  };
  for (const { event, inboxEventId } of events) {
    if (event.kind === 'recording') add(event.legKey, event.recording, inboxEventId);
    else if (event.kind === 'leg' && event.recording) add(event.legKey, event.recording, inboxEventId);
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

/** Upserts the recordings (a file that can be reached is queued for fetching); returns the conversations they changed. */
export async function upsertRecordings(tx: Db, recordingRows: RecordingRow[], now: Date): Promise<string[]> {
  if (!recordingRows.length) return [];
  const written = await queryRows<{ conversation_id: string }>(
    tx,
    sql`insert into ${recordings} (conversation_id, recording_key, leg_key, origin_url, vendor_ref, status, version,
            inbox_event_id, fetch_state, next_fetch_at)
          select x.conversation_id, x.recording_key, x.leg_key, x.origin_url, x.vendor_ref, x.status, x.version, x.inbox_event_id,
                 -- a file we know how to reach (a URL, a path, or the vendor's id) is to be fetched
                 case when x.status = 'referenced' and (x.origin_url is not null or x.vendor_ref is not null)
                      then 'waiting' else 'skipped' end,
                 case when x.status = 'referenced' and (x.origin_url is not null or x.vendor_ref is not null)
                      then ${now.toISOString()}::timestamptz end
            from json_to_recordset(${json(recordingRows)})
            as x(conversation_id uuid, recording_key text, leg_key text, origin_url text, vendor_ref text, status text,
                 version text, inbox_event_id bigint)
          on conflict (conversation_id, recording_key) do update set
            leg_key = excluded.leg_key, origin_url = coalesce(excluded.origin_url, ${recordings.originUrl}),
            vendor_ref = coalesce(excluded.vendor_ref, ${recordings.vendorRef}), status = excluded.status,
            version = excluded.version, inbox_event_id = excluded.inbox_event_id, updated_at = now(),
            -- a copy we already have stays; one not fetched yet follows the newer facts
            fetch_state = case when ${recordings.fetchState} in ('archived', 'purged') then ${recordings.fetchState}
                               else excluded.fetch_state end,
            next_fetch_at = case when ${recordings.fetchState} in ('archived', 'purged') then null
                                 when excluded.fetch_state = 'waiting' then coalesce(${recordings.nextFetchAt}, excluded.next_fetch_at) end
          where ${recordings.version} < excluded.version
          returning conversation_id`,
  );
  return written.map((w) => w.conversation_id);
}
