/**
 * Legal hold: a call under hold is deleted by nothing — not by call retention, not by the
 * recordings' purge, not by an erasure request (which lists it as kept, with the hold's reason).
 * @module
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { conversations } from '../db/schema';

export interface Hold {
  at: Date;
  by: string | null;
  reason: string | null;
}

export interface HoldState {
  id: string;
  hold: Hold | null;
}

const holdColumns = {
  id: conversations.id,
  at: conversations.legalHoldAt,
  by: conversations.legalHoldBy,
  reason: conversations.legalHoldReason,
};

const stateOf = (row: { id: string; at: Date | null; by: string | null; reason: string | null }): HoldState => ({
  id: row.id,
  hold: row.at ? { at: row.at, by: row.by, reason: row.reason } : null,
});

/** The call's hold, or undefined when there is no such call. */
export async function holdOf(db: Db, id: string): Promise<HoldState | undefined> {
  const [row] = await db.select(holdColumns).from(conversations).where(eq(conversations.id, id));
  return row ? stateOf(row) : undefined;
}

/** Places (or re-words) the hold; undefined when there is no such call. */
export async function placeHold(db: Db, id: string, by: string, reason: string, now: Date): Promise<HoldState | undefined> {
  const [row] = await db
    .update(conversations)
    .set({ legalHoldAt: now, legalHoldBy: by, legalHoldReason: reason })
    .where(eq(conversations.id, id))
    .returning(holdColumns);
  return row ? stateOf(row) : undefined;
}

/** Lifts the hold; the call is again subject to retention. undefined when there is no such call. */
export async function releaseHold(db: Db, id: string): Promise<HoldState | undefined> {
  const [row] = await db
    .update(conversations)
    .set({ legalHoldAt: null, legalHoldBy: null, legalHoldReason: null })
    .where(eq(conversations.id, id))
    .returning(holdColumns);
  return row ? stateOf(row) : undefined;
}
