/**
 * Failed sign-ins slow down and then stop guessing: after MAX_FAILURES failures for one email or
 * one address within WINDOW, sign-in for it is refused for LOCKOUT after the last one. Refused
 * attempts are not counted (the lock does not extend itself); a success clears the email's count.
 * @module
 */
import { and, desc, eq, inArray, lt } from 'drizzle-orm';
import type { Db } from '../db/client';
import { signInFailures } from '../db/schema';

export const MAX_FAILURES = 5;
export const WINDOW_MS = 15 * 60_000;
export const LOCKOUT_MS = 15 * 60_000;
/** What each wrong password costs the guesser before the answer. */
export const FAILURE_DELAY_MS = 400;

export const throttleKeys = (email: string | null, ip: string | null): string[] => [
  ...(email ? [`email:${email.trim().toLowerCase()}`] : []),
  ...(ip ? [`ip:${ip}`] : []),
];

/** Until when sign-in is refused for any of these keys, or null when it is not. */
export async function lockedUntil(db: Db, keys: string[], now: Date): Promise<Date | null> {
  let until: Date | null = null;
  for (const key of keys) {
    const last = await db
      .select({ at: signInFailures.at })
      .from(signInFailures)
      .where(eq(signInFailures.key, key))
      .orderBy(desc(signInFailures.at))
      .limit(MAX_FAILURES);
    const newest = last[0]?.at;
    const oldest = last[MAX_FAILURES - 1]?.at;
    if (!newest || !oldest || newest.getTime() - oldest.getTime() > WINDOW_MS) continue;
    const end = new Date(newest.getTime() + LOCKOUT_MS);
    if (end > now && (!until || end > until)) until = end;
  }
  return until;
}

export async function recordFailure(db: Db, keys: string[], now: Date): Promise<void> {
  if (!keys.length) return;
  await db.insert(signInFailures).values(keys.map((key) => ({ key, at: now })));
  // What no lock can need any more.
  await db.delete(signInFailures).where(lt(signInFailures.at, new Date(now.getTime() - 24 * 60 * 60_000)));
}

export async function clearFailures(db: Db, keys: string[]): Promise<void> {
  if (keys.length) await db.delete(signInFailures).where(and(inArray(signInFailures.key, keys)));
}
