/**
 * Periodic work, the same on every runtime: Node runs it on a timer, Workers on a Cron Trigger.
 * Each step is safe to run concurrently from several processes.
 * @module
 */
import { inboxDeps, type AppDeps } from './deps';
import { reprocessInbox } from './ledger/inbox';
import { settleDue } from './ledger/settle';
import { processRecordings } from './recordings/process';

export interface TickResult {
  retried: number;
  stillFailing: number;
  settled: number;
  /** Recordings whose link the PBX's API gave this tick. */
  linked: number;
  /** Recordings copied into our storage, and calls whose MP3 was (re)built. */
  archived: number;
  built: number;
}

export async function runTick(deps: AppDeps): Promise<TickResult> {
  const inbox = inboxDeps(deps);
  const retry = await reprocessInbox(inbox, { due: true, limit: 50 });
  const settled = await settleDue(deps.db, inbox.ctx, inbox.now());
  const recordingsStep = await processRecordings(deps);
  const result = {
    retried: retry.processed.length,
    stillFailing: retry.failed.length,
    settled,
    linked: recordingsStep.linked,
    archived: recordingsStep.archived,
    built: recordingsStep.built,
  };
  if (Object.values(result).some(Boolean)) deps.log.debug('tick', { ...result });
  return result;
}
