/**
 * The database's part of GET /metrics: a handful of aggregates read at each scrape, the same on
 * PGlite and PostgreSQL. The backlogs (failed inbox bodies, conversations waiting to settle,
 * pending deliveries) are read through the partial indexes that already serve the workers; the
 * totals by state (deliveries, recordings) count whole tables, index-only for deliveries.
 *
 * Ages are computed in SQL against the clock that wrote the column: the app's clock for what the
 * app stamps (received_at, final_seen_at), the database's now() for created_at defaults.
 * @module
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { queryRows } from '../../db/raw';
import { callAudio, conversations, crmAccounts, deliveries, inboxEvents, reconcileFindings, reconcileRuns, recordings } from '../../db/schema';
import { BUILD_FAILED } from '../../recordings/build-audio';

export interface Backlogs {
  inbox: { count: number; oldestAgeSeconds: number };
  settle: { waiting: number; overdue: number; oldestAgeSeconds: number };
}

export async function readBacklogs(db: Db, now: Date): Promise<Backlogs> {
  const at = sql`${now.toISOString()}::timestamptz`;
  const [inbox] = await queryRows<{ n: number; age: number | null }>(
    db,
    sql`select count(*)::int as n, extract(epoch from (${at} - min(received_at)))::float8 as age
          from ${inboxEvents} where status in ('failed', 'queued')`,
  );
  const [settle] = await queryRows<{ n: number; overdue: number; age: number | null }>(
    db,
    sql`select count(*)::int as n, (count(*) filter (where settle_due_at <= ${at}))::int as overdue,
               extract(epoch from (${at} - min(final_seen_at)))::float8 as age
          from ${conversations} where settled_at is null and final_seen_at is not null`,
  );
  return {
    inbox: { count: inbox?.n ?? 0, oldestAgeSeconds: Math.max(0, inbox?.age ?? 0) },
    settle: { waiting: settle?.n ?? 0, overdue: settle?.overdue ?? 0, oldestAgeSeconds: Math.max(0, settle?.age ?? 0) },
  };
}

export interface DeliveryCounts {
  /** By CRM account, then state. */
  byState: { account: string; state: string; count: number }[];
  /** By CRM account: seconds since the oldest pending delivery was made. */
  oldestPendingAgeSeconds: Map<string, number>;
  /** By CRM account: its circuit (ok, blocked, unauthorized). */
  status: Map<string, string>;
}

export async function readDeliveries(db: Db): Promise<DeliveryCounts> {
  const rows = await queryRows<{ account: string; state: string; n: number; age: number | null }>(
    db,
    sql`select crm_account_id as account, state, count(*)::int as n,
               extract(epoch from (now() - min(created_at) filter (where state = 'pending')))::float8 as age
          from ${deliveries} group by crm_account_id, state`,
  );
  const accounts = await queryRows<{ id: string; status: string }>(db, sql`select id, status from ${crmAccounts}`);
  const oldestPendingAgeSeconds = new Map<string, number>();
  for (const r of rows) if (r.state === 'pending' && r.age !== null) oldestPendingAgeSeconds.set(r.account, Math.max(0, r.age));
  return {
    byState: rows.map((r) => ({ account: r.account, state: r.state, count: r.n })),
    oldestPendingAgeSeconds,
    status: new Map(accounts.map((a) => [a.id, a.status])),
  };
}

export interface RecordingCounts {
  /** Recordings by fetch state (waiting, archived, failed, skipped, purged). */
  byFetchState: Map<string, number>;
  /** Calls' MP3s: transcoded from WAV or joined, stored as the PBX's MP3, and builds that failed. */
  audio: { transcoded: number; stored: number; failed: number };
}

export async function readRecordings(db: Db): Promise<RecordingCounts> {
  const states = await queryRows<{ state: string; n: number }>(
    db,
    sql`select fetch_state as state, count(*)::int as n from ${recordings} group by fetch_state`,
  );
  // A failed build marks the call's archived segments (recordings/build-audio.ts); failed here:
  // such calls that have no MP3 to play.
  const [audio] = await queryRows<{ transcoded: number; stored: number; failed: number }>(
    db,
    sql`select (count(*) filter (where transcoded))::int as transcoded, (count(*) filter (where not transcoded))::int as stored,
               (select count(distinct r.conversation_id) from ${recordings} r
                 where r.fetch_state = 'archived' and r.fetch_error like ${`${BUILD_FAILED}%`}
                   and not exists (select 1 from ${callAudio} a where a.conversation_id = r.conversation_id and a.purged_at is null))::int as failed
          from ${callAudio} where purged_at is null`,
  );
  return {
    byFetchState: new Map(states.map((s) => [s.state, s.n])),
    audio: { transcoded: audio?.transcoded ?? 0, stored: audio?.stored ?? 0, failed: audio?.failed ?? 0 },
  };
}

export interface LatestRun {
  status: string;
  startedAtSeconds: number;
  gapsRemaining: number | null;
  findings: { kind: string; count: number; unresolved: number }[];
}

export async function readLatestRun(db: Db): Promise<LatestRun | null> {
  const [run] = await queryRows<{ id: string; status: string; started: number; gaps: number | null }>(
    db,
    sql`select id, status, extract(epoch from started_at)::float8 as started, gaps_remaining as gaps
          from ${reconcileRuns} order by started_at desc limit 1`,
  );
  if (!run) return null;
  const findings = await queryRows<{ kind: string; n: number; unresolved: number }>(
    db,
    sql`select kind, count(*)::int as n, (count(*) filter (where not resolved))::int as unresolved
          from ${reconcileFindings} where run_id = ${run.id} group by kind`,
  );
  return {
    status: run.status,
    startedAtSeconds: run.started,
    gapsRemaining: run.gaps,
    findings: findings.map((f) => ({ kind: f.kind, count: f.n, unresolved: f.unresolved })),
  };
}
