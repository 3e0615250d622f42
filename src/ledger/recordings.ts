/**
 * Step 2 of applying events (apply.ts), for recordings: upserted by natural key (conversation,
 * recording id) in one statement, which returns the conversations whose recordings it changed.
 *
 * Which copy of a recording wins:
 * - a usable reference beats "failed", which beats "absent"; between copies of the same rank the
 *   greater version wins (versions.ts), so duplicates and reorderings settle on one row;
 * - the PBX names **another file** for the same recording (another URL, or another vendor id) on
 *   the same leg: while calltrail has no copy yet (its fetch waiting, refused, failed or skipped),
 *   the newest word wins — the new file replaces the old one and its fetch starts again from the
 *   first try; once the file is archived (or purged by retention) the copy stays, and the other
 *   file is ignored and reported (`ignored`, written into the inbox body's note by inbox.ts).
 * The call's summary reads a recording's leg only (facts.ts), never its file, so which file wins
 * cannot change the summary.
 * @module
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { json, queryRows } from '../db/raw';
import { recordings } from '../db/schema';
import type { RecordingRef } from '../domain/events';
import type { Touched } from './touched';
import { recordingVersion } from './versions';

/** Rows as json_to_recordset reads them (column names). */
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

/** Another file, sent for a recording calltrail has archived already: not fetched, the copy stays. */
export interface IgnoredFile {
  conversationId: string;
  recordingKey: string;
  inboxEventId: number | null;
}

export interface RecordingsUpsert {
  /** Conversations whose recordings changed. */
  changed: string[];
  ignored: IgnoredFile[];
}

/** One row per recording; several copies of one recording in the same events collapse to the greatest version. */
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

/** We hold our own copy: the stored row's file is settled. */
const KEPT = sql`${recordings.fetchState} in ('archived', 'purged')`;
/**
 * The incoming copy names another file than the stored one: by the vendor's id when it has one
 * (a link the vendor's API gave for that id is transient, links.ts), else by its URL or path.
 */
const OTHER_FILE = sql`(case when excluded.vendor_ref is not null then excluded.vendor_ref is distinct from ${recordings.vendorRef}
                             else excluded.origin_url is not null and excluded.origin_url is distinct from ${recordings.originUrl} end)`;
/** Another file for the same leg's recording, before calltrail has a copy: it replaces the stored one. */
const MOVED = sql`(not ${KEPT} and excluded.status = 'referenced' and excluded.leg_key = ${recordings.legKey} and ${OTHER_FILE})`;

/** Upserts the recordings (a file that can be reached is queued for fetching); see the module comment for who wins. */
export async function upsertRecordings(tx: Db, recordingRows: RecordingRow[], now: Date): Promise<RecordingsUpsert> {
  if (!recordingRows.length) return { changed: [], ignored: [] };
  const rows = await queryRows<{ conversation_id: string; recording_key: string | null; inbox_event_id: number | string | null; ignored: boolean }>(
    tx,
    sql`with x as (
          select * from json_to_recordset(${json(recordingRows)})
            as x(conversation_id uuid, recording_key text, leg_key text, origin_url text, vendor_ref text, status text,
                 version text, inbox_event_id bigint)
        ), ignored as (
          -- read before the insert below (one snapshot): another file for a recording we hold a copy of
          select x.conversation_id, x.recording_key, x.inbox_event_id from x
            join ${recordings} r on r.conversation_id = x.conversation_id and r.recording_key = x.recording_key
           where r.fetch_state in ('archived', 'purged') and x.status = 'referenced'
             and case when x.vendor_ref is not null then x.vendor_ref is distinct from r.vendor_ref
                      else x.origin_url is not null and x.origin_url is distinct from r.origin_url end
        ), written as (
          insert into ${recordings} (conversation_id, recording_key, leg_key, origin_url, vendor_ref, status, version,
              inbox_event_id, fetch_state, next_fetch_at)
            select x.conversation_id, x.recording_key, x.leg_key, x.origin_url, x.vendor_ref, x.status, x.version, x.inbox_event_id,
                   -- a file we know how to reach (a URL, a path, or the vendor's id) is to be fetched
                   case when x.status = 'referenced' and (x.origin_url is not null or x.vendor_ref is not null)
                        then 'waiting' else 'skipped' end,
                   case when x.status = 'referenced' and (x.origin_url is not null or x.vendor_ref is not null)
                        then ${now.toISOString()}::timestamptz end
              from x
          on conflict (conversation_id, recording_key) do update set
            leg_key = excluded.leg_key,
            origin_url = case when ${MOVED} then excluded.origin_url when ${KEPT} then ${recordings.originUrl}
                              else coalesce(excluded.origin_url, ${recordings.originUrl}) end,
            vendor_ref = case when ${MOVED} then excluded.vendor_ref when ${KEPT} then ${recordings.vendorRef}
                              else coalesce(excluded.vendor_ref, ${recordings.vendorRef}) end,
            status = excluded.status, version = excluded.version, inbox_event_id = excluded.inbox_event_id, updated_at = now(),
            -- a copy we already have stays; one not fetched yet follows the newer facts, another file from its first try
            fetch_state = case when ${KEPT} then ${recordings.fetchState} else excluded.fetch_state end,
            next_fetch_at = case when ${KEPT} or excluded.fetch_state <> 'waiting' then null
                                 when ${MOVED} then excluded.next_fetch_at
                                 else coalesce(${recordings.nextFetchAt}, excluded.next_fetch_at) end,
            fetch_attempts = case when ${MOVED} then 0 else ${recordings.fetchAttempts} end,
            fetch_error = case when ${MOVED} then null else ${recordings.fetchError} end
          where ${recordings.version} < excluded.version or ${MOVED}
          returning conversation_id
        )
        select conversation_id::text, null::text as recording_key, null::bigint as inbox_event_id, false as ignored from written
        union all
        select conversation_id::text, recording_key, inbox_event_id, true from ignored`,
  );
  const changed: string[] = [];
  const ignored: IgnoredFile[] = [];
  for (const row of rows) {
    if (!row.ignored) changed.push(row.conversation_id);
    else
      ignored.push({
        conversationId: row.conversation_id,
        recordingKey: row.recording_key ?? '',
        inboxEventId: row.inbox_event_id === null ? null : Number(row.inbox_event_id),
      });
  }
  return { changed, ignored };
}
