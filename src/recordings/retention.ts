/**
 * The daily purge: MP3s and archived segments past their retention (recordings.retention_days,
 * per-extension/department overrides) are deleted from storage; their rows stay, with purged_at,
 * so the call's history still says a recording existed. A call that has not reached the CRM yet
 * keeps its file whatever its age — it may be the only copy left — and so does a call under legal
 * hold. Each run is kept for the report.
 * @module
 */
import { and, desc, eq, inArray, isNull, lte, sql } from 'drizzle-orm';
import { callAudio, conversations, deliveries, recordingPurges, recordings } from '../db/schema';
import { describeError } from '../lib/log';
import type { RecordingsDeps, RecordingsRuntime } from './deps';
import { forgetServedLinks } from './serve/link-cache';

export interface PurgeResult {
  purgedCalls: number;
  purgedFiles: number;
  freedBytes: number;
  keptPending: number;
  errors: string[];
}

/** Runs the purge if the last one is a day old (cheap to call from every tick). */
export async function purgeIfDue(deps: RecordingsDeps, runtime: RecordingsRuntime): Promise<PurgeResult | null> {
  const now = (deps.now ?? (() => new Date()))();
  const [last] = await deps.db.select({ ranAt: recordingPurges.ranAt }).from(recordingPurges).orderBy(desc(recordingPurges.ranAt)).limit(1);
  if (last && now.getTime() - last.ranAt.getTime() < 86_400_000) return null;
  return purgeExpired(deps, runtime, now);
}

export async function purgeExpired(deps: RecordingsDeps, runtime: RecordingsRuntime, now: Date, batch = 500): Promise<PurgeResult> {
  const result: PurgeResult = { purgedCalls: 0, purgedFiles: 0, freedBytes: 0, keptPending: 0, errors: [] };
  const expired = await deps.db
    .select({
      id: callAudio.id,
      conversationId: callAudio.conversationId,
      key: callAudio.storageKey,
      bytes: callAudio.bytes,
      // Any CRM delivery of the call still open: its recording is the only copy that will ever reach it.
      // Qualified by hand: drizzle writes a bare column name, which inside the subquery would be d's own.
      pending: sql<boolean>`exists (select 1 from ${deliveries} d where d.conversation_id = call_audio.conversation_id
                                     and d.state = 'pending')`,
    })
    .from(callAudio)
    .where(
      and(
        isNull(callAudio.purgedAt),
        lte(callAudio.expiresAt, now),
        // A call under legal hold keeps its recording whatever its age (privacy/hold.ts).
        sql`not exists (select 1 from ${conversations} c where c.id = call_audio.conversation_id and c.legal_hold_at is not null)`,
      ),
    )
    .limit(batch);
  for (const audio of expired) {
    if (audio.pending) {
      result.keptPending++;
      continue;
    }
    try {
      const segments = await deps.db
        .select({ id: recordings.id, key: recordings.archiveKey, bytes: recordings.bytes })
        .from(recordings)
        .where(and(eq(recordings.conversationId, audio.conversationId), eq(recordings.fetchState, 'archived')));
      // Storage first: a row marked purged must never point at a file that is still there.
      await runtime.storage.delete(audio.key);
      for (const s of segments) if (s.key) await runtime.storage.delete(s.key);
      await deps.db.transaction(async (tx) => {
        await tx.update(callAudio).set({ purgedAt: now, updatedAt: now }).where(eq(callAudio.id, audio.id));
        if (segments.length) {
          await tx
            .update(recordings)
            .set({ fetchState: 'purged', updatedAt: now })
            .where(
              inArray(
                recordings.id,
                segments.map((s) => s.id),
              ),
            );
        }
      });
      // Links served from this process's cache stop at once (elsewhere: the file is gone, the cache's TTL).
      forgetServedLinks();
      result.purgedCalls++;
      result.purgedFiles += 1 + segments.length;
      result.freedBytes += audio.bytes + segments.reduce((sum, s) => sum + (s.bytes ?? 0), 0);
    } catch (error) {
      result.errors.push(`call audio ${audio.id}: ${describeError(error)}`);
    }
  }
  await deps.db.insert(recordingPurges).values({ ranAt: now, ...result, errors: result.errors.slice(0, 50) });
  if (result.purgedCalls || result.keptPending || result.errors.length) deps.log.info('recording retention purge', { ...result, errors: result.errors.length });
  return result;
}
