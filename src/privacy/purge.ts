/**
 * Deleting calls for good, shared by retention and erasure: the recordings' files in storage
 * first (a row is never removed while a file it names is still there), then the call's rows —
 * legs, recordings, call audio, deliveries and their attempts go with the conversation (foreign
 * keys cascade); reconciliation findings about it and its live rows are deleted beside it. A
 * call under legal hold is never deleted, whatever the caller asked: the statement re-checks it.
 * Then the stored bodies that carried the calls: deleted when no call they carry is left.
 * @module
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import { callAudio, conversations, inboxEvents, legs, liveCalls, reconcileFindings, recordings } from '../db/schema';
import { queryRows } from '../db/raw';
import { callKeyOf } from '../domain/events';
import { describeError } from '../lib/log';
import { forgetServedLinks } from '../recordings/serve/link-cache';
import type { PrivacyDeps } from './deps';

export interface DeletedCalls {
  calls: number;
  recordings: number;
  files: number;
  /** Bodies that carried the deleted calls, for the caller to settle (settleBodies). */
  bodyIds: number[];
  /** Calls that could not be deleted (their files or rows), each with a line in errors. */
  failedIds: string[];
  errors: string[];
}

/** Deletes the calls (skipping any under hold) with their files; returns what went. */
export async function deleteCalls(deps: PrivacyDeps, ids: readonly string[]): Promise<DeletedCalls> {
  const result: DeletedCalls = { calls: 0, recordings: 0, files: 0, bodyIds: [], failedIds: [], errors: [] };
  if (!ids.length) return result;
  const bodies = new Set<number>();
  for (const id of ids) {
    try {
      const gone = await deleteCall(deps, id);
      if (!gone) continue;
      result.calls++;
      result.recordings += gone.recordings;
      result.files += gone.files;
      for (const b of gone.bodyIds) bodies.add(b);
    } catch (error) {
      result.failedIds.push(id);
      result.errors.push(`call ${id}: ${describeError(error)}`);
    }
  }
  result.bodyIds = [...bodies];
  return result;
}

async function deleteCall(deps: PrivacyDeps, id: string): Promise<{ recordings: number; files: number; bodyIds: number[] } | null> {
  const [call] = await deps.db
    .select({ source: conversations.source, callKey: conversations.callKey })
    .from(conversations)
    .where(and(eq(conversations.id, id), isNull(conversations.legalHoldAt)));
  if (!call) return null;
  const segments = await deps.db
    .select({ key: recordings.archiveKey, bodyId: recordings.inboxEventId })
    .from(recordings)
    .where(eq(recordings.conversationId, id));
  const [audio] = await deps.db.select({ key: callAudio.storageKey }).from(callAudio).where(eq(callAudio.conversationId, id));
  const keys = [...segments.flatMap((s) => (s.key ? [s.key] : [])), ...(audio ? [audio.key] : [])];
  if (keys.length && !deps.storage) throw new Error('its recordings are archived but no storage is configured here: not deleted');
  // Storage first: a failure leaves the call whole, to be deleted again.
  for (const key of keys) await deps.storage?.delete(key);
  const legBodies = await deps.db.select({ bodyId: legs.inboxEventId }).from(legs).where(eq(legs.conversationId, id));
  const deleted = await deps.db.transaction(async (tx) => {
    await tx.delete(reconcileFindings).where(eq(reconcileFindings.conversationId, id));
    await tx.delete(liveCalls).where(and(eq(liveCalls.source, call.source), eq(liveCalls.callKey, call.callKey)));
    return tx
      .delete(conversations)
      .where(and(eq(conversations.id, id), isNull(conversations.legalHoldAt)))
      .returning({ id: conversations.id });
  });
  // Links served from this process's cache stop at once (elsewhere: the file is gone, the cache's TTL).
  if (audio) forgetServedLinks();
  if (!deleted.length) throw new Error('it was put on hold while being deleted: its files are gone, its rows kept');
  const bodyIds = [...legBodies, ...segments].flatMap((r) => (r.bodyId === null ? [] : [r.bodyId]));
  return { recordings: segments.length, files: keys.length, bodyIds };
}

export interface BodyFate {
  /** `gone`: no call it carries is left; `held`: one of them is under hold; `shared`: others are left. */
  fate: 'gone' | 'held' | 'shared';
  /** The held calls it carries. */
  held: string[];
}

/**
 * What is left of a stored body's calls once calls are deleted: by the legs and recordings that
 * point at it and, where its source can read it again, by the calls it carries.
 */
export async function bodyFate(deps: PrivacyDeps, body: { id: number; source: string; raw: string; meta: Record<string, string> }): Promise<BodyFate> {
  const keys = carriedCalls(deps, body);
  const left = await queryRows<{ id: string; held: boolean }>(
    deps.db,
    sql`select c.id, (c.legal_hold_at is not null) as held from ${conversations} c
         where exists (select 1 from ${legs} l where l.conversation_id = c.id and l.inbox_event_id = ${body.id})
            or exists (select 1 from ${recordings} r where r.conversation_id = c.id and r.inbox_event_id = ${body.id})
            ${keys ? sql`or (c.source = ${keys.source} and c.call_key = any(${`{${keys.callKeys.map(arrayItem).join(',')}}`}::text[]))` : sql``}`,
  );
  const held = left.filter((r) => r.held).map((r) => r.id);
  return { fate: held.length ? 'held' : left.length ? 'shared' : 'gone', held };
}

const arrayItem = (v: string) => `"${v.replace(/["\\]/g, (ch) => `\\${ch}`)}"`;

/** The conversations a body carries, by its source's parser; null when it cannot be read. */
function carriedCalls(deps: PrivacyDeps, body: { source: string; raw: string; meta: Record<string, string> }): { source: string; callKeys: string[] } | null {
  if (!deps.bodies) return null;
  try {
    const events = deps.bodies.parseStored(body.source, body.raw, body.meta);
    const callKeys = [...new Set(events.flatMap((e) => callKeyOf(e) ?? []))];
    return callKeys.length ? { source: deps.bodies.conversationSource(body.source), callKeys } : null;
  } catch {
    return null;
  }
}

/** Deletes the bodies no call is left in; returns how many went. Bodies with calls left stay. */
export async function deleteOrphanBodies(deps: PrivacyDeps, ids: readonly number[]): Promise<number> {
  let deleted = 0;
  for (const id of ids) {
    const [body] = await deps.db
      .select({ id: inboxEvents.id, source: inboxEvents.source, raw: inboxEvents.raw, meta: inboxEvents.meta })
      .from(inboxEvents)
      .where(eq(inboxEvents.id, id));
    if (!body || (await bodyFate(deps, body)).fate !== 'gone') continue;
    deleted += (await deps.db.delete(inboxEvents).where(eq(inboxEvents.id, id)).returning({ id: inboxEvents.id })).length;
  }
  return deleted;
}
