/**
 * The inbox: every accepted body is stored raw, then applied to the ledger.
 *
 * Happy path, one transaction: insert the body (deduplicated by source + key) and apply its
 * events. If applying throws, that transaction rolls back and the body is stored again on its
 * own, marked failed with the error — so a body that reached us is never lost, and a bug in a
 * parser or in the ledger leaves a replayable record instead of a 500 to the PBX.
 *
 * Before anything is stored, each body passes admission (domain/admit.ts): what PostgreSQL or the
 * ledger would refuse later is refused now, with the fields named, so a stored body always
 * applies. The webhook door runs the same check for its 400; this covers the paths that come here
 * directly (the import command, the FreePBX poller, reconciliation pulls).
 * @module
 */
import { and, asc, eq, inArray, isNotNull, lte, notInArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { json, queryRows } from '../db/raw';
import { inboxEvents } from '../db/schema';
import type { CallEvent } from '../domain/events';
import { admissionProblems } from '../domain/admit';
import { isTransientConflict } from '../lib/error-codes';
import { describeError, type Logger } from '../lib/log';
import { sha256Hex } from '../lib/crypto';
import { applyEvents, type IgnoredFile } from './apply';
import type { LedgerContext } from './context';

export interface IngestInput {
  source: string;
  raw: string;
  meta?: Record<string, string>;
  /** Natural id of this delivery; defaults to a hash of the raw body. */
  dedupeKey?: string;
  events: readonly CallEvent[];
}

export type IngestResult =
  | { status: 'processed'; inboxId: number; events: number }
  | { status: 'duplicate'; inboxId: number | null; events: number }
  /** Stored, but applying failed; it will be retried and can be reprocessed. */
  | { status: 'stored'; inboxId: number; events: number; error: string }
  /** Stored, and waiting in a queue to be applied (queued.ts). */
  | { status: 'queued'; inboxId: number; events: number }
  /** Not stored: the body is bad input (domain/admit.ts); `problems` name the fields. */
  | { status: 'refused'; inboxId: null; events: number; error: string; problems: string[] };

/** Automatic retries of a failed body before it waits for an admin. */
export const MAX_AUTOMATIC_ATTEMPTS = 5;

export function retryDelaySeconds(attempts: number): number {
  return Math.min(3600, 15 * 4 ** Math.max(0, attempts - 1));
}

export interface InboxDeps {
  db: Db;
  ctx: LedgerContext;
  log: Logger;
  now: () => Date;
}

export async function ingest(deps: InboxDeps, input: IngestInput): Promise<IngestResult> {
  const [result] = await ingestMany(deps, [input]);
  if (!result) throw new Error('ingestMany returned no result');
  return result;
}

/**
 * Stores and applies several bodies in one transaction (group commit: concurrent webhooks share
 * one round of statements and one commit). If the group fails for a reason other than a lost
 * race, each body is retried on its own, so one bad body cannot hold back the others.
 */
export async function ingestMany(deps: InboxDeps, inputs: readonly IngestInput[]): Promise<IngestResult[]> {
  if (inputs.length === 0) return [];
  // Admission: what could never apply is refused before anything is stored.
  const rules = { maxCallSeconds: deps.ctx.maxCallSeconds, now: deps.now() };
  const verdicts = inputs.map((input) => admissionProblems(input, rules));
  if (verdicts.every((problems) => problems.length === 0)) return ingestAdmitted(deps, inputs);
  const admitted = inputs.filter((_, i) => verdicts[i]?.length === 0);
  const stored = await ingestAdmitted(deps, admitted);
  let next = 0;
  return inputs.map((input, i): IngestResult => {
    const problems = verdicts[i] ?? [];
    if (problems.length === 0) return stored[next++] as IngestResult;
    deps.log.warn('a body was refused as bad input; nothing stored', { source: input.source, problems });
    return { status: 'refused', inboxId: null, events: input.events.length, error: problems.join('; '), problems };
  });
}

async function ingestAdmitted(deps: InboxDeps, inputs: readonly IngestInput[]): Promise<IngestResult[]> {
  if (inputs.length === 0) return [];
  const receivedAt = deps.now();
  const rows = inputs.map((input) => ({ input, dedupeKey: input.dedupeKey ?? `sha256:${sha256Hex(input.raw)}` }));
  let failure: unknown;
  for (let attempt = 1; ; attempt++) {
    try {
      return await storeAndApply(deps, rows, receivedAt);
    } catch (error) {
      failure = error;
      // Lost a race with a concurrent transaction (deadlock, serialization, a unique index).
      if (attempt < 3 && isTransientConflict(error)) continue;
      break;
    }
  }
  if (inputs.length > 1) {
    deps.log.warn('a group of webhook bodies failed together; applying them one by one', { bodies: inputs.length, error: failure });
    return Promise.all(inputs.map(async (input) => (await ingestAdmitted(deps, [input]))[0] as IngestResult));
  }
  const [only] = rows;
  if (!only) throw failure;
  return [await storeFailed(deps, only.input, only.dedupeKey, receivedAt, failure)];
}

type Keyed = { input: IngestInput; dedupeKey: string };

async function storeAndApply(deps: InboxDeps, rows: Keyed[], receivedAt: Date): Promise<IngestResult[]> {
  // The same body twice in one group (a retry racing the original): store it once.
  const firstOf = new Map<string, number>();
  rows.forEach((r, i) => {
    const key = `${r.input.source}\n${r.dedupeKey}`;
    if (!firstOf.has(key)) firstOf.set(key, i);
  });
  const unique = [...firstOf.values()].map((i) => rows[i] as Keyed);
  const stored = await deps.db.transaction(async (tx) => {
    const inserted = await queryRows<{ id: number | string; source: string; dedupe_key: string }>(
      tx,
      sql`insert into ${inboxEvents} (source, dedupe_key, raw, meta, note, received_at, status, processed_at)
          select x.source, x.dedupe_key, x.raw, coalesce(x.meta, '{}'), x.note, ${receivedAt.toISOString()}::timestamptz,
                 'processed', ${receivedAt.toISOString()}::timestamptz
            from json_to_recordset(${json(unique.map(({ input, dedupeKey }) => ({ source: input.source, dedupe_key: dedupeKey, raw: input.raw, meta: input.meta ?? {}, note: droppedNote(input.events) })))})
              as x(source text, dedupe_key text, raw text, meta jsonb, note text)
          on conflict (source, dedupe_key) do nothing
          returning id, source, dedupe_key`,
    );
    // bigint ids come back as strings from postgres.js and as numbers from PGlite.
    const idOf = new Map(inserted.map((r) => [`${r.source}\n${r.dedupe_key}`, Number(r.id)]));
    const items = unique.flatMap(({ input, dedupeKey }) => {
      const id = idOf.get(`${input.source}\n${dedupeKey}`);
      return id === undefined ? [] : [{ source: input.source, events: input.events, inboxEventId: id, receivedAt }];
    });
    const applied = await applyEvents(tx, deps.ctx, items, receivedAt);
    await noteIgnoredFiles(tx, deps.log, applied.ignored);
    return idOf;
  });
  return Promise.all(
    rows.map(async ({ input, dedupeKey }, i) => {
      const key = `${input.source}\n${dedupeKey}`;
      const id = stored.get(key);
      if (id !== undefined && firstOf.get(key) === i) return { status: 'processed' as const, inboxId: id, events: input.events.length };
      return duplicate(deps, input.source, dedupeKey, input.events.length);
    }),
  );
}

/** What a body held that is no call of its own, for people reading the inbox; null when nothing. */
export function droppedNote(events: readonly CallEvent[]): string | null {
  const dropped = events.flatMap((e) => (e.kind === 'dropped' ? [`${e.at}: ${e.reason}`] : []));
  return dropped.length ? `no call: ${dropped.join('; ')}` : null;
}

/** The note a body gets for the files it named for recordings archived already (recordings.ts); null when none. */
export function ignoredNote(ignored: readonly IgnoredFile[], inboxId: number): string | null {
  const keys = ignored.filter((i) => i.inboxEventId === inboxId).map((i) => i.recordingKey);
  if (!keys.length) return null;
  return `recording ${keys.join(', ')} is archived already, from another file: the file this body names was ignored`;
}

/** Says so on each body that named another file for an archived recording, and in the log. */
async function noteIgnoredFiles(tx: Db, log: Logger, ignored: readonly IgnoredFile[]): Promise<void> {
  for (const inboxId of new Set(ignored.flatMap((i) => (i.inboxEventId === null ? [] : [i.inboxEventId])))) {
    const note = ignoredNote(ignored, inboxId);
    log.warn('a recording already archived was sent with another file; the archived copy stays', {
      inboxId,
      recordings: ignored.filter((i) => i.inboxEventId === inboxId).map((i) => i.recordingKey),
    });
    await tx
      .update(inboxEvents)
      .set({ note: sql`concat_ws('; ', ${inboxEvents.note}, ${note}::text)` })
      .where(eq(inboxEvents.id, inboxId));
  }
}

/** Applying failed: keep the body, marked failed with the cause, due for an automatic retry. */
async function storeFailed(deps: InboxDeps, input: IngestInput, dedupeKey: string, receivedAt: Date, failure: unknown): Promise<IngestResult> {
  const message = describeError(failure);
  deps.log.error('inbox event could not be applied; stored for retry', { source: input.source, error: failure });
  const [stored] = await deps.db
    .insert(inboxEvents)
    .values({
      source: input.source,
      dedupeKey,
      raw: input.raw,
      meta: input.meta ?? {},
      receivedAt,
      status: 'failed',
      error: message,
      nextAttemptAt: new Date(receivedAt.getTime() + retryDelaySeconds(1) * 1000),
    })
    .onConflictDoNothing({ target: [inboxEvents.source, inboxEvents.dedupeKey] })
    .returning({ id: inboxEvents.id });
  // A conflict here means the first transaction did commit and only its answer was lost.
  if (!stored) return duplicate(deps, input.source, dedupeKey, input.events.length);
  return { status: 'stored', inboxId: stored.id, events: input.events.length, error: message };
}

/** A repeat delivery. If the first copy failed to apply, the repeat is a good moment to retry it. */
async function duplicate(deps: InboxDeps, source: string, dedupeKey: string, events: number): Promise<IngestResult> {
  const [existing] = await deps.db
    .select({ id: inboxEvents.id, status: inboxEvents.status })
    .from(inboxEvents)
    .where(and(eq(inboxEvents.source, source), eq(inboxEvents.dedupeKey, dedupeKey)));
  if (existing?.status === 'failed') await reprocessInbox(deps, { ids: [existing.id] });
  return { status: 'duplicate', inboxId: existing?.id ?? null, events };
}

export interface ReprocessSelection {
  /** These events (failed or queued), whatever their retry schedule (an admin or a queue message asked). */
  ids?: number[];
  /** Failed events whose automatic retry is due, and queued ones past their grace (a lost message). */
  due?: boolean;
  /** Every failed event, now. */
  allFailed?: boolean;
  limit?: number;
}

export interface ReprocessResult {
  processed: number[];
  failed: { id: number; error: string }[];
}

/** Re-parses stored bodies and applies them again; rows are claimed so replicas never collide. */
export async function reprocessInbox(deps: InboxDeps, selection: ReprocessSelection): Promise<ReprocessResult> {
  const now = deps.now();
  const result: ReprocessResult = { processed: [], failed: [] };
  const limit = selection.limit ?? 100;
  // A queued body (queued.ts) is applied by id when its message comes, or when due if it never did.
  const waiting = inArray(inboxEvents.status, ['failed', 'queued']);
  const where = selection.ids
    ? and(inArray(inboxEvents.id, selection.ids), waiting)
    : selection.allFailed
      ? eq(inboxEvents.status, 'failed')
      : and(waiting, isNotNull(inboxEvents.nextAttemptAt), lte(inboxEvents.nextAttemptAt, now));
  const seen = new Set<number>();
  for (;;) {
    const claimed = await deps.db.transaction(async (tx) => {
      const [row] = await tx
        .select()
        .from(inboxEvents)
        .where(seen.size ? and(where, notInArray(inboxEvents.id, [...seen])) : where)
        .orderBy(asc(inboxEvents.id))
        .limit(1)
        .for('update', { skipLocked: true });
      if (!row) return null;
      seen.add(row.id);
      try {
        const events = deps.ctx.parseStored(row.source, row.raw, row.meta);
        const applied = await tx.transaction(async (sp) =>
          applyEvents(sp, deps.ctx, [{ source: row.source, events, inboxEventId: row.id, receivedAt: row.receivedAt }], now),
        );
        const note = [droppedNote(events), ignoredNote(applied.ignored, row.id)].filter(Boolean).join('; ') || null;
        await tx
          .update(inboxEvents)
          .set({ status: 'processed', error: null, note, nextAttemptAt: null, processedAt: now, attempts: row.attempts + 1 })
          .where(eq(inboxEvents.id, row.id));
        return { id: row.id, ok: true as const };
      } catch (error) {
        const attempts = row.attempts + 1;
        const message = describeError(error);
        await tx
          .update(inboxEvents)
          .set({
            status: 'failed',
            attempts,
            error: message,
            nextAttemptAt: attempts < MAX_AUTOMATIC_ATTEMPTS ? new Date(now.getTime() + retryDelaySeconds(attempts) * 1000) : null,
          })
          .where(eq(inboxEvents.id, row.id));
        deps.log.warn('inbox event still fails', { inboxId: row.id, attempts, error });
        return { id: row.id, ok: false as const, error: message };
      }
    });
    if (!claimed) break;
    if (claimed.ok) result.processed.push(claimed.id);
    else result.failed.push({ id: claimed.id, error: claimed.error });
    if (seen.size >= limit) break;
  }
  return result;
}
