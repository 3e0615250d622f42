/**
 * The outbox's database side: claim due deliveries with a lease, record the intent before a CRM
 * request (so a crash leaves "outcome unknown", never "not sent"), and write each request's
 * results. Every write is fenced by lease_owner: a worker whose lease expired cannot overwrite
 * what its successor did.
 * @module
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { json, queryRows, uuidArray } from '../db/raw';
import { callAudio, conversations, deliveries, deliveryAttempts, liveCalls, originations, recordings } from '../db/schema';
import type { DeliveryState, DeliveryStep } from '../domain/delivery';
import type { AttemptOutcome } from '../domain/delivery';
import type { DeliverableCall } from './payload';

export interface DeliveryRefs {
  note_id?: number | string;
  entity_id?: number | string;
  entity_type?: string;
  contact_id?: number | string;
  unsorted_uid?: string;
  task_id?: number | string;
}

export interface ClaimedDelivery extends DeliverableCall {
  step: DeliveryStep;
  attempts: number;
  outcomeUnknown: boolean;
  lastAttemptAt: Date | null;
  refs: DeliveryRefs;
  /** conversations.revision when claimed: what this run sends. */
  revision: number;
  /** The call's archived MP3 (its link is signed before the run), if it has one. */
  audioId: string | null;
  /** The PBX's own URL, used as the link only where recordings are not archived. */
  originLink: string | null;
  /** The trace the call's webhook started (kept while tracing is on): its delivery continues it. */
  traceParent?: string | null;
}

interface ClaimRow {
  id: string;
  step: DeliveryStep;
  attempts: number;
  outcome_unknown: boolean;
  last_attempt_at: string | Date | null;
  crm_refs: DeliveryRefs | null;
  uniq: string;
  call_key: string;
  direction: DeliverableCall['direction'];
  external_number: string | null;
  external_number_raw: string | null;
  extension: string | null;
  outcome: DeliverableCall['outcome'];
  started_at: string | Date | null;
  duration_seconds: number | null;
  talk_seconds: number | null;
  revision: number;
  audio_id: string | null;
  origin_link: string | null;
  line: string | null;
  live_ref: string | null;
  clicked: { user: string; ref: string | null } | null;
  trace_parent: string | null;
}

const date = (v: string | Date | null) => (v === null ? null : v instanceof Date ? v : new Date(v));

/**
 * Leases up to `limit` due pending deliveries of the account, oldest first, with their calls.
 * Rows leased by a live worker are skipped; so are rows locked by a concurrent claim.
 */
export async function claimDue(
  db: Db,
  accountId: string,
  owner: string,
  now: Date,
  limit: number,
  leaseSeconds: number,
  options: { waitForAudio: boolean } = { waitForAudio: false },
): Promise<ClaimedDelivery[]> {
  const at = now.toISOString();
  // With recordings archived here, a fresh call waits (up to 10 minutes) for its first fetch and
  // its MP3, so its note is written once, with the link, instead of written and then updated.
  const audioWait = options.waitForAudio
    ? sql`and not exists (
             select 1 from ${recordings} r
              where r.conversation_id = d0.conversation_id and r.fetch_state = 'waiting' and r.fetch_attempts = 0
                and r.created_at > ${at}::timestamptz - interval '10 minutes')
          and not exists (
             select 1 from ${conversations} c0
              where c0.id = d0.conversation_id and c0.audio_due_at is not null
                and c0.audio_due_at > ${at}::timestamptz - interval '10 minutes')`
    : sql``;
  const rows = await queryRows<ClaimRow>(
    db,
    sql`with due as (
          select id from ${deliveries} d0
           where crm_account_id = ${accountId} and state = 'pending' and next_attempt_at <= ${at}::timestamptz
             and (lease_expires_at is null or lease_expires_at < now())
             ${audioWait}
           order by next_attempt_at
           limit ${limit}
           for update skip locked)
        update ${deliveries} d
           set lease_owner = ${owner}, lease_expires_at = now() + make_interval(secs => ${leaseSeconds})
          from due, ${conversations} c
         where d.id = due.id and c.id = d.conversation_id
        returning d.id, d.step, d.attempts, d.outcome_unknown, d.last_attempt_at, d.crm_refs, d.uniq, c.call_key,
          c.direction, c.external_number, c.external_number_raw, c.extension, c.outcome, c.started_at,
          c.duration_seconds, c.talk_seconds, c.revision,
          (select a.id from ${callAudio} a where a.conversation_id = c.id and a.purged_at is null) as audio_id,
          (select r.origin_url from ${recordings} r
            where r.conversation_id = c.id and r.status = 'referenced' and r.origin_url ~* '^https?://'
            order by r.recording_key limit 1) as origin_link,
          c.line, c.trace_parent,
          (select l.crm_ref from ${liveCalls} l where l.source = c.source and l.call_key = c.call_key) as live_ref,
          -- A click-to-call from the CRM: the call it placed is the clicking user's.
          (select json_build_object('user', o.user_id, 'ref', o.crm_ref) from ${originations} o
            where c.direction = 'outbound' and o.state = 'requested' and o.user_id is not null
              and o.extension = c.extension and o.phone = c.external_number
              and o.requested_at between c.started_at - interval '5 minutes' and c.started_at + interval '1 minute'
            order by o.requested_at desc limit 1) as clicked`,
  );
  return rows.map(claimed).sort((a, b) => (a.startedAt?.getTime() ?? 0) - (b.startedAt?.getTime() ?? 0));
}

/** A claimed row as the run reads it. */
function claimed(r: ClaimRow): ClaimedDelivery {
  return {
    deliveryId: r.id,
    step: r.step,
    attempts: r.attempts,
    outcomeUnknown: r.outcome_unknown,
    lastAttemptAt: date(r.last_attempt_at),
    refs: r.crm_refs ?? {},
    uniq: r.uniq,
    callKey: r.call_key,
    direction: r.direction,
    externalNumber: r.external_number,
    externalNumberRaw: r.external_number_raw,
    extension: r.extension,
    outcome: r.outcome,
    startedAt: date(r.started_at),
    durationSeconds: r.duration_seconds,
    talkSeconds: r.talk_seconds,
    revision: r.revision,
    audioId: r.audio_id,
    originLink: r.origin_link,
    link: null,
    line: r.line,
    liveRef: r.live_ref ?? r.clicked?.ref ?? null,
    clickedBy: r.clicked?.user ?? null,
    traceParent: r.trace_parent,
  };
}

/**
 * Write-ahead: before a request that may change the CRM, the rows say so. A crash after this
 * commit leaves them outcome_unknown, and the next worker looks the call up before resending.
 */
export async function markIntent(db: Db, owner: string, ids: string[], step: DeliveryStep, now: Date): Promise<void> {
  if (ids.length === 0) return;
  await db.execute(
    sql`update ${deliveries} set outcome_unknown = true, step = ${step}, attempts = attempts + 1,
          last_attempt_at = ${now.toISOString()}::timestamptz, updated_at = now()
        where id = any(${uuidArray(ids)}) and lease_owner = ${owner}`,
  );
}

/** The new state of a delivery after a request (or a lookup). */
export interface DeliveryUpdate {
  id: string;
  state: DeliveryState;
  step: DeliveryStep;
  attempts: number;
  nextAttemptAt: Date | null;
  outcomeUnknown: boolean;
  reason: string | null;
  lastError: string | null;
  /** Merged into crm_refs. */
  refs: DeliveryRefs;
  deliveredRevision: number | null;
  deliveredAt: Date | null;
  /** Keep the lease: the row goes on to its next step in this run. */
  keepLease: boolean;
}

export interface AttemptRecord {
  deliveryId: string;
  step: DeliveryStep;
  outcome: AttemptOutcome;
  httpStatus: number | null;
  detail: string | null;
}

/**
 * Writes updates and their attempt records in one statement. Rows that became delivered with a
 * note while their conversation moved on (a late recording) are queued for an update at once.
 */
export async function writeResults(db: Db, owner: string, updates: DeliveryUpdate[], attempts: AttemptRecord[], now: Date): Promise<number> {
  if (updates.length === 0 && attempts.length === 0) return 0;
  const at = now.toISOString();
  const values = updates.map((u) => ({
    id: u.id,
    state: u.state,
    step: u.step,
    attempts: u.attempts,
    next_attempt_at: u.nextAttemptAt,
    outcome_unknown: u.outcomeUnknown,
    reason: u.reason,
    last_error: u.lastError,
    refs: u.refs,
    delivered_revision: u.deliveredRevision,
    // When the CRM had answered — this write — not when the request was prepared (before its wait
    // for a budget slot): a reconciliation judges only calls delivered before it began listing,
    // and a note written after its listing but stamped before it would be re-pushed, twice on the CRM.
    delivered_at: u.deliveredAt ? at : null,
    keep_lease: u.keepLease,
  }));
  const attemptRows = attempts.map((a) => ({ delivery_id: a.deliveryId, step: a.step, outcome: a.outcome, http_status: a.httpStatus, detail: a.detail }));
  const rows = await queryRows<{ id: string }>(
    db,
    sql`with updated as (
          update ${deliveries} d set
            state = case when x.state = 'delivered' and (coalesce(d.crm_refs, '{}'::jsonb) || x.refs) ? 'note_id' and c.revision > coalesce(x.delivered_revision, d.delivered_revision, 0)
                         then 'pending' else x.state end,
            step = case when x.state = 'delivered' and (coalesce(d.crm_refs, '{}'::jsonb) || x.refs) ? 'note_id' and c.revision > coalesce(x.delivered_revision, d.delivered_revision, 0)
                        then 'update' else x.step end,
            next_attempt_at = case when x.state = 'delivered' and (coalesce(d.crm_refs, '{}'::jsonb) || x.refs) ? 'note_id' and c.revision > coalesce(x.delivered_revision, d.delivered_revision, 0)
                                   then ${at}::timestamptz else x.next_attempt_at end,
            attempts = x.attempts, outcome_unknown = x.outcome_unknown, reason = x.reason,
            last_error = coalesce(x.last_error, case when x.state = 'pending' then d.last_error end),
            crm_refs = coalesce(d.crm_refs, '{}'::jsonb) || x.refs,
            delivered_revision = coalesce(x.delivered_revision, d.delivered_revision),
            delivered_at = coalesce(x.delivered_at, d.delivered_at),
            lease_owner = case when x.keep_lease then d.lease_owner end,
            lease_expires_at = case when x.keep_lease then d.lease_expires_at end,
            updated_at = now()
          from json_to_recordset(${json(values)}) as x(id uuid, state text, step text, attempts int,
                 next_attempt_at timestamptz, outcome_unknown boolean, reason text, last_error text, refs jsonb,
                 delivered_revision int, delivered_at timestamptz, keep_lease boolean),
               ${conversations} c
          where d.id = x.id and c.id = d.conversation_id and d.lease_owner = ${owner}
          returning d.id),
        logged as (
          insert into ${deliveryAttempts} (delivery_id, step, outcome, http_status, detail, at)
          select a.delivery_id, a.step, a.outcome, a.http_status, a.detail, ${at}::timestamptz
            from json_to_recordset(${json(attemptRows)})
              as a(delivery_id uuid, step text, outcome text, http_status int, detail text))
        select id from updated`,
  );
  return rows.length;
}
