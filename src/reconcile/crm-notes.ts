/**
 * Phase 2 of a slice, the CRM side: the CRM's call notes written or changed from the window's
 * start to now, every entity type, a page per request, staged in reconcile_crm_notes with the
 * listing's position saved after each page. A thing of its own because it is where the CRM can
 * stop the run: its troubles (blocked, refused, unavailable) decide whether the run fails or pauses.
 * @module
 */
import { eq, sql } from 'drizzle-orm';
import { markStatus } from '../crm/account';
import type { CrmConnection } from '../crm/connect';
import { CrmError, type ListPosition, type LoggedCall } from '../crm/port';
import type { Db } from '../db/client';
import { crmAccounts, reconcileCrmNotes, reconcileRuns } from '../db/schema';
import type { Slice, SliceEnd } from './slice';

/** A transient CRM trouble (429, 5xx) lets the run pause and resume; this many in a row fail it. */
export const MAX_TRANSIENT_FAILURES = 5;

/** 2. The CRM side: its call notes, staged page by page. Null: the slice goes on; else how it ends. */
export async function listCrmNotes(slice: Slice, crm: CrmConnection): Promise<SliceEnd | null> {
  const { db, progress } = slice;
  if (progress.crm.done) return null;
  const [account] = await db.select({ status: crmAccounts.status }).from(crmAccounts).where(eq(crmAccounts.id, crm.accountId));
  if (account && account.status !== 'ok') return { status: 'failed', error: `the CRM connection is ${account.status}: an admin must act` };
  let notes: number;
  try {
    notes = await stagePages(slice, crm);
  } catch (error) {
    if (!(error instanceof CrmError)) throw error;
    return await crmTrouble(slice, crm.accountId, error);
  }
  progress.crm = { ...progress.crm, done: true };
  await slice.save(db);
  slice.log.info('CRM notes listed', { notes });
  return null;
}

/** Lists the CRM's notes from where the run stopped, staging each page and saving the position after it. */
async function stagePages(slice: Slice, crm: CrmConnection): Promise<number> {
  const { db, progress, run } = slice;
  let notes = 0;
  const from: ListPosition | undefined = progress.crm.entity ? { entityType: progress.crm.entity, page: progress.crm.page } : undefined;
  // Up to a day ahead: a note changed while the listing runs stays in it (and in its place).
  const listTo = new Date(slice.now().getTime() + 86_400_000);
  for await (const page of crm.port.listLoggedCalls({ from: slice.window.from, to: listTo }, from)) {
    await stageNotes(db, run.id, page.calls);
    notes += page.calls.length;
    progress.crm = page.next ? { entity: page.next.entityType, page: page.next.page, done: false } : { ...progress.crm, done: true };
    progress.transientFailures = 0;
    await slice.save(db, { crmNotes: sql`${reconcileRuns.crmNotes} + ${page.calls.length}` });
    slice.unitDone();
  }
  return notes;
}

/** One page of the CRM's notes into reconcile_crm_notes (a note staged before is kept). */
async function stageNotes(db: Db, runId: string, calls: LoggedCall[]): Promise<void> {
  if (!calls.length) return;
  await db
    .insert(reconcileCrmNotes)
    .values(
      calls.map((c) => ({
        runId,
        uniq: c.uniq,
        noteId: String(c.noteId),
        entityType: c.entityType,
        entityId: String(c.entityId),
        // A CRM that cannot tell is taken at its word that the recording is there.
        hasLink: c.link === undefined || c.link ? 1 : 0,
      })),
    )
    .onConflictDoNothing();
}

/** What the CRM's trouble means for the run: the account marked and the run failed, or a pause. */
async function crmTrouble(slice: Slice, accountId: string, error: CrmError): Promise<SliceEnd> {
  const { db, progress } = slice;
  const failure = error.failure;
  if (failure.kind === 'blocked' || failure.kind === 'unauthorized') {
    await markStatus(db, accountId, failure.kind, failure.detail, slice.now());
    await slice.save(db);
    return { status: 'failed', error: `the CRM answered ${failure.kind}: ${failure.detail}` };
  }
  if (failure.kind === 'rejected') {
    // The CRM refuses the listing itself (a request the config describes wrongly, a CRM that
    // cannot list): asking again will not help.
    await slice.save(db);
    return { status: 'failed', error: `the CRM refused to list its calls: ${failure.detail}` };
  }
  progress.transientFailures = (progress.transientFailures ?? 0) + 1;
  await slice.save(db);
  if (progress.transientFailures >= MAX_TRANSIENT_FAILURES) {
    return { status: 'failed', error: `the CRM failed ${progress.transientFailures} times in a row: ${error.message}` };
  }
  return { status: 'paused', reason: `the CRM is unavailable for now (${failure.kind}); the listing resumes where it stopped` };
}
