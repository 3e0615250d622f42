/**
 * One slice of a reconciliation run: the phases in order, each resumable from the run's progress,
 * each checking the slice's deadline between pages.
 *
 * 1. pull     — every PBX that can be asked gives back its calls of the window; a call the ledger
 *               never received (a lost webhook) is ingested like the webhook would have been,
 *               recorded as a finding, and settled at once (lost-calls.ts).
 * 2. crm      — the CRM's call notes written or changed from the window's start to now, every
 *               entity type, a page per request, staged in reconcile_crm_notes (position saved
 *               after each page; crm-notes.ts).
 * 3. compare  — set-based SQL between the window's calls and the staged notes (compare.ts); its
 *               findings and their actions are written in the same transaction as the progress.
 * 4. repush   — the repaired deliveries go out now (settle, recordings, delivery drain), until
 *               none is due or the slice's time is up; findings whose call is delivered are resolved.
 * 5. finish   — counts, staged notes dropped, and an alert when gaps remain or the CRM stopped us.
 *
 * Phases 3–5 are in phases.ts; what a slice carries between them (progress, time budget, phase
 * clock, saving) is slice.ts.
 * @module
 */
import { crmConnection } from '../delivery/setup';
import { listCrmNotes } from './crm-notes';
import type { ReconcileDeps } from './deps';
import { pullLostCalls } from './lost-calls';
import { compareOnce, finish, repushRepaired } from './phases';
import { OutOfTime, Slice, type RunRow, type SliceEnd, type SliceOptions } from './slice';

export type { RunRow, SliceEnd, SliceOptions } from './slice';

export async function runSlice(deps: ReconcileDeps, run: RunRow, options: SliceOptions): Promise<SliceEnd> {
  const slice = new Slice(deps, run, options);
  try {
    await pullLostCalls(slice);
    slice.enter('crm');
    const crm = crmConnection(slice.crmDeps);
    if (!crm) return { status: 'failed', error: 'no CRM to compare with (sandbox mode without the sandbox CRM)' };
    const stopped = await listCrmNotes(slice, crm);
    if (stopped) return stopped;
    await compareOnce(slice, crm.accountId);
    await repushRepaired(slice, crm.accountId);
    await finish(slice, crm.accountId);
    return { status: 'done' };
  } catch (error) {
    if (error instanceof OutOfTime) return await slice.pause();
    throw error;
  }
}
