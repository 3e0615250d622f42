/**
 * The console's session: a stateless, signed cookie `<session id>.<expiry>.<HMAC>` keyed by
 * ADMIN_TOKEN, so every replica (and a Worker isolate) accepts it without a sessions table, and
 * changing the token signs everybody out. CSRF tokens are an HMAC of the session id under the
 * same key with another label, so one can never stand in for the other.
 * @module
 */
import { hmacSha256Hex, verifyHmacSha256Hex } from '../../../lib/crypto';
import type { AdminSession } from './env';

export const SESSION_COOKIE = 'calltrail_admin';
export const SESSION_SECONDS = 12 * 60 * 60;
/** The hidden form field that carries the CSRF token. */
export const CSRF_FIELD = '_csrf';

const SESSION_LABEL = 'calltrail-admin-session:';
const CSRF_LABEL = 'calltrail-admin-csrf:';

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_');
}

/** A new session's cookie value, and the session it stands for. */
export async function issueSession(key: string, now: Date): Promise<{ value: string; session: AdminSession }> {
  const session = { id: randomId(), expires: Math.floor(now.getTime() / 1000) + SESSION_SECONDS };
  const body = `${session.id}.${session.expires}`;
  return { value: `${body}.${await hmacSha256Hex(key, SESSION_LABEL + body)}`, session };
}

/** The session a cookie value stands for, or null: malformed, forged, or expired. */
export async function readSession(key: string, value: string | undefined, now: Date): Promise<AdminSession | null> {
  const match = /^([A-Za-z0-9_-]{24})\.(\d{1,12})\.([0-9a-f]{64})$/.exec(value ?? '');
  if (!match) return null;
  const [, id = '', expiresText = '', signature = ''] = match;
  if (!(await verifyHmacSha256Hex(key, `${SESSION_LABEL}${id}.${expiresText}`, signature))) return null;
  const expires = Number(expiresText);
  if (expires <= now.getTime() / 1000) return null;
  return { id, expires };
}

export function csrfToken(key: string, session: AdminSession): Promise<string> {
  return hmacSha256Hex(key, CSRF_LABEL + session.id);
}

/** Constant-time: the token's HMAC is verified, never compared as a string. */
export function csrfValid(key: string, session: AdminSession, token: unknown): Promise<boolean> {
  return typeof token === 'string' ? verifyHmacSha256Hex(key, CSRF_LABEL + session.id, token) : Promise.resolve(false);
}
