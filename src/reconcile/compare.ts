/**
 * The comparison, as set-based SQL between the ledger's calls of the window and the CRM's notes
 * staged for the run — one statement per finding kind, whatever the day's volume. Each statement
 * records its findings and takes its action in one go:
 * - missing_in_crm: delivered with a note, but no note carries its uniq → re-pushed;
 * - duplicate_in_crm: two or more notes carry its uniq → listed with their ids (amoCRM has no
 *   API to delete a note; a person decides which one goes);
 * - missing_recording: its notes have no link although we have its recording (the archived MP3,
 *   or the PBX's URL where recordings are only referenced) → the note is updated;
 * - failed: the delivery gave up → retried once more;
 * - skipped: left out on purpose (internal call, policy) → listed with the reason.
 * Only calls delivered before the run began are judged, so a note written while the run lists the
 * CRM is never taken for a missing one.
 * @module
 */
import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { queryRows } from '../db/raw';
import { callAudio, conversations, deliveries, reconcileCrmNotes, reconcileFindings, recordings } from '../db/schema';

export interface CompareInput {
  runId: string;
  accountId: string;
  from: Date;
  to: Date;
  /** When the run began: later deliveries are not judged. */
  startedAt: Date;
  /** Recordings are archived here (a note links to our MP3) rather than referenced at the PBX. */
  recordingsArchived: boolean;
  now: Date;
}

/** What every comparison statement shares: the run, the window's calls of the account, the times, what "we have the file" means. */
interface Scope {
  runId: string;
  inWindow: SQL;
  began: SQL;
  now: SQL;
  hasFile: SQL;
}

function scopeOf(input: CompareInput): Scope {
  const from = sql`${input.from.toISOString()}::timestamptz`;
  const to = sql`${input.to.toISOString()}::timestamptz`;
  const began = sql`${input.startedAt.toISOString()}::timestamptz`;
  // "We have the file": its MP3 in our archive — or, where recordings are only referenced, a
  // PBX URL the note would link to (what the delivery's update step sends).
  const hasFile = input.recordingsArchived
    ? sql`exists (select 1 from ${callAudio} a where a.conversation_id = c.id and a.purged_at is null and a.updated_at < ${began})`
    : sql`exists (select 1 from ${recordings} r where r.conversation_id = c.id and r.status = 'referenced'
                    and r.origin_url ~* '^https?://')`;
  return {
    runId: input.runId,
    inWindow: sql`c.started_at >= ${from} and c.started_at < ${to} and d.crm_account_id = ${input.accountId}`,
    began,
    now: sql`${input.now.toISOString()}::timestamptz`,
    hasFile,
  };
}

/**
 * Writes the findings and takes their actions; returns how many calls of the window the ledger has.
 * Each statement writes its findings and acts on them; they are counted afterwards from the table
 * (phases.ts findingCounts).
 */
export async function compare(db: Db, input: CompareInput): Promise<{ calls: number }> {
  const scope = scopeOf(input);
  await missingInCrm(db, scope);
  await duplicatesInCrm(db, scope);
  await missingRecordings(db, scope);
  await gaveUp(db, scope);
  await skipped(db, scope);
  const [totals] = await queryRows<{ calls: number | string }>(
    db,
    sql`select count(*) as calls from ${conversations} c where c.started_at >= ${input.from.toISOString()}::timestamptz and c.started_at < ${input.to.toISOString()}::timestamptz`,
  );
  return { calls: Number(totals?.calls ?? 0) };
}

/** Delivered calls whose note the CRM no longer has: listed, and sent again. */
async function missingInCrm(db: Db, { runId, inWindow, began, now }: Scope): Promise<void> {
  await db.execute(
    sql`with gone as (
          select d.id, d.conversation_id from ${deliveries} d join ${conversations} c on c.id = d.conversation_id
           where ${inWindow} and d.state = 'delivered' and d.crm_refs ? 'note_id' and d.delivered_at < ${began}
             and not exists (select 1 from ${reconcileCrmNotes} n where n.run_id = ${runId} and n.uniq = d.uniq)),
        found as (
          insert into ${reconcileFindings} (run_id, conversation_id, kind, action, detail)
          select ${runId}, conversation_id, 'missing_in_crm', 'repushed', '{}'::jsonb from gone),
        repushed as (
          update ${deliveries} d set state = 'pending', step = 'log', attempts = 0, outcome_unknown = false,
                 next_attempt_at = ${now}, reason = null,
                 crm_refs = coalesce(d.crm_refs, '{}'::jsonb) - 'note_id' - 'entity_id' - 'entity_type' - 'task_id',
                 last_error = 'not on the CRM at reconciliation: sent again', updated_at = now()
            from gone where d.id = gone.id returning d.id)
        select count(*) as n from repushed`,
  );
}

/** Calls the CRM has more than one note of: listed with their notes (never deleted by us). */
async function duplicatesInCrm(db: Db, { runId, inWindow }: Scope): Promise<void> {
  await db.execute(
    sql`with twice as (
          select d.conversation_id, jsonb_agg(jsonb_build_object('note_id', n.note_id, 'entity_type', n.entity_type,
                 'entity_id', n.entity_id) order by n.note_id) as notes
            from ${deliveries} d join ${conversations} c on c.id = d.conversation_id
            join ${reconcileCrmNotes} n on n.run_id = ${runId} and n.uniq = d.uniq
           where ${inWindow}
           group by d.conversation_id having count(*) > 1),
        found as (
          insert into ${reconcileFindings} (run_id, conversation_id, kind, action, detail)
          select ${runId}, conversation_id, 'duplicate_in_crm', 'listed', jsonb_build_object('notes', notes) from twice
          returning 1)
        select count(*) as n from found`,
  );
}

/** Delivered calls whose note lacks the recording link while we have the file: the note is updated. */
async function missingRecordings(db: Db, { runId, inWindow, began, now, hasFile }: Scope): Promise<void> {
  await db.execute(
    sql`with bare as (
          select d.id, d.conversation_id,
                 (select jsonb_build_object('note_id', n.note_id, 'entity_type', n.entity_type, 'entity_id', n.entity_id)
                    from ${reconcileCrmNotes} n where n.run_id = ${runId} and n.uniq = d.uniq order by n.note_id limit 1) as note
            from ${deliveries} d join ${conversations} c on c.id = d.conversation_id
           where ${inWindow} and d.state = 'delivered' and d.delivered_at < ${began} and ${hasFile}
             and exists (select 1 from ${reconcileCrmNotes} n where n.run_id = ${runId} and n.uniq = d.uniq)
             and not exists (select 1 from ${reconcileCrmNotes} n where n.run_id = ${runId} and n.uniq = d.uniq and n.has_link = 1)),
        found as (
          insert into ${reconcileFindings} (run_id, conversation_id, kind, action, detail)
          select ${runId}, conversation_id, 'missing_recording', 'note_updated', jsonb_build_object('note', note) from bare),
        updated as (
          update ${deliveries} d set state = 'pending', step = 'update', attempts = 0, next_attempt_at = ${now},
                 -- the note the CRM has, which the update step patches
                 crm_refs = coalesce(d.crm_refs, '{}'::jsonb) || jsonb_build_object('note_id', bare.note->>'note_id',
                   'entity_type', bare.note->>'entity_type', 'entity_id', bare.note->>'entity_id'),
                 updated_at = now()
            from bare where d.id = bare.id returning d.id)
        select count(*) as n from updated`,
  );
}

/** Deliveries that gave up: listed, and retried. */
async function gaveUp(db: Db, { runId, inWindow, now }: Scope): Promise<void> {
  await db.execute(
    sql`with gave_up as (
          select d.id, d.conversation_id, d.reason from ${deliveries} d join ${conversations} c on c.id = d.conversation_id
           where ${inWindow} and d.state = 'failed'),
        found as (
          insert into ${reconcileFindings} (run_id, conversation_id, kind, action, detail)
          select ${runId}, conversation_id, 'failed', 'retried', jsonb_build_object('reason', reason) from gave_up),
        retried as (
          -- outcome_unknown stays: if the last attempt may have landed, the retry looks first
          update ${deliveries} d set state = 'pending', attempts = 0, next_attempt_at = ${now}, reason = null, updated_at = now()
            from gave_up where d.id = gave_up.id returning d.id)
        select count(*) as n from retried`,
  );
}

/** Calls not for the CRM: listed with the reason. */
async function skipped(db: Db, { runId, inWindow }: Scope): Promise<void> {
  await db.execute(
    sql`with left_out as (
          insert into ${reconcileFindings} (run_id, conversation_id, kind, action, detail)
          select ${runId}, d.conversation_id, 'skipped', 'listed', jsonb_build_object('reason', d.reason)
            from ${deliveries} d join ${conversations} c on c.id = d.conversation_id
           where ${inWindow} and d.state = 'skipped'
          returning 1)
        select count(*) as n from left_out`,
  );
}

/** Findings whose gap is closed now (the call is delivered again); returns how many stay open. */
export async function markResolved(db: Db, runId: string, accountId: string): Promise<number> {
  // The run's open findings are few: each is checked through the deliveries' unique index (a
  // join would hash the whole deliveries table of the account on every call).
  await db.execute(
    sql`update ${reconcileFindings} f set resolved = true
         where f.id in (
           select o.id from ${reconcileFindings} o
             cross join lateral (
               select 1 from ${deliveries} d
                where d.conversation_id = o.conversation_id and d.crm_account_id = ${accountId} and d.state = 'delivered'
                limit 1) delivered
            where o.run_id = ${runId} and not o.resolved
              and o.kind in ('missing_in_crm', 'missing_recording', 'failed', 'lost_webhook'))`,
  );
  const [open] = await queryRows<{ n: number | string }>(
    db,
    sql`select count(*) as n from ${reconcileFindings}
         where run_id = ${runId} and not resolved and kind in ('missing_in_crm', 'missing_recording', 'failed', 'lost_webhook')`,
  );
  return Number(open?.n ?? 0);
}
