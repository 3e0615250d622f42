/**
 * The audit trail: append an entry, chained to the one before it, and verify the chain.
 *
 * An entry's hash is SHA-256 over the previous entry's hash and the entry's own fields in a fixed
 * order, so removing, reordering or editing any entry changes every hash after it — a reviewer
 * re-computing the chain (verifyChain) finds the first entry that does not add up. Appends are
 * serialized by a transaction-scoped advisory lock, so entries written by several processes at
 * once still form one chain.
 * @module
 */
import { asc, desc, gt, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { auditLog } from '../db/schema';
import type { Actor } from '../domain/actor';
import { sha256Hex } from '../lib/crypto';

/** The chain's first link: what the first entry's prev_hash is. */
export const GENESIS = '0'.repeat(64);
/** The advisory lock that serializes appends (any constant no other code takes). */
const CHAIN_LOCK = 0x0a0d17;

export interface AuditEntry {
  actor: Actor;
  action: string;
  subject?: string | null;
  detail?: Record<string, unknown>;
  ip?: string | null;
}

/** An entry as stored. */
export type AuditRow = typeof auditLog.$inferSelect;
type Row = AuditRow;

/** Keys in order at every depth, so the same entry always serializes the same way. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

export function entryHash(prevHash: string, e: Omit<Row, 'id' | 'hash' | 'prevHash'>): string {
  return sha256Hex(`${prevHash}\n${canonical([e.at.toISOString(), e.actor, e.role, e.action, e.subject, e.detail, e.ip])}`);
}

export const actorName = (actor: Actor): string => `${actor.kind}:${actor.id}`;

/** Appends one entry at the end of the chain; returns its id. */
export async function audit(db: Db, entry: AuditEntry, now: Date = new Date()): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${CHAIN_LOCK})`);
    const [last] = await tx.select({ hash: auditLog.hash }).from(auditLog).orderBy(desc(auditLog.id)).limit(1);
    const fields = {
      at: now,
      actor: actorName(entry.actor),
      role: entry.actor.role,
      action: entry.action,
      subject: entry.subject ?? null,
      detail: entry.detail ?? {},
      ip: entry.ip ?? null,
    };
    const prevHash = last?.hash ?? GENESIS;
    const [row] = await tx
      .insert(auditLog)
      .values({ ...fields, prevHash, hash: entryHash(prevHash, fields) })
      .returning({ id: auditLog.id });
    return (row as { id: number }).id;
  });
}

export type ChainCheck = { ok: true; entries: number } | { ok: false; entries: number; brokenAt: number; why: string };

/** Re-computes the whole chain, in pages; the first entry that does not add up, and why. */
export async function verifyChain(db: Db, pageSize = 1000): Promise<ChainCheck> {
  let prev = GENESIS;
  let after = 0;
  let count = 0;
  for (;;) {
    const page = (await db.select().from(auditLog).where(gt(auditLog.id, after)).orderBy(asc(auditLog.id)).limit(pageSize)) as Row[];
    for (const row of page) {
      count++;
      if (row.prevHash !== prev)
        return { ok: false, entries: count, brokenAt: row.id, why: 'its prev_hash is not the hash of the entry before it (an entry was removed or reordered)' };
      if (entryHash(row.prevHash, row) !== row.hash)
        return { ok: false, entries: count, brokenAt: row.id, why: 'its fields do not hash to its hash (the entry was edited)' };
      prev = row.hash;
      after = row.id;
    }
    if (page.length < pageSize) return { ok: true, entries: count };
  }
}
