/**
 * The key that signs console sessions: generated once and kept in app_secrets
 * (`console_session_key`), so sessions survive restarts, every replica accepts them, and the
 * console works with users only (no ADMIN_TOKEN).
 * @module
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { appSecrets } from '../db/schema';

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
  const read = async () => (await db.select({ value: appSecrets.value }).from(appSecrets).where(eq(appSecrets.name, SESSION_KEY_NAME)))[0]?.value;
  const existing = await read();
  if (existing) return existing;
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const value = btoa(String.fromCharCode(...bytes));
  // Two processes may race here; the row that lands first is everyone's key.
  await db.insert(appSecrets).values({ name: SESSION_KEY_NAME, value }).onConflictDoNothing({ target: appSecrets.name });
  return (await read()) ?? value;
}
