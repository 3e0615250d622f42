/**
 * Step one of a recording's life in calltrail: copy the PBX's file into our storage, before the
 * PBX's own retention deletes it. Due recordings are fetched (SSRF-guarded, or read from a local
 * path on a Node host beside the PBX), checksummed and stored under their id; a failure backs off
 * and, after the last attempt, is `failed` with its reason — the call itself goes out regardless.
 * @module
 */
import { and, asc, eq, isNotNull, lte } from 'drizzle-orm';
import type { Db } from '../db/client';
import { conversations, recordings } from '../db/schema';
import type { AppDeps, RecordingsRuntime } from '../deps';
import { userFor } from '../delivery/payload';
import { sha256BytesHex } from '../lib/crypto';
import { detectAudio } from './audio/detect';
import { AudioFormatError } from './audio/wav';
import { allowedHostsFor, syncExcluded } from './config';
import { safeFetch } from './fetch/safe-fetch';
import type { FetchOutcome, FetchPolicy } from './fetch/port';

/** Tries before a recording is left failed; the waits grow from 30 s to 12 h (about two days in all). */
export const MAX_FETCH_ATTEMPTS = 10;
const retryDelayMs = (attempts: number) => Math.min(12 * 3600_000, 30_000 * 3 ** Math.max(0, attempts - 1));

/** A header-only WAV, as Asterisk leaves for a call that was never really recorded. */
const EMPTY_WAV_BYTES = 44;

interface DueRecording {
  id: string;
  conversationId: string;
  source: string;
  extension: string | null;
  originUrl: string;
  attempts: number;
}

export interface ArchiveResult {
  archived: number;
  failed: number;
  skipped: number;
}

export async function archiveDueRecordings(deps: AppDeps, runtime: RecordingsRuntime, limit = 10): Promise<ArchiveResult> {
  const now = (deps.now ?? (() => new Date()))();
  const due = await deps.db
    .select({
      id: recordings.id,
      conversationId: recordings.conversationId,
      source: conversations.source,
      extension: conversations.extension,
      originUrl: recordings.originUrl,
      attempts: recordings.fetchAttempts,
    })
    .from(recordings)
    .innerJoin(conversations, eq(conversations.id, recordings.conversationId))
    .where(and(eq(recordings.fetchState, 'waiting'), isNotNull(recordings.originUrl), lte(recordings.nextFetchAt, now)))
    .orderBy(asc(recordings.nextFetchAt))
    .limit(limit);
  const result: ArchiveResult = { archived: 0, failed: 0, skipped: 0 };
  for (const row of due as DueRecording[]) {
    const outcome = await archiveOne(deps, runtime, row, now);
    result[outcome]++;
  }
  return result;
}

async function archiveOne(deps: AppDeps, runtime: RecordingsRuntime, row: DueRecording, now: Date): Promise<keyof ArchiveResult> {
  const config = deps.config.recordings;
  const { department } = userFor(deps.config, row.extension);
  if (syncExcluded(config, row.extension, department)) {
    await skip(deps.db, row.id, `recordings of ${row.extension ? `extension ${row.extension}` : 'this call'} are not synced (recordings.sync)`, now);
    return 'skipped';
  }
  const fetched = await fetchRecording(runtime, row, {
    allowedHosts: allowedHostsFor(config, row.source),
    allowPrivate: config.allow_private_hosts,
    maxBytes: config.max_mb * 1024 * 1024,
    timeoutMs: config.timeout_seconds * 1000,
    maxRedirects: 3,
  }, config.local_paths);
  if (!fetched.ok) {
    const attempts = row.attempts + 1;
    const giveUp = !fetched.retryable || attempts >= MAX_FETCH_ATTEMPTS;
    await deps.db
      .update(recordings)
      .set({
        fetchAttempts: attempts,
        fetchError: fetched.reason,
        fetchState: giveUp ? 'failed' : 'waiting',
        nextFetchAt: giveUp ? null : new Date(now.getTime() + retryDelayMs(attempts)),
        updatedAt: now,
      })
      .where(eq(recordings.id, row.id));
    deps.log.warn('could not fetch a recording', { recording: row.id, source: row.source, attempts, reason: fetched.reason, final: giveUp });
    // Given up: the call's MP3 is built from the segments that did arrive.
    if (giveUp) await audioDue(deps.db, row.conversationId, now);
    return giveUp ? 'failed' : 'skipped';
  }
  const { bytes } = fetched;
  let format: 'wav' | 'mp3' | 'empty';
  try {
    format = detectAudio(bytes);
  } catch (error) {
    // An error page, or audio we cannot play: refetching gives the same bytes.
    if (!(error instanceof AudioFormatError)) throw error;
    await deps.db
      .update(recordings)
      .set({ fetchAttempts: row.attempts + 1, fetchError: error.message, fetchState: 'failed', nextFetchAt: null, updatedAt: now })
      .where(eq(recordings.id, row.id));
    await audioDue(deps.db, row.conversationId, now);
    return 'failed';
  }
  if (format === 'empty' || (format === 'wav' && bytes.length <= EMPTY_WAV_BYTES)) {
    await skip(deps.db, row.id, 'the PBX file is empty (nothing was recorded)', now);
    return 'skipped';
  }
  const key = `segments/${now.toISOString().slice(0, 7).replace('-', '/')}/${row.id}.${format}`;
  await runtime.storage.put(key, bytes, format === 'mp3' ? 'audio/mpeg' : 'audio/wav');
  await deps.db
    .update(recordings)
    .set({
      fetchState: 'archived',
      archiveKey: key,
      sha256: sha256BytesHex(bytes),
      bytes: bytes.length,
      format,
      archivedAt: now,
      fetchAttempts: row.attempts + 1,
      fetchError: null,
      nextFetchAt: null,
      updatedAt: now,
    })
    .where(eq(recordings.id, row.id));
  await audioDue(deps.db, row.conversationId, now);
  return 'archived';
}

/** The conversation's MP3 is to be (re)built from its archived segments. */
export async function audioDue(db: Db, conversationId: string, now: Date): Promise<void> {
  await db.update(conversations).set({ audioDueAt: now }).where(eq(conversations.id, conversationId));
}

async function fetchRecording(runtime: RecordingsRuntime, row: DueRecording, policy: FetchPolicy, localPaths: readonly string[]): Promise<FetchOutcome> {
  if (/^https?:\/\//i.test(row.originUrl)) return safeFetch(row.originUrl, policy, runtime.fetchFor);
  if (!row.originUrl.startsWith('/')) return { ok: false, reason: `not a URL or an absolute path: ${row.originUrl.slice(0, 100)}`, retryable: false };
  if (!runtime.readLocal) return { ok: false, reason: 'a file path on the PBX host, and this runtime cannot read local files', retryable: false };
  const path = normalizePath(row.originUrl);
  if (!path || !localPaths.some((root) => path.startsWith(`${root.replace(/\/+$/, '')}/`))) {
    return { ok: false, reason: 'the file lies outside recordings.local_paths', retryable: false };
  }
  const bytes = await runtime.readLocal(path, policy.maxBytes).catch((error: Error) => {
    throw new Error(`reading ${path}: ${error.message}`);
  });
  // The PBX may still be writing the file, or moving it into its dated folder: try again later.
  if (!bytes) return { ok: false, reason: `no file at ${path} (yet)`, retryable: true };
  return { ok: true, bytes, contentType: null, finalUrl: path };
}

/** An absolute path without . or .. segments (null when it tries to climb out). */
function normalizePath(path: string): string | null {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') return null;
    parts.push(part);
  }
  return `/${parts.join('/')}`;
}

async function skip(db: Db, id: string, reason: string, now: Date) {
  const [row] = await db
    .update(recordings)
    .set({ fetchState: 'skipped', fetchError: reason, nextFetchAt: null, updatedAt: now })
    .where(eq(recordings.id, id))
    .returning({ conversationId: recordings.conversationId });
  if (row) await audioDue(db, row.conversationId, now);
}
