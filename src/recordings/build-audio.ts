/**
 * Step two: a conversation's archived segments, in the order they were recorded, become the one
 * MP3 the rep hears (a transfer's segments joined; a single MP3 kept as is). The file is written
 * to storage before call_audio points at it; a rebuild (a late segment) writes a new object and
 * only then drops the old one, so a player mid-stream never loses its file. The note's link
 * appears (or stays valid) through the usual note update.
 * @module
 */
import { and, asc, eq, inArray, isNotNull, lte, sql } from 'drizzle-orm';
import { callAudio, conversations, legs, recordings } from '../db/schema';
import { userFor } from '../domain/people';
import { queueNoteUpdates } from '../ledger/settle';
import { sha256BytesHex } from '../lib/crypto';
import { describeError } from '../lib/log';
import { buildCallAudio } from './audio/build';
import { retentionDays } from './config';
import type { RecordingsDeps, RecordingsRuntime } from './deps';

/** How a failed build marks the call's archived segments (GET /metrics counts these calls). */
export const BUILD_FAILED = "building the call's MP3 failed";

/** How long a worker holds a call whose MP3 it builds before another may. */
const BUILD_CLAIM_MS = 10 * 60_000;

export interface BuildResult {
  built: number;
  failed: number;
}

export async function buildDueAudio(deps: RecordingsDeps, runtime: RecordingsRuntime, limit = 5): Promise<BuildResult> {
  const now = (deps.now ?? (() => new Date()))();
  // Claimed (as archive.ts claims fetches): one worker builds a call's MP3, and a segment that
  // comes due again while it builds (a late leg) is not lost when the claim is released.
  const claimedUntil = new Date(now.getTime() + BUILD_CLAIM_MS);
  const due = await deps.db.transaction(async (tx) => {
    const rows = await tx
      .select({ id: conversations.id, extension: conversations.extension })
      .from(conversations)
      .where(and(isNotNull(conversations.audioDueAt), lte(conversations.audioDueAt, now)))
      .orderBy(asc(conversations.audioDueAt))
      .limit(limit)
      .for('update', { skipLocked: true });
    if (rows.length) {
      await tx
        .update(conversations)
        .set({ audioDueAt: claimedUntil })
        .where(
          inArray(
            conversations.id,
            rows.map((r) => r.id),
          ),
        );
    }
    return rows;
  });
  const result: BuildResult = { built: 0, failed: 0 };
  for (const conversation of due) {
    try {
      if (await buildOne(deps, runtime, conversation, now)) result.built++;
    } catch (error) {
      result.failed++;
      deps.log.error('could not build a call recording', { conversation: conversation.id, error });
      // Recorded on the segments, where an admin looks; not retried: the same bytes fail the same way.
      await deps.db
        .update(recordings)
        .set({ fetchError: `${BUILD_FAILED}: ${describeError(error)}`, updatedAt: now })
        .where(and(eq(recordings.conversationId, conversation.id), eq(recordings.fetchState, 'archived')));
    }
    await deps.db
      .update(conversations)
      .set({ audioDueAt: null })
      .where(and(eq(conversations.id, conversation.id), eq(conversations.audioDueAt, claimedUntil)));
  }
  return result;
}

async function buildOne(deps: RecordingsDeps, runtime: RecordingsRuntime, conversation: { id: string; extension: string | null }, now: Date): Promise<boolean> {
  // In the order they were recorded: by their leg's start; a whole-call recording by arrival.
  const segments = await deps.db
    .select({ id: recordings.id, key: recordings.archiveKey, sha256: recordings.sha256, format: recordings.format })
    .from(recordings)
    .leftJoin(legs, and(eq(legs.conversationId, recordings.conversationId), eq(legs.legKey, recordings.legKey)))
    .where(and(eq(recordings.conversationId, conversation.id), eq(recordings.fetchState, 'archived')))
    .orderBy(asc(sql`coalesce(${legs.startedAt}, ${recordings.createdAt})`), asc(recordings.recordingKey));
  if (segments.length === 0) return false;
  const builtFrom = segments.map((s) => ({ id: s.id, sha256: s.sha256 ?? '' }));
  const [existing] = await deps.db.select().from(callAudio).where(eq(callAudio.conversationId, conversation.id));
  if (existing && !existing.purgedAt && JSON.stringify(existing.builtFrom) === JSON.stringify(builtFrom)) return false;

  const inputs = [];
  for (const segment of segments) {
    const object = segment.key ? await runtime.storage.get(segment.key) : null;
    if (!object) throw new Error(`segment ${segment.id} is missing from storage (${segment.key})`);
    inputs.push({ bytes: new Uint8Array(await new Response(object.body).arrayBuffer()), name: segment.key ?? segment.id });
  }
  const audio = await buildCallAudio(inputs);
  const sha256 = sha256BytesHex(audio.mp3);
  const id = existing?.id ?? crypto.randomUUID();
  const key = `calls/${now.toISOString().slice(0, 7).replace('-', '/')}/${id}-${sha256.slice(0, 12)}.mp3`;
  await runtime.storage.put(key, audio.mp3, 'audio/mpeg');

  const { department } = userFor(deps.config, conversation.extension);
  const expiresAt = new Date(now.getTime() + retentionDays(deps.config.recordings, conversation.extension, department) * 86_400_000);
  const row = {
    storageKey: key,
    sha256,
    bytes: audio.mp3.length,
    durationMs: audio.durationMs,
    builtFrom,
    transcoded: audio.transcoded,
    expiresAt,
    purgedAt: null,
    updatedAt: now,
  };
  await deps.db.transaction(async (tx) => {
    if (existing) await tx.update(callAudio).set(row).where(eq(callAudio.id, existing.id));
    else await tx.insert(callAudio).values({ id, conversationId: conversation.id, ...row });
    await tx
      .update(conversations)
      .set({ revision: sql`${conversations.revision} + 1`, updatedAt: now })
      .where(eq(conversations.id, conversation.id));
    await queueNoteUpdates(tx, [conversation.id], now);
  });
  if (existing && existing.storageKey !== key) await runtime.storage.delete(existing.storageKey).catch(() => {});
  return true;
}
