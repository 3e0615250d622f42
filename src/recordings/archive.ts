/**
 * Step one of a recording's life in calltrail: copy the PBX's file into our storage, before the
 * PBX's own retention deletes it. Due recordings are fetched (SSRF-guarded; downloaded through
 * the vendor's API by id; or read from a local path on a Node host beside the PBX), checksummed
 * and stored under their id; a failure backs off and, after the last attempt or when trying again
 * cannot help, is `failed` with its reason — per recording: the others go on, and the call itself
 * goes out regardless.
 * @module
 */
import { and, asc, eq, inArray, isNotNull, isNull, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { conversations, recordings } from '../db/schema';
import { userFor } from '../domain/people';
import { sha256BytesHex } from '../lib/crypto';
import { detectAudio } from './audio/detect';
import { AudioFormatError } from './audio/wav';
import { allowedHostsFor, syncExcluded } from './config';
import type { RecordingSources, RecordingsDeps, RecordingsRuntime } from './deps';
import type { RecordingDownloader } from './downloads';
import type { FetchPolicy } from './fetch/port';
import { downloadByRef, fetchOrigin } from './origin';
import { decideRecording, loadPolicyRules, type PolicyRule, policyReason } from './policy';

/** Tries before a recording is left failed; the waits grow from 30 s to 12 h (about two days in all). */
export const MAX_FETCH_ATTEMPTS = 10;
/** How long a worker holds a recording it is fetching before another may try (a fetch times out well before). */
export const CLAIM_MS = 5 * 60_000;
const retryDelayMs = (attempts: number) => Math.min(12 * 3600_000, 30_000 * 3 ** Math.max(0, attempts - 1));

/** A header-only WAV, as Asterisk leaves for a call that was never really recorded. */
const EMPTY_WAV_BYTES = 44;

export interface DueRecording {
  id: string;
  conversationId: string;
  source: string;
  callKey: string;
  legKey: string;
  extension: string | null;
  /** For the recording policy: the call's line, direction and start (or first sight). */
  line: string | null;
  direction: string | null;
  startedAt: Date | null;
  seenAt: Date;
  /** Where the file is; null for a recording its source's downloader asks the PBX's API for. */
  originUrl: string | null;
  vendorRef: string | null;
  attempts: number;
}

export interface ArchiveResult {
  archived: number;
  failed: number;
  skipped: number;
}

/**
 * Copies due recordings into storage. `sources.downloaders`: the sources whose files are fetched
 * through their API by id (downloads.ts); their recordings have no origin URL, only the vendor's ref.
 */
export async function archiveDueRecordings(deps: RecordingsDeps, runtime: RecordingsRuntime, sources: RecordingSources, limit = 10): Promise<ArchiveResult> {
  const now = (deps.now ?? (() => new Date()))();
  const active = sources.downloaders.filter((d) => d.enabled(deps));
  // Claimed, not just read: with several workers on one database each recording is fetched by
  // one of them. The claim pushes its due time on by CLAIM_MS; a worker killed mid-fetch leaves it
  // to come due again then, and the outcome (archived, or the next retry) overwrites the claim.
  const due = await deps.db.transaction(async (tx) => {
    const rows = await tx
      .select({
        id: recordings.id,
        conversationId: recordings.conversationId,
        source: conversations.source,
        callKey: conversations.callKey,
        legKey: recordings.legKey,
        extension: conversations.extension,
        line: conversations.line,
        direction: conversations.direction,
        startedAt: conversations.startedAt,
        seenAt: conversations.createdAt,
        originUrl: recordings.originUrl,
        vendorRef: recordings.vendorRef,
        attempts: recordings.fetchAttempts,
      })
      .from(recordings)
      .innerJoin(conversations, eq(conversations.id, recordings.conversationId))
      .where(and(eq(recordings.fetchState, 'waiting'), lte(recordings.nextFetchAt, now), or(isNotNull(recordings.originUrl), downloadable(active))))
      .orderBy(asc(recordings.nextFetchAt))
      .limit(limit)
      .for('update', { of: recordings, skipLocked: true });
    if (rows.length) {
      await tx
        .update(recordings)
        .set({ nextFetchAt: new Date(now.getTime() + CLAIM_MS) })
        .where(
          inArray(
            recordings.id,
            rows.map((r) => r.id),
          ),
        );
    }
    return rows;
  });
  const result: ArchiveResult = { archived: 0, failed: 0, skipped: 0 };
  const rules = due.length ? await loadPolicyRules(deps.db) : [];
  for (const row of due as DueRecording[]) {
    const outcome = await archiveOne(deps, runtime, row, now, { ...sources, downloaders: active }, rules);
    result[outcome]++;
  }
  return result;
}

/**
 * The row still names the file this worker fetched: the PBX may have sent another file for it
 * meanwhile (the ledger then restarts its fetch, ledger/recordings.ts), and the outcome of the old
 * one must not overwrite that.
 */
function stillTheFile(row: Pick<DueRecording, 'id' | 'originUrl' | 'vendorRef'>): SQL {
  return and(
    eq(recordings.id, row.id),
    row.originUrl === null ? isNull(recordings.originUrl) : eq(recordings.originUrl, row.originUrl),
    row.vendorRef === null ? isNull(recordings.vendorRef) : eq(recordings.vendorRef, row.vendorRef),
  ) as SQL;
}

/** Recordings known only by the vendor's ref, of a source whose downloader is enabled. */
function downloadable(active: readonly RecordingDownloader[]): SQL {
  if (active.length === 0) return sql`false`;
  const sources = sql.join(
    active.map((d) => sql`${d.source}`),
    sql`, `,
  );
  return and(isNull(recordings.originUrl), isNotNull(recordings.vendorRef), sql`${conversations.source} in (${sources})`) as SQL;
}

/** `sources.downloaders`: the enabled ones only. */
async function archiveOne(
  deps: RecordingsDeps,
  runtime: RecordingsRuntime,
  row: DueRecording,
  now: Date,
  sources: RecordingSources,
  rules: readonly PolicyRule[] = [],
): Promise<keyof ArchiveResult> {
  const config = deps.config.recordings;
  const { userId, department } = userFor(deps.config, row.extension);
  const policy = decideRecording(rules, { userId, department, line: row.line, direction: row.direction, at: row.startedAt ?? row.seenAt });
  if (!policy.record) {
    await skip(deps.db, row, policyReason(policy.rule), now);
    return 'skipped';
  }
  if (syncExcluded(config, row.extension, department)) {
    await skip(deps.db, row, `recordings of ${row.extension ? `extension ${row.extension}` : 'this call'} are not synced (recordings.sync)`, now);
    return 'skipped';
  }
  const fetchPolicy: FetchPolicy = {
    // FreePBX's calls live under asterisk: the hosts listed for either serve them.
    allowedHosts: sources.sourcesSharing(row.source).flatMap((source) => allowedHostsFor(config, source)),
    allowPrivate: config.allow_private_hosts,
    maxBytes: config.max_mb * 1024 * 1024,
    timeoutMs: config.timeout_seconds * 1000,
    maxRedirects: 3,
  };
  const fetched =
    row.originUrl === null
      ? await downloadByRef(deps, runtime, row, fetchPolicy, sources.downloaders)
      : await fetchOrigin(runtime, row.originUrl, fetchPolicy, config.local_paths);
  // The vendor's allowance for this minute is used up: the recording keeps its turn.
  if (fetched === 'later') return 'skipped';
  if (!fetched.ok && linkDied(row, fetched)) return relink(deps, row, fetched.reason, now);
  if (!fetched.ok) return fetchFailed(deps, row, fetched, now);
  return store(deps, runtime, row, fetched.bytes, now);
}

/** A link a vendor's API gave (links.ts) that its host no longer honours: expired, or void after use. */
function linkDied(row: DueRecording, fetched: { status?: number }): boolean {
  return row.vendorRef !== null && row.originUrl !== null && [401, 403, 404, 410].includes(fetched.status ?? 0);
}

/** The dead link is dropped, so the source's resolver asks its API for a new one on the back-off. */
async function relink(deps: RecordingsDeps, row: DueRecording, reason: string, now: Date): Promise<keyof ArchiveResult> {
  const attempts = row.attempts + 1;
  // Out of tries: failed (retryable — the link died, calltrail did not refuse it).
  if (attempts >= MAX_FETCH_ATTEMPTS) return fetchFailed(deps, row, { reason, retryable: true }, now);
  await deps.db
    .update(recordings)
    .set({
      originUrl: null,
      fetchAttempts: attempts,
      fetchError: `${reason} (the vendor's link no longer works: a new one is asked for)`,
      nextFetchAt: new Date(now.getTime() + retryDelayMs(attempts)),
      updatedAt: now,
    })
    .where(stillTheFile(row));
  return 'skipped';
}

/**
 * Another try later, on the back-off; refused when calltrail will not fetch it (a refusal is not
 * retryable: the policy, a size limit, no downloader); failed when the tries are used up.
 */
async function fetchFailed(deps: RecordingsDeps, row: DueRecording, fetched: { reason: string; retryable: boolean }, now: Date): Promise<keyof ArchiveResult> {
  const attempts = row.attempts + 1;
  const giveUp = !fetched.retryable || attempts >= MAX_FETCH_ATTEMPTS;
  const updated = await deps.db
    .update(recordings)
    .set({
      fetchAttempts: attempts,
      fetchError: fetched.reason,
      fetchState: !fetched.retryable ? 'refused' : giveUp ? 'failed' : 'waiting',
      nextFetchAt: giveUp ? null : new Date(now.getTime() + retryDelayMs(attempts)),
      updatedAt: now,
    })
    .where(stillTheFile(row))
    .returning({ id: recordings.id });
  if (!updated.length) return 'skipped';
  deps.log.warn('could not fetch a recording', { recording: row.id, source: row.source, attempts, reason: fetched.reason, final: giveUp });
  // Given up: the call's MP3 is built from the segments that did arrive.
  if (giveUp) await audioDue(deps.db, row.conversationId, now);
  return giveUp ? 'failed' : 'skipped';
}

/** The fetched file into storage, checksummed, once it is audio we can play. */
async function store(deps: RecordingsDeps, runtime: RecordingsRuntime, row: DueRecording, bytes: Uint8Array, now: Date): Promise<keyof ArchiveResult> {
  let format: 'wav' | 'mp3' | 'empty';
  try {
    format = detectAudio(bytes);
  } catch (error) {
    // An error page, or audio we cannot play: refetching gives the same bytes.
    if (!(error instanceof AudioFormatError)) throw error;
    await deps.db
      .update(recordings)
      .set({ fetchAttempts: row.attempts + 1, fetchError: error.message, fetchState: 'failed', nextFetchAt: null, updatedAt: now })
      .where(stillTheFile(row));
    await audioDue(deps.db, row.conversationId, now);
    return 'failed';
  }
  if (format === 'empty' || (format === 'wav' && bytes.length <= EMPTY_WAV_BYTES)) {
    await skip(deps.db, row, 'the PBX file is empty (nothing was recorded)', now);
    return 'skipped';
  }
  const sha256 = sha256BytesHex(bytes);
  // Named by content too: a fetch of a file the PBX has replaced meanwhile never overwrites the new file's copy.
  const key = `segments/${now.toISOString().slice(0, 7).replace('-', '/')}/${row.id}-${sha256.slice(0, 12)}.${format}`;
  await runtime.storage.put(key, bytes, format === 'mp3' ? 'audio/mpeg' : 'audio/wav');
  const updated = await deps.db
    .update(recordings)
    .set({
      fetchState: 'archived',
      archiveKey: key,
      sha256,
      bytes: bytes.length,
      format,
      archivedAt: now,
      fetchAttempts: row.attempts + 1,
      fetchError: null,
      nextFetchAt: null,
      updatedAt: now,
    })
    .where(stillTheFile(row))
    .returning({ id: recordings.id });
  // Another file was named meanwhile: its own fetch is due; this copy is not the recording.
  if (!updated.length) {
    const [holder] = await deps.db.select({ id: recordings.id }).from(recordings).where(eq(recordings.archiveKey, key));
    if (!holder) await runtime.storage.delete(key).catch(() => {});
    return 'skipped';
  }
  await audioDue(deps.db, row.conversationId, now);
  return 'archived';
}

/** The conversation's MP3 is to be (re)built from its archived segments. */
export async function audioDue(db: Db, conversationId: string, now: Date): Promise<void> {
  await db.update(conversations).set({ audioDueAt: now }).where(eq(conversations.id, conversationId));
}

async function skip(db: Db, recording: DueRecording, reason: string, now: Date) {
  const [row] = await db
    .update(recordings)
    .set({ fetchState: 'skipped', fetchError: reason, nextFetchAt: null, updatedAt: now })
    .where(stillTheFile(recording))
    .returning({ conversationId: recordings.conversationId });
  if (row) await audioDue(db, row.conversationId, now);
}
