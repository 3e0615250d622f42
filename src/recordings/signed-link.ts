/**
 * Links to a call's MP3 that a rep's browser can open from the CRM note, without a login:
 * `/recordings/<id>.mp3?k=<key id>&s=<HMAC-SHA256(key, "<id>.<expiry>")>[&e=<expiry>]`.
 * Links in notes do not expire (e=0); rotating the key revokes them: drop the old key from
 * RECORDING_LINK_KEYS and every link it signed stops working. Without configured keys, one is
 * generated once and kept in the database, so links survive restarts and every replica agrees.
 * @module
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { appSecrets } from '../db/schema';
import { hmacSha256Hex, verifyHmacSha256Hex } from '../lib/crypto';

export interface LinkKey {
  kid: string;
  secret: string;
}

const GENERATED = 'recording_link_key';
const GENERATED_KID = 'db1';

/** The generated key, per database handle: read once, it never changes. */
const generatedKeys = new WeakMap<object, LinkKey[]>();

/** The keys links are checked against; the first one signs. */
export async function linkKeys(db: Db, configured: readonly LinkKey[]): Promise<LinkKey[]> {
  if (configured.length) return [...configured];
  const cached = generatedKeys.get(db);
  if (cached) return cached;
  const keys = await generatedKey(db);
  generatedKeys.set(db, keys);
  return keys;
}

async function generatedKey(db: Db): Promise<LinkKey[]> {
  const [row] = await db.select({ value: appSecrets.value }).from(appSecrets).where(eq(appSecrets.name, GENERATED));
  if (row) return [{ kid: GENERATED_KID, secret: row.value }];
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const value = btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
  // Two processes may race here; the row that lands first is everyone's key.
  await db.insert(appSecrets).values({ name: GENERATED, value }).onConflictDoNothing({ target: appSecrets.name });
  const [stored] = await db.select({ value: appSecrets.value }).from(appSecrets).where(eq(appSecrets.name, GENERATED));
  return [{ kid: GENERATED_KID, secret: stored?.value ?? value }];
}

/** The path and query of a signed link (append to PUBLIC_URL). `expiresAt` null: never expires. */
export async function signedRecordingPath(audioId: string, key: LinkKey, expiresAt: Date | null = null): Promise<string> {
  const expiry = expiresAt ? Math.floor(expiresAt.getTime() / 1000) : 0;
  const signature = await hmacSha256Hex(key.secret, `${audioId}.${expiry}`);
  const query = new URLSearchParams({ k: key.kid, s: signature, ...(expiry ? { e: String(expiry) } : {}) });
  return `/recordings/${audioId}.mp3?${query.toString()}`;
}

export async function signedRecordingUrl(publicUrl: string, audioId: string, key: LinkKey, expiresAt: Date | null = null): Promise<string> {
  return `${publicUrl.replace(/\/+$/, '')}${await signedRecordingPath(audioId, key, expiresAt)}`;
}

/** Whether the query signs this id with a known key and has not expired. */
export async function verifyRecordingLink(audioId: string, query: URLSearchParams, keys: readonly LinkKey[], nowSeconds: number): Promise<boolean> {
  const kid = query.get('k');
  const signature = query.get('s');
  const expiryText = query.get('e') ?? '0';
  if (!kid || !signature || !/^\d{1,12}$/.test(expiryText)) return false;
  const expiry = Number(expiryText);
  if (expiry !== 0 && expiry < nowSeconds) return false;
  const key = keys.find((k) => k.kid === kid);
  if (!key) return false;
  return verifyHmacSha256Hex(key.secret, `${audioId}.${expiry}`, signature);
}
