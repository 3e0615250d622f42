/**
 * Live moments into live_calls: one row per call ringing or talking now, in its conversation's
 * key space, so the live view and the screen pop see one call whatever the path its moments took.
 *
 * Moments arrive in any order and twice (a PBX retries; an AMI listener and a webhook may both
 * report), so the row only moves forward — ringing → answered → ended, never back — and keeps
 * every extension that rang, the first answer and the first end. A final leg (the CDR, the end
 * notification) ends the live call too: some PBXs send no hang-up moment of their own.
 *
 * Moments of one call in a batch are folded in memory first, so one statement touches each row
 * once, in key order (as the conversations step does, so concurrent batches cannot deadlock).
 * @module
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { json, queryRows } from '../db/raw';
import { liveCalls } from '../db/schema';
import { LIVE_STATES, type LiveMoment, type LiveState } from '../domain/events';
import type { ApplyItem } from './touched';

interface Folded {
  source: string;
  call_key: string;
  state: LiveState;
  direction: LiveMoment['direction'];
  from_number: string | null;
  to_number: string | null;
  extensions: string[];
  answered_by: string | null;
  line: string | null;
  started_at: Date;
  answered_at: Date | null;
  ended_at: Date | null;
}

const rank = (state: LiveState): number => LIVE_STATES.indexOf(state);

function fold(into: Folded | undefined, source: string, m: LiveMoment): Folded {
  const row: Folded = into ?? {
    source,
    call_key: m.callKey,
    state: m.state,
    direction: null,
    from_number: null,
    to_number: null,
    extensions: [],
    answered_by: null,
    line: null,
    started_at: m.at,
    answered_at: null,
    ended_at: null,
  };
  if (rank(m.state) > rank(row.state)) row.state = m.state;
  row.direction ??= m.direction;
  row.from_number ??= m.from;
  row.to_number ??= m.to;
  row.line ??= m.line ?? null;
  if (m.at < row.started_at) row.started_at = m.at;
  if (m.state === 'ringing') for (const e of m.extensions) if (!row.extensions.includes(e)) row.extensions.push(e);
  if (m.state === 'answered') {
    row.answered_by ??= m.extensions[0] ?? null;
    if (!row.answered_at || m.at < row.answered_at) row.answered_at = m.at;
  }
  if (m.state === 'ended' && (!row.ended_at || m.at < row.ended_at)) row.ended_at = m.at;
  return row;
}

/** The live moments of a batch, one folded row per call, in key order. */
export function foldLive(items: readonly ApplyItem[], conversationSource: (source: string) => string): Folded[] {
  const rows = new Map<string, Folded>();
  for (const item of items) {
    const source = conversationSource(item.source);
    for (const e of item.events) {
      if (e.kind !== 'live') continue;
      const key = `${source}\n${e.callKey}`;
      rows.set(key, fold(rows.get(key), source, e));
    }
  }
  return [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}

/** Calls whose end the batch's records tell (a final leg): their live row ends too, if they have one. */
function endedByRecords(items: readonly ApplyItem[], conversationSource: (source: string) => string) {
  const ended = new Map<string, { source: string; call_key: string; ended_at: Date }>();
  for (const item of items) {
    const source = conversationSource(item.source);
    for (const e of item.events) {
      if (e.kind !== 'leg' || !e.final) continue;
      ended.set(`${source}\n${e.callKey}`, { source, call_key: e.callKey, ended_at: e.endedAt });
    }
  }
  return [...ended.values()];
}

/** Applies the batch's live moments and ends; returns the ids of the live calls it touched. */
export async function applyLive(tx: Db, items: readonly ApplyItem[], conversationSource: (source: string) => string): Promise<string[]> {
  const rows = foldLive(items, conversationSource);
  const ids: string[] = [];
  if (rows.length) {
    const touched = await queryRows<{ id: string }>(
      tx,
      sql`insert into ${liveCalls} as l (source, call_key, state, direction, from_number, to_number, extensions, answered_by, line, started_at, answered_at, ended_at)
          select x.source, x.call_key, x.state, x.direction, x.from_number, x.to_number, x.extensions, x.answered_by, x.line, x.started_at, x.answered_at, x.ended_at
            from json_to_recordset(${json(rows)})
              as x(source text, call_key text, state text, direction text, from_number text, to_number text, extensions jsonb,
                   answered_by text, line text, started_at timestamptz, answered_at timestamptz, ended_at timestamptz)
           order by x.source collate "C", x.call_key collate "C"
          on conflict (source, call_key) do update set
            state = case when array_position(array['ringing','answered','ended'], excluded.state)
                             > array_position(array['ringing','answered','ended'], l.state) then excluded.state else l.state end,
            direction = coalesce(l.direction, excluded.direction),
            from_number = coalesce(l.from_number, excluded.from_number),
            to_number = coalesce(l.to_number, excluded.to_number),
            extensions = l.extensions || coalesce((select jsonb_agg(e) from jsonb_array_elements(excluded.extensions) e where not l.extensions @> jsonb_build_array(e)), '[]'),
            answered_by = coalesce(l.answered_by, excluded.answered_by),
            line = coalesce(l.line, excluded.line),
            started_at = least(l.started_at, excluded.started_at),
            answered_at = least(l.answered_at, excluded.answered_at),
            ended_at = least(l.ended_at, excluded.ended_at),
            updated_at = now()
          returning l.id`,
    );
    ids.push(...touched.map((r) => r.id));
  }
  const ended = endedByRecords(items, conversationSource);
  if (ended.length) {
    await tx.execute(
      sql`update ${liveCalls} as l set state = 'ended', ended_at = coalesce(l.ended_at, x.ended_at), updated_at = now()
            from json_to_recordset(${json(ended)}) as x(source text, call_key text, ended_at timestamptz)
           where l.source = x.source and l.call_key = x.call_key and l.state <> 'ended'`,
    );
  }
  return ids;
}
