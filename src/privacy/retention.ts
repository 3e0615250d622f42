/**
 * Call-data retention (`retention.calls_days`): calls that ended longer ago than that are deleted
 * with everything they have — legs, recordings and their files, deliveries and attempts, live
 * rows, findings — and the stored bodies that carried them once no call of theirs is left. In
 * batches, once a day from the tick; calls under legal hold are never touched.
 * @module
 */
import { and, asc, isNull, lt, or, sql } from 'drizzle-orm';
import { conversations } from '../db/schema';
import { nowOf, type PrivacyDeps } from './deps';
import { deleteCalls, deleteOrphanBodies } from './purge';

export interface CallPurgeResult {
  calls: number;
  recordings: number;
  files: number;
  bodies: number;
  errors: string[];
}

const DAY_MS = 86_400_000;
/** When the last run finished, per deps (a process runs its own; concurrent runs are harmless). */
const lastRun = new WeakMap<object, number>();

/** Runs the purge when calls_days is set and this process has not run it for a day. */
export async function purgeOldCallsIfDue(deps: PrivacyDeps): Promise<CallPurgeResult | null> {
  if (!deps.retention.calls_days) return null;
  const now = nowOf(deps);
  const last = lastRun.get(deps.retention);
  if (last !== undefined && now.getTime() - last < DAY_MS) return null;
  lastRun.set(deps.retention, now.getTime());
  return purgeOldCalls(deps, now);
}

/** Deletes every call that ended before now − calls_days (not on hold), `batch` at a time. */
export async function purgeOldCalls(deps: PrivacyDeps, now: Date, batch = 200, maxBatches = 50): Promise<CallPurgeResult> {
  const result: CallPurgeResult = { calls: 0, recordings: 0, files: 0, bodies: 0, errors: [] };
  const days = deps.retention.calls_days;
  if (!days) return result;
  const cutoff = new Date(now.getTime() - days * DAY_MS);
  const failed = new Set<string>();
  for (let round = 0; round < maxBatches; round++) {
    const rows = await deps.db
      .select({ id: conversations.id })
      .from(conversations)
      .where(
        and(
          isNull(conversations.legalHoldAt),
          or(lt(conversations.endedAt, cutoff), and(isNull(conversations.endedAt), lt(conversations.lastEventAt, cutoff))),
          failed.size ? sql`${conversations.id} <> all(${`{${[...failed].join(',')}}`}::uuid[])` : undefined,
        ),
      )
      .orderBy(asc(conversations.endedAt))
      .limit(batch);
    if (!rows.length) break;
    const gone = await deleteCalls(
      deps,
      rows.map((r) => r.id),
    );
    result.calls += gone.calls;
    result.recordings += gone.recordings;
    result.files += gone.files;
    result.bodies += await deleteOrphanBodies(deps, gone.bodyIds);
    for (const e of gone.errors) result.errors.push(e);
    for (const id of gone.failedIds) failed.add(id);
    deps.log.info('call retention batch', { days, calls: gone.calls, recordings: gone.recordings, files: gone.files, errors: gone.errors.length });
    if (rows.length < batch) break;
  }
  if (result.calls || result.errors.length) deps.log.info('call retention purge', { days, ...result, errors: result.errors.length });
  return result;
}
