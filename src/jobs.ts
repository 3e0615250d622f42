/**
 * Periodic work, the same on every runtime: Node runs it on a timer, Workers on a Cron Trigger.
 * Each step is safe to run concurrently from several processes.
 * @module
 */
import { inboxDeps, type AppDeps } from './deps';
import { reprocessInbox } from './ledger/inbox';
import { settleDue } from './ledger/settle';
import { recordingLinkResolvers } from './pbx/resolvers';
import { resolveRecordingLinks } from './recordings/links';

export interface TickResult {
  retried: number;
  stillFailing: number;
  settled: number;
  /** Recordings whose link the PBX's API gave this tick. */
  linked: number;
}

export async function runTick(deps: AppDeps): Promise<TickResult> {
  const inbox = inboxDeps(deps);
  const retry = await reprocessInbox(inbox, { due: true, limit: 50 });
  const settled = await settleDue(deps.db, inbox.ctx, inbox.now());
  const linked = await resolveRecordingLinks(deps, recordingLinkResolvers);
  const result = { retried: retry.processed.length, stillFailing: retry.failed.length, settled, linked };
  if (result.retried || result.stillFailing || result.settled || result.linked) deps.log.debug('tick', { ...result });
  return result;
}
