/**
 * What the Workers queues could not get done (db/schema/dead-letters.ts). A dead-letter queue
 * hands over the message alone — not how often it was tried, nor why it failed — so the consumer
 * notes each failure as it asks for a retry (noteFailure), forgets it when a retry succeeds, and
 * the dead-letter queue's consumer marks it dead (markDead). The console lists the dead ones.
 *
 * Everything stored is ids and masked error text: a queue message carries an inbox body's id or
 * a CRM account's, and an error may quote a number (a CRM's answer, a constraint's key).
 * @module
 */
import { and, count, desc, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { deadLetters } from '../db/schema';
import { describeError, maskText } from '../lib/log';

export type DeadLetterRow = typeof deadLetters.$inferSelect;

/** One message as the queues name it. */
export interface QueueMessageRef {
  /** "inbox", "deliveries", or "unknown" for a message nobody could read. */
  queue: string;
  messageId: string;
  /** What it asked for, ids only: "apply inbox body 42". */
  summary: string;
}

const MAX_ERROR = 2000;

/** The error as stored: its text, phone numbers masked, cut short. */
export function storedError(error: unknown): string {
  return maskText(describeError(error)).slice(0, MAX_ERROR);
}

/** The message's handling threw on its `attempts`-th delivery; the queue will offer it again. */
export async function noteFailure(db: Db, message: QueueMessageRef, attempts: number, error: unknown, at: Date): Promise<void> {
  const text = storedError(error);
  await db
    .insert(deadLetters)
    .values({ ...message, attempts, error: text, firstFailedAt: at, lastFailedAt: at })
    .onConflictDoUpdate({ target: deadLetters.messageId, set: { attempts, error: text, lastFailedAt: at } });
}

/** A retry went through: the message is no letter of ours any more. */
export async function forgetFailure(db: Db, messageId: string): Promise<void> {
  await db.delete(deadLetters).where(and(eq(deadLetters.messageId, messageId), isNull(deadLetters.diedAt)));
}

/**
 * The dead-letter queue delivered the message: its retries are over. Found by its id; failing
 * that (should the dead-letter queue give it a new one) by the newest failure of the same work;
 * failing both, recorded without attempts or error — the Worker's logs have those.
 */
export async function markDead(db: Db, message: QueueMessageRef, at: Date): Promise<void> {
  const byId = await db.update(deadLetters).set({ diedAt: at }).where(eq(deadLetters.messageId, message.messageId)).returning({ id: deadLetters.id });
  if (byId.length) return;
  const [same] = await db
    .select({ id: deadLetters.id })
    .from(deadLetters)
    .where(and(eq(deadLetters.queue, message.queue), eq(deadLetters.summary, message.summary), isNull(deadLetters.diedAt)))
    .orderBy(desc(deadLetters.lastFailedAt))
    .limit(1);
  if (same) {
    await db.update(deadLetters).set({ diedAt: at }).where(eq(deadLetters.id, same.id));
    return;
  }
  await db
    .insert(deadLetters)
    .values({ ...message, attempts: null, error: null, firstFailedAt: at, lastFailedAt: at, diedAt: at })
    .onConflictDoUpdate({ target: deadLetters.messageId, set: { diedAt: sql`excluded.died_at` } });
}

/** The dead letters, newest first. */
export function listDeadLetters(db: Db, limit = 100): Promise<DeadLetterRow[]> {
  return db.select().from(deadLetters).where(isNotNull(deadLetters.diedAt)).orderBy(desc(deadLetters.diedAt), desc(deadLetters.id)).limit(limit);
}

export async function countDeadLetters(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(deadLetters).where(isNotNull(deadLetters.diedAt));
  return Number(row?.n ?? 0);
}

/** An admin has read them: the dead letters go (the work they stood for is in the inbox or the outbox). */
export async function dismissDeadLetters(db: Db): Promise<number> {
  const gone = await db.delete(deadLetters).where(isNotNull(deadLetters.diedAt)).returning({ id: deadLetters.id });
  return gone.length;
}
