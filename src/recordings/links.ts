/**
 * Recordings the PBX names only by its own id (Zadarma's call_id_with_rec, …): the source's API
 * is asked for the file's URL, with retries, and the URL goes on the recording. A call whose note
 * is already on the CRM gets it through the usual note update (the conversation's revision moves).
 * @module
 */
import { and, asc, eq, isNotNull, isNull, lte, type SQL, sql } from 'drizzle-orm';
import { conversations, recordings } from '../db/schema';
import { queueNoteUpdates } from '../ledger/settle';
import { describeError } from '../lib/log';
import type { RecordingsDeps } from './deps';

export interface RecordingToLink {
  recordingId: string;
  source: string;
  callKey: string;
  legKey: string;
  vendorRef: string;
  attempts: number;
}

/**
 * A source's way to turn its recording id into a URL. `pending`: the vendor has not finished the
 * file yet (Zadarma needs about 40 s) — ask again later without counting it as a failure. `D`:
 * the part of the app's deps it reads (./deps.ts RecordingSources).
 */
export interface RecordingLinkResolver<D = unknown> {
  source: string;
  /** The vendor's API allowance for these requests; calls beyond it wait for a later tick. */
  perMinute: number;
  resolve(recording: RecordingToLink, deps: D): Promise<{ url: string } | { pending: true }>;
}

/** Request times per source in the last minute, in this process (a tick runs every second). */
const recent = new Map<string, number[]>();

/** Counts one request against the source's per-minute allowance; false when it is used up. */
export function withinAllowance(resolver: { source: string; perMinute: number }, nowMs: number): boolean {
  const times = (recent.get(resolver.source) ?? []).filter((t) => t > nowMs - 60_000);
  recent.set(resolver.source, times);
  if (times.length >= resolver.perMinute) return false;
  times.push(nowMs);
  return true;
}

/** After this many failed tries a recording is left failed, with the error (the call still goes out). */
export const MAX_LINK_ATTEMPTS = 8;

const delayMs = (attempts: number) => Math.min(6 * 3600_000, 30_000 * 2 ** attempts);

/** Recordings whose link a PBX has to be asked for, due now, of the sources that can be asked. */
function dueLinks(deps: RecordingsDeps, active: readonly RecordingLinkResolver[], now: Date, limit: number) {
  return deps.db
    .select({
      recordingId: recordings.id,
      conversationId: recordings.conversationId,
      source: conversations.source,
      callKey: conversations.callKey,
      legKey: recordings.legKey,
      vendorRef: recordings.vendorRef,
      attempts: recordings.fetchAttempts,
    })
    .from(recordings)
    .innerJoin(conversations, eq(conversations.id, recordings.conversationId))
    .where(
      and(
        isNotNull(recordings.nextFetchAt),
        lte(recordings.nextFetchAt, now),
        isNull(recordings.originUrl),
        isNotNull(recordings.vendorRef),
        sql`${conversations.source} in (${sql.join(
          active.map((r) => sql`${r.source}`),
          sql`, `,
        )})`,
      ),
    )
    .orderBy(asc(recordings.nextFetchAt))
    .limit(limit);
}

type DueLink = Awaited<ReturnType<typeof dueLinks>>[number];
type LinkOutcome = { url: string } | { pending: true } | { error: string };

/** The row still names the file asked about (the PBX may have named another one meanwhile, ledger/recordings.ts). */
function sameRef(row: DueLink): SQL {
  return and(eq(recordings.id, row.recordingId), row.vendorRef === null ? isNull(recordings.vendorRef) : eq(recordings.vendorRef, row.vendorRef)) as SQL;
}

/** The PBX gave the link: kept (archived next); without archiving, the note is brought up to date. */
async function linked(deps: RecordingsDeps, row: DueLink, url: string, now: Date): Promise<void> {
  await deps.db.transaction(async (tx) => {
    // Archived next (the download step picks it up now); without archiving, the PBX's own
    // link goes on the note, so the note is brought up to date.
    await tx
      .update(recordings)
      .set({ originUrl: url, nextFetchAt: deps.recordings ? now : null, fetchError: null, updatedAt: now })
      .where(sameRef(row));
    if (!deps.recordings) {
      await tx
        .update(conversations)
        .set({ revision: sql`${conversations.revision} + 1`, updatedAt: now })
        .where(eq(conversations.id, row.conversationId));
      await queueNoteUpdates(tx, [row.conversationId], now);
    }
  });
}

/** The PBX could not give it: asked again later, until MAX_LINK_ATTEMPTS, then left failed with the error. */
async function notLinked(deps: RecordingsDeps, row: DueLink, error: string, now: Date): Promise<void> {
  const attempts = row.attempts + 1;
  const giveUp = attempts >= MAX_LINK_ATTEMPTS;
  await deps.db
    .update(recordings)
    .set({
      fetchAttempts: attempts,
      fetchError: error,
      nextFetchAt: giveUp ? null : new Date(now.getTime() + delayMs(attempts)),
      ...(giveUp ? { status: 'failed' as const, fetchState: 'failed' as const } : {}),
      updatedAt: now,
    })
    .where(sameRef(row));
  deps.log.warn('could not get a recording link from the PBX', { source: row.source, attempts, error });
}

export async function resolveRecordingLinks(deps: RecordingsDeps, resolvers: readonly RecordingLinkResolver[], limit = 50): Promise<number> {
  const active = resolvers.filter((r) => resolverEnabled(r, deps));
  if (active.length === 0) return 0;
  const now = (deps.now ?? (() => new Date()))();
  let count = 0;
  for (const row of await dueLinks(deps, active, now, limit)) {
    const resolver = active.find((r) => r.source === row.source);
    if (!resolver || !row.vendorRef) continue;
    if (!withinAllowance(resolver, Date.now())) continue;
    let outcome: LinkOutcome;
    try {
      outcome = await resolver.resolve({ ...row, vendorRef: row.vendorRef }, deps);
    } catch (error) {
      outcome = { error: describeError(error) };
    }
    if ('url' in outcome) {
      await linked(deps, row, outcome.url, now);
      count++;
    } else if ('pending' in outcome) {
      await deps.db
        .update(recordings)
        .set({ nextFetchAt: new Date(now.getTime() + 20_000) })
        .where(eq(recordings.id, row.recordingId));
    } else await notLinked(deps, row, outcome.error, now);
  }
  return count;
}

/** A resolver needs its source's API credentials; without them recordings wait. */
function resolverEnabled(resolver: RecordingLinkResolver, deps: RecordingsDeps): boolean {
  return deps.settings.secrets[resolver.source] !== undefined;
}
