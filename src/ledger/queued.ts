/**
 * Bodies handed to a queue (Workers with Cloudflare Queues). The webhook stores the body as it
 * always does before the PBX gets its 2xx, but as `queued`, not applied: the queue's consumer
 * applies it by id (reprocessInbox), in batches, with the queue's retries. The body is what the
 * message stands for — the message carries its id only — so a lost message loses nothing: past
 * its grace the body is due, and the periodic tick applies it like a failed one (jobs.ts). A
 * message delivered twice finds the body applied and does nothing.
 * @module
 */
import { and, eq } from 'drizzle-orm';
import { inboxEvents } from '../db/schema';
import { admissionProblems } from '../domain/admit';
import { sha256Hex } from '../lib/crypto';
import { droppedNote, type InboxDeps, type IngestInput, type IngestResult } from './inbox';

/** How long a queued body waits for its message before the tick applies it (a minute's tick and some). */
export const QUEUE_GRACE_SECONDS = 120;

/**
 * Stores the body as queued. `queued` when the caller should send its message — a new body, or
 * a repeat of one still waiting (its message may be the lost one) or failed (worth another try);
 * `duplicate` when the body was applied already; `refused` for bad input, as ingest().
 */
export async function storeQueued(deps: InboxDeps, input: IngestInput): Promise<IngestResult> {
  const now = deps.now();
  const events = input.events.length;
  const problems = admissionProblems(input, { maxCallSeconds: deps.ctx.maxCallSeconds, now });
  if (problems.length) return { status: 'refused', inboxId: null, events, error: problems.join('; '), problems };
  const dedupeKey = input.dedupeKey ?? `sha256:${sha256Hex(input.raw)}`;
  const [stored] = await deps.db
    .insert(inboxEvents)
    .values({
      source: input.source,
      dedupeKey,
      raw: input.raw,
      meta: input.meta ?? {},
      note: droppedNote(input.events),
      receivedAt: now,
      status: 'queued',
      attempts: 0,
      nextAttemptAt: new Date(now.getTime() + QUEUE_GRACE_SECONDS * 1000),
    })
    .onConflictDoNothing({ target: [inboxEvents.source, inboxEvents.dedupeKey] })
    .returning({ id: inboxEvents.id });
  if (stored) return { status: 'queued', inboxId: stored.id, events };
  const [existing] = await deps.db
    .select({ id: inboxEvents.id, status: inboxEvents.status })
    .from(inboxEvents)
    .where(and(eq(inboxEvents.source, input.source), eq(inboxEvents.dedupeKey, dedupeKey)));
  if (existing && existing.status !== 'processed') return { status: 'queued', inboxId: existing.id, events };
  return { status: 'duplicate', inboxId: existing?.id ?? null, events };
}
