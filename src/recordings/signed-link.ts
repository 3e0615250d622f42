/**
 * Links to a call's MP3 that a rep's browser can open from the CRM note, without a login:
 * `/recordings/<id>.mp3?k=<key id>&s=<signature>[&e=<expiry>][&t=<epoch>][&c=<session>]`, the
 * signature HMAC-SHA256(key, "<id>.<expiry>") — or "<id>.<expiry>.<epoch>.<session>" when either
 * of those is set. Links in notes do not expire unless `recordings.link_ttl_days` says so (e=0).
 * A link stops working when its recording's links (or all links) are revoked after its epoch
 * (revocations.ts), or when its key is dropped from RECORDING_LINK_KEYS. Without configured keys,
 * one is generated once and kept in the database, so links survive restarts and every replica agrees.
 * @module
 */
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { appSecrets } from '../db/schema';
import { hmacSha256Hex, verifyHmacSha256Hex } from '../lib/crypto';
import { aad, boundSealKeys, isSealed, SealError, seal, unseal } from '../lib/seal';
import { linkEpoch } from './revocations';

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

/**
 * The key generated once and kept in app_secrets, sealed with SECRETS_KEYS (the keys bound to this
 * database handle) and bound to its row. One stored before sealing is read as it is and sealed
 * here. Without SECRETS_KEYS no new key is stored: a key in clear would let a database dump sign links.
 */
async function generatedKey(db: Db): Promise<LinkKey[]> {
  const keys = boundSealKeys(db);
  const place = aad('app_secrets', 'value', GENERATED);
  const read = async () => (await db.select({ value: appSecrets.value }).from(appSecrets).where(eq(appSecrets.name, GENERATED)))[0]?.value;
  const found = await read();
  if (found !== undefined) {
    const secret = await unseal(keys, found, place);
    if (!isSealed(found) && keys.length) {
      await db
        .update(appSecrets)
        .set({ value: await seal(keys, secret, place), updatedAt: new Date() })
        .where(and(eq(appSecrets.name, GENERATED), eq(appSecrets.value, found)));
    }
    return [{ kid: GENERATED_KID, secret }];
  }
  if (!keys.length) throw new SealError('no key signs recording links: set RECORDING_LINK_KEYS, or SECRETS_KEYS so a generated one is kept sealed');
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const value = btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
  // Two processes may race here; the row that lands first is everyone's key.
  await db
    .insert(appSecrets)
    .values({ name: GENERATED, value: await seal(keys, value, place) })
    .onConflictDoNothing({ target: appSecrets.name });
  const stored = await read();
  return [{ kid: GENERATED_KID, secret: stored === undefined ? value : await unseal(keys, stored, place) }];
}

/**
 * What a link says beyond its id, all of it covered by the signature. `epoch`: the link was signed
 * after the recording's links were last revoked at this time (ms; 0: never revoked, the parameter
 * is left out, so links stay as they were before revocations existed). `via`: the console session
 * the link was made for (its player), or null for a link in a CRM note.
 */
export interface LinkOptions {
  epoch?: number;
  via?: string | null;
}

export interface LinkClaims {
  kid: string;
  signature: string;
  /** Unix seconds; 0: never expires. */
  expiry: number;
  epoch: number;
  via: string | null;
}

const VIA = /^[\w:.@-]{1,80}$/;

/** The signed text: the original `<id>.<expiry>` for plain links, with the epoch and via when either is set. */
function signedText(audioId: string, expiry: number, epoch: number, via: string | null): string {
  return epoch === 0 && via === null ? `${audioId}.${expiry}` : `${audioId}.${expiry}.${epoch}.${via ?? ''}`;
}

/** The path and query of a signed link (append to PUBLIC_URL). `expiresAt` null: never expires. */
export async function signedRecordingPath(audioId: string, key: LinkKey, expiresAt: Date | null = null, options: LinkOptions = {}): Promise<string> {
  const expiry = expiresAt ? Math.floor(expiresAt.getTime() / 1000) : 0;
  const epoch = Math.max(0, Math.floor(options.epoch ?? 0));
  const via = options.via ?? null;
  if (via !== null && !VIA.test(via)) throw new Error('a link can only be made for a session id of word characters');
  const signature = await hmacSha256Hex(key.secret, signedText(audioId, expiry, epoch, via));
  const query = new URLSearchParams({
    k: key.kid,
    s: signature,
    ...(expiry ? { e: String(expiry) } : {}),
    ...(epoch ? { t: String(epoch) } : {}),
    ...(via !== null ? { c: via } : {}),
  });
  return `/recordings/${audioId}.mp3?${query.toString()}`;
}

export async function signedRecordingUrl(
  publicUrl: string,
  audioId: string,
  key: LinkKey,
  expiresAt: Date | null = null,
  options: LinkOptions = {},
): Promise<string> {
  return `${publicUrl.replace(/\/+$/, '')}${await signedRecordingPath(audioId, key, expiresAt, options)}`;
}

/**
 * When a CRM note's link expires (`recordings.link_ttl_days`; null: never). Rounded up to the next
 * midnight UTC, so every note written on one day gets the same link.
 */
export function noteLinkExpiry(ttlDays: number | null | undefined, now: Date): Date | null {
  if (!ttlDays) return null;
  const end = now.getTime() + ttlDays * 86_400_000;
  return new Date(Math.ceil(end / 86_400_000) * 86_400_000);
}

/**
 * The link a CRM note carries: signed by the first key, after the recording's latest revocation,
 * expiring per `recordings.link_ttl_days` (never by default).
 */
export async function noteRecordingUrl(
  db: Db,
  links: { recordingLinkKeys: readonly LinkKey[]; publicUrl: string; ttlDays: number | null | undefined },
  audioId: string,
  now: Date,
): Promise<string> {
  const [key] = await linkKeys(db, links.recordingLinkKeys);
  if (!key) throw new Error('no key to sign recording links');
  return signedRecordingUrl(links.publicUrl, audioId, key, noteLinkExpiry(links.ttlDays, now), { epoch: await linkEpoch(db, audioId) });
}

/** What a link's query claims, when its signature is ours and it has not expired; null otherwise. */
export async function readRecordingLink(audioId: string, query: URLSearchParams, keys: readonly LinkKey[], nowSeconds: number): Promise<LinkClaims | null> {
  const kid = query.get('k');
  const signature = query.get('s');
  const expiryText = query.get('e') ?? '0';
  const epochText = query.get('t') ?? '0';
  const via = query.get('c');
  if (!kid || !signature || !/^\d{1,12}$/.test(expiryText) || !/^\d{1,15}$/.test(epochText)) return null;
  if (via !== null && !VIA.test(via)) return null;
  const expiry = Number(expiryText);
  const epoch = Number(epochText);
  if (expiry !== 0 && expiry < nowSeconds) return null;
  const key = keys.find((k) => k.kid === kid);
  if (!key) return null;
  if (!(await verifyHmacSha256Hex(key.secret, signedText(audioId, expiry, epoch, via), signature))) return null;
  return { kid, signature, expiry, epoch, via };
}

/** Whether the query signs this id with a known key and has not expired. */
export async function verifyRecordingLink(audioId: string, query: URLSearchParams, keys: readonly LinkKey[], nowSeconds: number): Promise<boolean> {
  return (await readRecordingLink(audioId, query, keys, nowSeconds)) !== null;
}
