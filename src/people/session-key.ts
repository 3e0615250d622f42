/**
 * The key that signs console sessions: generated once and kept in app_secrets
 * (`console_session_key`), so sessions survive restarts, every replica accepts them, and the
 * console works with users only (no ADMIN_TOKEN). Sealed with SECRETS_KEYS (the keys bound to the
 * database handle) like every stored secret; a deployment without keys keeps it in clear (README
 * "Access and privacy": what a reviewer would still ask for), and `keys rotate` seals it later.
 * @module
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { appSecrets } from '../db/schema';
import { aad, boundSealKeys, seal, unseal } from '../lib/seal';

export const SESSION_KEY_NAME = 'console_session_key';
const cache = new WeakMap<object, Promise<string>>();

export function consoleSessionKey(db: Db): Promise<string> {
  let key = cache.get(db);
  if (!key) {
    key = loadOrCreate(db);
    key.catch(() => cache.delete(db));
    cache.set(db, key);
  }
  return key;
}

async function loadOrCreate(db: Db): Promise<string> {
  const keys = boundSealKeys(db);
  const place = aad('app_secrets', 'value', SESSION_KEY_NAME);
  const read = async () => (await db.select({ value: appSecrets.value }).from(appSecrets).where(eq(appSecrets.name, SESSION_KEY_NAME)))[0]?.value;
  const existing = await read();
  if (existing) return unseal(keys, existing, place);
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const value = btoa(String.fromCharCode(...bytes));
  const stored = keys.length ? await seal(keys, value, place) : value;
  // Two processes may race here; the row that lands first is everyone's key.
  await db.insert(appSecrets).values({ name: SESSION_KEY_NAME, value: stored }).onConflictDoNothing({ target: appSecrets.name });
  const winner = await read();
  return winner ? unseal(keys, winner, place) : value;
}
