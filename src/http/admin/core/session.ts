/**
 * The console's session: a stateless, signed cookie
 * `<session id>.<user id>.<role>.<epoch>.<expiry>.<HMAC>` keyed by a secret calltrail generates
 * once and keeps in app_secrets (`console_session_key`), so every replica (and a Worker isolate)
 * accepts it without a sessions table, and the console works with users alone, no ADMIN_TOKEN.
 *
 * User id 0 is the bootstrap owner who signed in with ADMIN_TOKEN; its epoch is a fingerprint of
 * that token, so changing ADMIN_TOKEN ends those sessions. A user's epoch is its session_epoch,
 * bumped by a new password, a disable or a role change: the guard checks it against the user's
 * row on every request, so such a session stops working at once. Sessions expire after
 * SESSION_SECONDS whatever happens. CSRF tokens are an HMAC of the session id under the same key
 * with another label, so one can never stand in for the other.
 * @module
 */
import type { Db } from '../../../db/client';
import { ROLES, type Role } from '../../../domain/actor';
import { hmacSha256Hex, sha256Hex, verifyHmacSha256Hex } from '../../../lib/crypto';
import { consoleSessionKey } from '../../../people/session-key';
import { findUser } from '../../../people/users';
import type { AdminSession } from './env';

export const SESSION_COOKIE = 'calltrail_admin';
export const SESSION_SECONDS = 12 * 60 * 60;
/** The hidden form field that carries the CSRF token. */
export const CSRF_FIELD = '_csrf';
/** The session cookie's attributes (its value and max-age aside): every sign-in sets it alike. */
export const sessionCookieOptions = (publicUrl: string) => ({
  path: '/admin',
  httpOnly: true,
  sameSite: 'Strict' as const,
  secure: publicUrl.startsWith('https:'),
});

/** The user id of a session opened with ADMIN_TOKEN. */
export const BOOTSTRAP_USER = 0;

const SESSION_LABEL = 'calltrail-admin-session:';
const CSRF_LABEL = 'calltrail-admin-csrf:';

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_');
}

/** The epoch of ADMIN_TOKEN sessions: 16 hex digits of the token's hash (never the token). */
export const adminTokenEpoch = (adminToken: string) => sha256Hex(`calltrail-session-epoch:${adminToken}`).slice(0, 16);

/** A new session's cookie value, and the session it stands for. */
export async function issueSession(
  key: string,
  who: { userId: number; role: Role; epoch: string },
  now: Date,
): Promise<{ value: string; session: AdminSession }> {
  const session: AdminSession = {
    id: randomId(),
    userId: who.userId,
    role: who.role,
    epoch: who.epoch,
    expires: Math.floor(now.getTime() / 1000) + SESSION_SECONDS,
  };
  const body = `${session.id}.${session.userId}.${session.role}.${session.epoch}.${session.expires}`;
  return { value: `${body}.${await hmacSha256Hex(key, SESSION_LABEL + body)}`, session };
}

const COOKIE = /^([A-Za-z0-9_-]{24})\.(\d{1,10})\.([a-z]{1,12})\.([0-9a-f]{1,16})\.(\d{1,12})\.([0-9a-f]{64})$/;

/** The session a cookie value stands for, or null: malformed, forged, or expired. */
export async function readSession(key: string, value: string | undefined, now: Date): Promise<AdminSession | null> {
  const match = COOKIE.exec(value ?? '');
  if (!match) return null;
  const [, id = '', user = '', role = '', epoch = '', expiresText = '', signature = ''] = match;
  if (!(await verifyHmacSha256Hex(key, `${SESSION_LABEL}${id}.${user}.${role}.${epoch}.${expiresText}`, signature))) return null;
  if (!(ROLES as readonly string[]).includes(role)) return null;
  const expires = Number(expiresText);
  if (expires <= now.getTime() / 1000) return null;
  return { id, userId: Number(user), role: role as Role, epoch, expires };
}

export interface SessionDeps {
  db: Db;
  settings: { adminToken?: string | undefined };
}

export interface LiveSession {
  session: AdminSession;
  role: Role;
  /** A rep's own extension. */
  extension: string | null;
  /** The key the session (and its CSRF tokens) are signed with. */
  key: string;
}

/**
 * A cookie's session if it still holds: signed, not expired, and its user still enabled with the
 * same epoch (or, for the bootstrap owner, the same ADMIN_TOKEN). The role is the user's current one.
 */
export async function liveSession(deps: SessionDeps, value: string | undefined, now: Date): Promise<LiveSession | null> {
  if (!value) return null;
  const key = await consoleSessionKey(deps.db);
  const session = await readSession(key, value, now);
  if (!session) return null;
  if (session.userId === BOOTSTRAP_USER) {
    const token = deps.settings.adminToken;
    if (!token || session.epoch !== adminTokenEpoch(token)) return null;
    return { session, role: 'owner', extension: null, key };
  }
  const user = await findUser(deps.db, session.userId);
  if (!user || user.disabledAt || String(user.sessionEpoch) !== session.epoch) return null;
  return { session, role: user.role as Role, extension: user.extension, key };
}

export function csrfToken(key: string, session: AdminSession): Promise<string> {
  return hmacSha256Hex(key, CSRF_LABEL + session.id);
}

/** Constant-time: the token's HMAC is verified, never compared as a string. */
export function csrfValid(key: string, session: AdminSession, token: unknown): Promise<boolean> {
  return typeof token === 'string' ? verifyHmacSha256Hex(key, CSRF_LABEL + session.id, token) : Promise.resolve(false);
}

/** Whether a cookie is a live session of an owner or admin (the sandbox CRM's gate). */
export function consoleAdminSession(deps: SessionDeps) {
  return async (value: string | undefined, now: Date): Promise<boolean> => {
    const live = await liveSession(deps, value, now);
    return live?.role === 'owner' || live?.role === 'admin';
  };
}
