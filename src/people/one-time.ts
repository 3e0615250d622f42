/**
 * Single use, on every replica: a one-time token's id is written to used_one_time_tokens the first
 * time it is presented; a second presentation finds it there and is refused. Rows are kept until
 * the token would have expired anyway (after that its own expiry refuses it), and each claim
 * first deletes the rows past theirs, so the table holds only the last minutes' tokens.
 * @module
 */
import { lt } from 'drizzle-orm';
import type { Db } from '../db/client';
import { usedOneTimeTokens } from '../db/schema';

/** true: this is the first use of `id`, now recorded; false: it was used before. */
export async function claimOnce(db: Db, id: string, expiresAt: Date, now: Date): Promise<boolean> {
  await db.delete(usedOneTimeTokens).where(lt(usedOneTimeTokens.expiresAt, now));
  const rows = await db
    .insert(usedOneTimeTokens)
    .values({ jti: id, expiresAt })
    .onConflictDoNothing({ target: usedOneTimeTokens.jti })
    .returning({ jti: usedOneTimeTokens.jti });
  return rows.length > 0;
}
