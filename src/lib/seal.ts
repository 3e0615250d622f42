/**
 * Secrets sealed at rest: AES-256-GCM through Web Crypto (Node and workerd alike), with keys from
 * the environment (SECRETS_KEYS: `kid:base64key[,kid:base64key…]`, the first seals, all open).
 *
 * A sealed value is `v1:<kid>:<base64 iv>:<base64 ciphertext+tag>`. The additional data binds it
 * to its place (`aad("crm_accounts", "refresh_token", accountId)`): copied to another row or
 * column it no longer opens. A value that does not start with `v1:` was written before sealing
 * existed and is read as it is; the next write (or `calltrail keys rotate`) seals it.
 * @module
 */

/** One key of SECRETS_KEYS: its id and 32 random bytes, base64. */
export interface SealKey {
  kid: string;
  /** 32 bytes, base64 (standard or URL alphabet). */
  key: string;
}

/** Sealing or opening refused: no key, an unknown kid, a wrong key or place, a tampered value. */
export class SealError extends Error {
  override readonly name = 'SealError';
}

const PREFIX = 'v1:';
const KID = /^[A-Za-z0-9_-]{1,16}$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The additional data of a column of a row: `table.column:id`. */
export function aad(table: string, column: string, id: string): string {
  return `${table}.${column}:${id}`;
}

/** Whether the value is sealed (else it is a legacy value stored before sealing, or null). */
export function isSealed(value: string | null | undefined): value is string {
  return typeof value === 'string' && value.startsWith(PREFIX);
}

/** The kid a sealed value names, or null for a legacy value. */
export function sealedKid(value: string): string | null {
  if (!isSealed(value)) return null;
  return value.slice(PREFIX.length).split(':', 1)[0] ?? null;
}

export async function seal(keys: readonly SealKey[], plaintext: string, additional: string): Promise<string> {
  const first = keys[0];
  if (!first) throw new SealError('SECRETS_KEYS is not set: calltrail stores no secret in the database in clear');
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: encoder.encode(additional) },
    await cryptoKey(first),
    encoder.encode(plaintext),
  );
  return `${PREFIX}${first.kid}:${toBase64(iv)}:${toBase64(new Uint8Array(sealed))}`;
}

/** The plaintext; a legacy (unsealed) value as it is. Throws SealError when it does not open. */
export async function unseal(keys: readonly SealKey[], value: string, additional: string): Promise<string> {
  if (!isSealed(value)) return value;
  const [kid, ivText, dataText, ...rest] = value.slice(PREFIX.length).split(':');
  if (!kid || ivText === undefined || dataText === undefined || rest.length) throw new SealError('a sealed value is malformed');
  const key = keys.find((k) => k.kid === kid);
  if (!key) throw new SealError(`a sealed value names key "${kid}", which SECRETS_KEYS does not list`);
  const iv = fromBase64(ivText);
  const data = fromBase64(dataText);
  if (iv?.length !== 12 || !data || data.length < 16) throw new SealError('a sealed value is malformed');
  try {
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: encoder.encode(additional) }, await cryptoKey(key), data);
    return decoder.decode(plain);
  } catch {
    throw new SealError(`a sealed value does not open with key "${kid}" (a different key under that id, another row's value, or tampered)`);
  }
}

/**
 * A value sealed with the first key: a legacy value sealed, another key's value re-sealed; null
 * when it is sealed with the first key already. Throws SealError when it does not open (checked
 * for current values too: one copied from another row is found).
 */
export async function reseal(keys: readonly SealKey[], value: string, additional: string): Promise<string | null> {
  const plaintext = await unseal(keys, value, additional);
  if (keys[0] && sealedKid(value) === keys[0].kid) return null;
  return seal(keys, plaintext, additional);
}

/** SECRETS_KEYS's text → keys, or the problem with it (for a config error). */
export function parseSealKeys(text: string): { keys: SealKey[] } | { problem: string } {
  const keys: SealKey[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    if (!part) continue;
    const colon = part.indexOf(':');
    const kid = colon > 0 ? part.slice(0, colon) : '';
    const key = part.slice(colon + 1);
    if (!KID.test(kid)) return { problem: 'each key is kid:base64key, the kid up to 16 letters, digits, _ or -' };
    if (keys.some((k) => k.kid === kid)) return { problem: `the kid "${kid}" is listed twice` };
    if (fromBase64(key)?.length !== 32) return { problem: `the key "${kid}" is not 32 bytes in base64 (make one with \`calltrail keys generate\`)` };
    keys.push({ kid, key });
  }
  if (!keys.length) return { problem: 'no key given' };
  return { keys };
}

/** A new key line for SECRETS_KEYS: `<kid>:<base64 of 32 random bytes>`. */
export function generateKeyLine(kid: string): string {
  if (!KID.test(kid)) throw new SealError('a kid is up to 16 letters, digits, _ or -');
  return `${kid}:${toBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/**
 * The keys that seal secrets in one database, bound to its handle by the entry that opened it
 * (Node: the service and the CLI; Workers: each request's client; tests: the harness). For code
 * that is handed only the database, as the generated recording-link key is.
 */
const bound = new WeakMap<object, readonly SealKey[]>();

export function bindSealKeys(db: object, keys: readonly SealKey[]): void {
  bound.set(db, keys);
}

/** The keys bound to this database handle; none when nothing was bound. */
export function boundSealKeys(db: object): readonly SealKey[] {
  return bound.get(db) ?? [];
}

/** Imported keys by kid and bytes; a process holds a handful. */
const imported = new Map<string, Promise<CryptoKey>>();

function cryptoKey(key: SealKey): Promise<CryptoKey> {
  const id = `${key.kid}\u0000${key.key}`;
  let found = imported.get(id);
  if (!found) {
    const bytes = fromBase64(key.key);
    if (bytes?.length !== 32) throw new SealError(`the key "${key.kid}" is not 32 bytes in base64`);
    found = crypto.subtle.importKey('raw', bytes, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
    imported.set(id, found);
  }
  return found;
}

function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

/** Standard or URL alphabet, padding optional; null when it is not base64. */
function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return null;
  const standard = text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (standard.length % 4 === 1) return null;
  try {
    const binary = atob(standard + '='.repeat((4 - (standard.length % 4)) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}
