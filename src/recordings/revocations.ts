/**
 * Revoking recording links: one recording's, every recording's, and (once accounts exist) one
 * account's. A revocation is a row saying "links signed before this time no longer work"; a link
 * signed afterwards carries that time as its epoch (`t=`, signed-link.ts), so a new link for the
 * same recording works at once while the old one is refused.
 *
 * Serving reads the revocations from a per-process copy refreshed every REFRESH_MS, so checking a
 * link costs no query: a revocation takes effect at once in the process that made it and within
 * REFRESH_MS in every other one. Signing reads the database (linkEpoch), never the copy, so a link
 * made right after a revocation is never born revoked.
 * @module
 */
import { and, desc, eq, inArray, max, or, sql } from 'drizzle-orm';
import { actorName, audit } from '../audit/log';
import type { Db } from '../db/client';
import { callAudio, conversations, deliveries, recordingLinkRevocations } from '../db/schema';
import type { Actor } from '../domain/actor';
import { queueNoteUpdates } from '../ledger/settle';

export const ALL_LINKS = '*';
export const REFRESH_MS = 5_000;

/**
 * The scopes a recording's links fall under: its own, all, and its account's. Accounts do not
 * exist yet: `accountId` is the hook — pass the recording's account and `account:<id>` revocations
 * apply to it.
 */
export function revocationScopes(audioId: string, accountId?: string | number | null): string[] {
  return [audioId, ALL_LINKS, ...(accountId === undefined || accountId === null ? [] : [`account:${accountId}`])];
}

/** The epoch a link signed now must carry: the latest revocation over its scopes (ms), or 0. */
export async function linkEpoch(db: Db, audioId: string, accountId?: string | number | null): Promise<number> {
  const [row] = await db
    .select({ at: max(recordingLinkRevocations.revokedBefore) })
    .from(recordingLinkRevocations)
    .where(inArray(recordingLinkRevocations.scope, revocationScopes(audioId, accountId)));
  return row?.at ? new Date(row.at).getTime() : 0;
}

interface Snapshot {
  loadedAt: number;
  latest: Map<string, number>;
}

const snapshots = new WeakMap<object, Snapshot>();
const loading = new WeakMap<object, Promise<Snapshot>>();

async function load(db: Db, nowMs: number): Promise<Snapshot> {
  const rows = await db
    .select({ scope: recordingLinkRevocations.scope, at: max(recordingLinkRevocations.revokedBefore) })
    .from(recordingLinkRevocations)
    .groupBy(recordingLinkRevocations.scope);
  const latest = new Map<string, number>();
  for (const r of rows) if (r.at) latest.set(r.scope, new Date(r.at).getTime());
  const snapshot = { loadedAt: nowMs, latest };
  snapshots.set(db, snapshot);
  return snapshot;
}

/** The per-process copy, refreshed when older than REFRESH_MS (one query at a time per process). */
async function snapshot(db: Db, nowMs: number): Promise<Snapshot> {
  const current = snapshots.get(db);
  if (current && nowMs - current.loadedAt < REFRESH_MS && nowMs >= current.loadedAt) return current;
  const pending = loading.get(db);
  if (pending) return pending;
  const next = load(db, nowMs).finally(() => loading.delete(db));
  loading.set(db, next);
  return next;
}

/** Whether a link of this epoch was revoked (per the process's copy of the revocations). */
export async function linkRevoked(db: Db, audioId: string, epoch: number, nowMs: number, accountId?: string | number | null): Promise<boolean> {
  const { latest } = await snapshot(db, nowMs);
  if (latest.size === 0) return false;
  return revocationScopes(audioId, accountId).some((scope) => (latest.get(scope) ?? 0) > epoch);
}

export interface Revocation {
  id: number;
  scope: string;
  revokedBefore: Date;
}

/** Revokes every link of the scope signed until now; the process's copy is refreshed at once. */
export async function revokeLinks(db: Db, input: { scope: string; by: string; reason?: string | null }, now: Date): Promise<Revocation> {
  const [row] = await db
    .insert(recordingLinkRevocations)
    .values({ scope: input.scope, revokedBefore: now, revokedBy: input.by, reason: input.reason ?? null, createdAt: now })
    .returning({ id: recordingLinkRevocations.id, scope: recordingLinkRevocations.scope, revokedBefore: recordingLinkRevocations.revokedBefore });
  await load(db, now.getTime());
  return row as Revocation;
}

/** The latest revocations, newest first (for the console and the API). */
export async function recentRevocations(db: Db, scope: string | null, limit = 20) {
  return db
    .select()
    .from(recordingLinkRevocations)
    .where(scope === null ? sql`true` : inArray(recordingLinkRevocations.scope, [scope, ALL_LINKS]))
    .orderBy(desc(recordingLinkRevocations.id))
    .limit(limit);
}

/** A recording's MP3 by its own id or its call's; null when there is none. */
export async function findCallAudio(db: Db, id: string): Promise<{ id: string; conversationId: string } | null> {
  const [row] = await db
    .select({ id: callAudio.id, conversationId: callAudio.conversationId })
    .from(callAudio)
    .where(or(eq(callAudio.id, id), eq(callAudio.conversationId, id)))
    .limit(1);
  return row ?? null;
}

export interface RevokeRequest {
  /** A call_audio id, or ALL_LINKS. */
  scope: string;
  actor: Actor;
  ip: string | null;
  reason: string | null;
  /** The call whose note gets a fresh link (one recording's revocation). */
  refreshCall?: string | null;
}

/**
 * Revokes, audits (`recording.revoke_links`) and, for one recording, queues its note's update so
 * the CRM gets a new link signed after the revocation (the delivery's update step signs it).
 */
export async function revokeAndRecord(db: Db, r: RevokeRequest, now: Date): Promise<{ revocation: Revocation; notesRefreshed: number }> {
  const revocation = await revokeLinks(db, { scope: r.scope, by: actorName(r.actor), reason: r.reason }, now);
  let notesRefreshed = 0;
  if (r.refreshCall) {
    const refreshCall = r.refreshCall;
    notesRefreshed = await db.transaction(async (tx) => {
      const queued = await tx
        .select({ id: deliveries.id })
        .from(deliveries)
        .where(and(eq(deliveries.conversationId, refreshCall), eq(deliveries.state, 'delivered'), sql`${deliveries.crmRefs} ? 'note_id'`));
      await tx
        .update(conversations)
        .set({ revision: sql`${conversations.revision} + 1`, updatedAt: now })
        .where(eq(conversations.id, refreshCall));
      await queueNoteUpdates(tx, [refreshCall], now);
      return queued.length;
    });
  }
  await audit(
    db,
    {
      actor: r.actor,
      action: 'recording.revoke_links',
      subject: r.scope,
      detail: { revoked_before: now.toISOString(), ...(r.reason ? { reason: r.reason } : {}), notes_refreshed: notesRefreshed },
      ip: r.ip,
    },
    now,
  );
  return { revocation, notesRefreshed };
}
