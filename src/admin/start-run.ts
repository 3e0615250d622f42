/**
 * The console's "run now": a manual reconciliation of one local day, started and worked in the
 * background (the next tick resumes whatever one slice leaves).
 * @module
 */
import type { AppDeps } from '../deps';
import { backgroundSlice, continueRun, startRun } from '../reconcile/runs';

export async function startManualRun(deps: AppDeps, date: string): Promise<{ id: string; joined: boolean }> {
  const started = await startRun(deps, { date }, 'manual');
  if (!started.joined) deps.defer?.(continueRun(deps, started.id, backgroundSlice(deps)));
  return { id: started.id, joined: started.joined };
}
