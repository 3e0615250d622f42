/**
 * Cloudflare Queues on the Workers build. Two queues carry work, one the work that died:
 *
 * - INBOX (calltrail-inbox): "apply inbox body N". A webhook stores its body as queued and sends
 *   its id (ledger/queued.ts); the consumer applies bodies one by one (each its own transaction),
 *   then asks for delivery.
 * - DELIVERIES (calltrail-deliveries): "deliver to account A". The consumer archives what
 *   recordings are ready and drains the account's due deliveries — one drain for a whole batch,
 *   one consumer at a time (max_concurrency = 1 in wrangler.toml).
 * - calltrail-dead-letters: what both gave up on after max_retries; its consumer marks it dead
 *   for the console (delivery/dead-letters.ts).
 *
 * Messages carry ids, never a body's text or a phone number. A message delivered twice does
 * nothing the second time: a body is applied only while queued or failed (reprocessInbox claims
 * its row), and deliveries go out exactly once by their leases and natural keys. A handling that
 * throws is noted and retried with the queue's retry_delay; an account busy in another drain or
 * answering 429 is not a failure: the message is acknowledged and a fresh one sent for later.
 * @module
 */
import { eq } from 'drizzle-orm';
import { inboxDeps, type AppDeps } from '../../deps';
import { inboxEvents } from '../../db/schema';
import { forgetFailure, markDead, noteFailure, type QueueMessageRef } from '../../delivery/dead-letters';
import type { DeliveryWorker } from '../../delivery/worker';
import { reprocessInbox, type IngestInput, type IngestResult } from '../../ledger/inbox';
import { storeQueued } from '../../ledger/queued';
import { rememberTrace } from '../../ledger/trace';
import { contextFromTraceparent, inSpan, traceparentOf } from '../../lib/trace';
import { recordingSources } from '../../pbx/registry';
import { processRecordings } from '../../recordings/process';

/** What the queues carry. `trace`: the webhook's traceparent, so the apply continues its trace. */
export type QueueWork = { kind: 'apply'; inbox: number; trace?: string } | { kind: 'deliver'; account: string };

/** The little of a Queue producer binding used here (the real one satisfies it). */
export interface QueueProducerLike<T> {
  send(body: T, options?: { delaySeconds?: number }): Promise<unknown>;
}

/** The little of a delivered message used here. */
export interface QueueMessageLike<T = unknown> {
  readonly id: string;
  readonly body: T;
  readonly attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

export interface QueueBatchLike<T = unknown> {
  readonly queue: string;
  readonly messages: readonly QueueMessageLike<T>[];
}

export interface WorkerQueues {
  inbox: QueueProducerLike<QueueWork>;
  deliveries: QueueProducerLike<QueueWork>;
  /** The dead-letter queue's name: its batches are recorded, not worked. */
  deadLetters: string;
}

/** What a batch is worked with: the app's deps and this invocation's delivery worker. */
export interface ConsumerScope {
  deps: AppDeps;
  worker: DeliveryWorker | null;
  queues: WorkerQueues;
}

/** An account busy in another drain, or answering 429: ask again this much later. */
const BUSY_DELAY_SECONDS = 5;
const RATE_LIMITED_DELAY_SECONDS = 30;
/** A drain from the queue stops claiming after this long (a queue invocation may run 15 minutes; this keeps batches short). */
const DRAIN_BUDGET_MS = 60_000;

/** A message as sent, or null for one nobody can read. */
export function readWork(body: unknown): QueueWork | null {
  if (!body || typeof body !== 'object') return null;
  const work = body as Record<string, unknown>;
  if (work.kind === 'apply' && Number.isSafeInteger(work.inbox) && (work.inbox as number) > 0) {
    return { kind: 'apply', inbox: work.inbox as number, ...(typeof work.trace === 'string' ? { trace: work.trace } : {}) };
  }
  if (work.kind === 'deliver' && typeof work.account === 'string' && work.account.length > 0) return { kind: 'deliver', account: work.account };
  return null;
}

function refOf(message: QueueMessageLike, work: QueueWork | null): QueueMessageRef {
  if (work?.kind === 'apply') return { queue: 'inbox', messageId: message.id, summary: `apply inbox body ${work.inbox}` };
  if (work?.kind === 'deliver') return { queue: 'deliveries', messageId: message.id, summary: `deliver to ${work.account}` };
  return { queue: 'unknown', messageId: message.id, summary: 'unreadable message' };
}

/**
 * The webhook's way into the inbox with a queue (AppDeps.queueBody): store, then send. A send
 * that fails loses nothing — the stored body is applied by the tick past its grace — so the PBX
 * still gets its 2xx.
 */
export async function queueBody(deps: AppDeps, queues: WorkerQueues, input: IngestInput, trace: string | null): Promise<IngestResult> {
  const result = await storeQueued(inboxDeps(deps), input);
  if (result.status !== 'queued') return result;
  try {
    await queues.inbox.send({ kind: 'apply', inbox: result.inboxId, ...(trace ? { trace } : {}) });
  } catch (error) {
    deps.log.warn('the inbox queue did not take a message; the tick applies the body', { inboxId: result.inboxId, error });
  }
  return result;
}

/** The queue() handler's work: a batch of the dead-letter queue is recorded, any other worked. */
export async function consumeBatch(batch: QueueBatchLike, scope: ConsumerScope): Promise<void> {
  if (batch.queue === scope.queues.deadLetters) return recordDead(scope.deps, batch.messages);
  const apply: QueueMessageLike<QueueWork & { kind: 'apply' }>[] = [];
  const deliver: QueueMessageLike<QueueWork & { kind: 'deliver' }>[] = [];
  for (const message of batch.messages) {
    const work = readWork(message.body);
    if (work?.kind === 'apply') apply.push({ ...bound(message), body: work });
    else if (work?.kind === 'deliver') deliver.push({ ...bound(message), body: work });
    else {
      // Nothing to retry: it is dead as it is.
      scope.deps.log.error('a queue message nobody can read; recorded as dead', { queue: batch.queue, messageId: message.id });
      await markDead(scope.deps.db, refOf(message, null), now(scope.deps));
      message.ack();
    }
  }
  if (apply.length) await applyBodies(scope, apply);
  if (deliver.length) await deliverDue(scope, deliver);
}

/** The message's own methods, kept when its body is replaced by the read one. */
function bound<T>(message: QueueMessageLike<T>): QueueMessageLike<T> {
  return { id: message.id, body: message.body, attempts: message.attempts, ack: () => message.ack(), retry: (options) => message.retry(options) };
}

const now = (deps: AppDeps) => (deps.now ?? (() => new Date()))();

async function applyBodies(scope: ConsumerScope, messages: QueueMessageLike<QueueWork & { kind: 'apply' }>[]): Promise<void> {
  const { deps } = scope;
  let applied = 0;
  for (const message of messages) {
    try {
      const result = await applyOne(deps, message.body);
      if (result.failed) throw new Error(result.failed);
      applied += result.applied;
      await settle(deps, message);
    } catch (error) {
      await retry(deps, message, error);
    }
  }
  if (applied) deps.wakeDelivery?.();
}

/** One body applied in the `inbox apply` span, continuing the webhook's trace. */
function applyOne(deps: AppDeps, work: { inbox: number; trace?: string }): Promise<{ applied: number; failed: string | null }> {
  const inbox = inboxDeps(deps);
  const parent = contextFromTraceparent(work.trace);
  return inSpan('inbox apply', { attributes: { 'calltrail.inbox.id': work.inbox }, ...(parent ? { parent } : {}) }, async (span) => {
    const result = await reprocessInbox(inbox, { ids: [work.inbox], limit: 1 });
    const traceparent = result.processed.length ? traceparentOf(span) : null;
    if (traceparent) await rememberStoredTrace(deps, work.inbox, traceparent);
    return { applied: result.processed.length, failed: result.failed[0]?.error ?? null };
  });
}

/** The conversations the body changed keep the apply's traceparent, for their delivery (ledger/trace.ts). */
async function rememberStoredTrace(deps: AppDeps, id: number, traceparent: string): Promise<void> {
  const inbox = inboxDeps(deps);
  const [row] = await deps.db
    .select({ source: inboxEvents.source, raw: inboxEvents.raw, meta: inboxEvents.meta })
    .from(inboxEvents)
    .where(eq(inboxEvents.id, id));
  if (!row) return;
  const events = inbox.ctx.parseStored(row.source, row.raw, row.meta);
  await rememberTrace(deps.db, inbox.ctx.conversationSource, { source: row.source, events }, traceparent);
}

/** Recordings first (a note links the archived MP3), then one drain for the whole batch. */
async function deliverDue(scope: ConsumerScope, messages: QueueMessageLike<QueueWork & { kind: 'deliver' }>[]): Promise<void> {
  const { deps, worker, queues } = scope;
  const account = deps.settings.crm.accountId;
  try {
    if (worker) {
      await processRecordings(deps, recordingSources);
      const report = await worker.drain({ budgetMs: DRAIN_BUDGET_MS });
      const later = report.stopped === 'busy' ? BUSY_DELAY_SECONDS : report.stopped === 'rate_limited' ? RATE_LIMITED_DELAY_SECONDS : 0;
      if (later) await queues.deliveries.send({ kind: 'deliver', account }, { delaySeconds: later });
    }
  } catch (error) {
    for (const message of messages) await retry(deps, message, error);
    return;
  }
  for (const message of messages) {
    if (message.body.account !== account) deps.log.warn('a delivery message for another CRM account; ignored', { account: message.body.account });
    await settle(deps, message);
  }
}

/** Done: acknowledged, and a failure noted on an earlier attempt forgotten. */
async function settle(deps: AppDeps, message: QueueMessageLike<QueueWork>): Promise<void> {
  if (message.attempts > 1)
    await forgetFailure(deps.db, message.id).catch((error: unknown) => deps.log.warn('a retried message could not be cleared', { error }));
  message.ack();
}

/** Failed: noted (the dead-letter queue will not say why), and offered again after the queue's retry_delay. */
async function retry(deps: AppDeps, message: QueueMessageLike<QueueWork>, error: unknown): Promise<void> {
  const ref = refOf(message, message.body);
  deps.log.warn('a queue message failed; the queue retries it', { queue: ref.queue, summary: ref.summary, attempts: message.attempts, error });
  await noteFailure(deps.db, ref, message.attempts, error, now(deps)).catch((noted: unknown) =>
    deps.log.warn('the failure of a queue message could not be noted', { error: noted }),
  );
  message.retry();
}

/** The dead-letter queue's batch: each message marked dead, for the console. */
async function recordDead(deps: AppDeps, messages: readonly QueueMessageLike[]): Promise<void> {
  for (const message of messages) {
    const ref = refOf(message, readWork(message.body));
    deps.log.error('a queue message ran out of retries', { queue: ref.queue, summary: ref.summary });
    await markDead(deps.db, ref, now(deps));
    message.ack();
  }
}
