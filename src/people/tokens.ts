/**
 * API tokens: `ct_` and 32 random bytes, shown once; the database keeps only their SHA-256, found
 * by one indexed lookup — a wrong token costs the same query as a right one, and a database dump
 * holds no usable token.
 * @module
 */
import { and, asc, eq, isNull, lt, or } from 'drizzle-orm';
import type { Db } from '../db/client';
import { apiTokens, type TokenScope } from '../db/schema';
import type { Role } from '../domain/actor';
import { sha256Hex } from '../lib/crypto';

export type TokenRow = typeof apiTokens.$inferSelect;

/** How often a token's use is recorded (last_used_at and the audit trail). */
export const TOKEN_USE_INTERVAL_MS = 60_000;

export const tokenHash = (token: string) => sha256Hex(token);

export function newTokenSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `ct_${btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')}`;
}

export const presentToken = (t: TokenRow) => ({
  id: t.id,
  name: t.name,
  scopes: t.scopes as TokenScope[],
  role: (t.role as Role | null) ?? null,
  created_by: t.createdBy,
  created_at: t.createdAt.toISOString(),
  last_used_at: t.lastUsedAt?.toISOString() ?? null,
  revoked_at: t.revokedAt?.toISOString() ?? null,
});

export async function createToken(
  db: Db,
  input: { name: string; scopes: TokenScope[]; role: Role | null; createdBy: string },
  now: Date,
): Promise<{ token: TokenRow; secret: string }> {
  const secret = newTokenSecret();
  const [row] = await db
    .insert(apiTokens)
    .values({
      name: input.name.trim(),
      scopes: [...new Set(input.scopes)],
      role: input.role,
      createdBy: input.createdBy,
      tokenHash: tokenHash(secret),
      createdAt: now,
    })
    .returning();
  return { token: row as TokenRow, secret };
}

export async function listTokens(db: Db): Promise<TokenRow[]> {
  return db.select().from(apiTokens).orderBy(asc(apiTokens.id));
}

/** The live (not revoked) token with this secret, or null. */
/**
 * Answers of findToken kept for a few seconds per process (by the token's hash, found or not): a
 * PBX asking /v1/lookup hundreds of times a second costs no query each time. A revocation clears
 * it in the process that made it; other processes follow within TOKEN_CACHE_MS.
 */
export const TOKEN_CACHE_MS = 10_000;
const TOKEN_CACHE_ENTRIES = 1_000;
const tokenCaches = new WeakMap<object, Map<string, { row: TokenRow | null; until: number }>>();

function tokenCache(db: Db): Map<string, { row: TokenRow | null; until: number }> {
  let cache = tokenCaches.get(db);
  if (!cache) tokenCaches.set(db, (cache = new Map()));
  return cache;
}

export async function findToken(db: Db, secret: string): Promise<TokenRow | null> {
  const hash = tokenHash(secret);
  const cache = tokenCache(db);
  const hit = cache.get(hash);
  if (hit && hit.until > Date.now()) return hit.row;
  const [row] = await db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, hash), isNull(apiTokens.revokedAt)));
  if (cache.size >= TOKEN_CACHE_ENTRIES) cache.clear();
  cache.set(hash, { row: row ?? null, until: Date.now() + TOKEN_CACHE_MS });
  return row ?? null;
}

/** Forgets every cached token answer of this database (a token was made or revoked here). */
export function forgetTokens(db: Db): void {
  tokenCaches.get(db)?.clear();
}

export async function revokeToken(db: Db, id: number, now: Date): Promise<TokenRow | null> {
  if (!Number.isSafeInteger(id) || id < 1 || id > 2 ** 31 - 1) return null;
  const [row] = await db
    .update(apiTokens)
    .set({ revokedAt: now })
    .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
    .returning();
  // After the update: a request in between cannot cache the token as still valid.
  forgetTokens(db);
  if (row) return row;
  const [existing] = await db.select().from(apiTokens).where(eq(apiTokens.id, id));
  return existing ?? null;
}

/** Records a use at most once a minute; true when this use was recorded (and should be audited). */
export async function touchToken(db: Db, id: number, now: Date): Promise<boolean> {
  const rows = await db
    .update(apiTokens)
    .set({ lastUsedAt: now })
    .where(and(eq(apiTokens.id, id), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, new Date(now.getTime() - TOKEN_USE_INTERVAL_MS)))))
    .returning({ id: apiTokens.id });
  return rows.length > 0;
}
