/**
 * Signing in and out: with an email and password (a user), or with ADMIN_TOKEN (the bootstrap
 * owner). Every failure costs a pause; after MAX_FAILURES failures for one email or one address
 * within 15 minutes, sign-in for it is refused for 15 minutes (people/throttle.ts). Both outcomes
 * go to the audit trail (`auth.sign_in`, `auth.sign_in_failed`). A session lives SESSION_SECONDS
 * in an HttpOnly, SameSite=Strict cookie scoped to /admin, Secure when the service is published
 * over https.
 * @module
 */
import { type Context, Hono } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { timingSafeEqual } from 'hono/utils/buffer';
import { audit } from '../../../audit/log';
import type { AppDeps } from '../../../deps';
import type { Actor, Role } from '../../../domain/actor';
import { decoyHash, verifyPassword } from '../../../people/password';
import { consoleSessionKey } from '../../../people/session-key';
import { clearFailures, FAILURE_DELAY_MS, lockedUntil, recordFailure, throttleKeys } from '../../../people/throttle';
import { countUsers, findUserByEmail, normalizeEmail } from '../../../people/users';
import { landingPage } from '../../core/access';
import { clientIp } from '../../core/actor';
import type { AdminEnv } from '../core/env';
import { adminTokenEpoch, BOOTSTRAP_USER, issueSession, SESSION_COOKIE, SESSION_SECONDS, sessionCookieOptions } from '../core/session';
import { LOGIN_PATH, safeNext } from './guard';
import { loginPage, type LoginOptions } from '../pages/login';

const ANONYMOUS: Actor = { kind: 'session', id: 'anonymous', role: null };
type Who = { userId: number; role: Role; epoch: string; actor: Actor };
type Attempt = { ok: true; who: Who } | { ok: false; error: string; email: string | null };

export function authRoutes(deps: AppDeps) {
  const now = () => (deps.now ?? (() => new Date()))();
  const cookie = sessionCookieOptions(deps.settings.publicUrl);
  const enabled = async () => !!deps.settings.adminToken || (await countUsers(deps.db)) > 0;
  const page = async (c: Context<AdminEnv>, options: Omit<LoginOptions, 'enabled' | 'tokenLogin' | 'userLogin'>) => {
    const userLogin = (await countUsers(deps.db)) > 0;
    return loginPage(c, { ...options, enabled: userLogin || !!deps.settings.adminToken, tokenLogin: !!deps.settings.adminToken, userLogin });
  };

  /** Who the form names, if its password (or token) is right. */
  async function attempt(form: Record<string, unknown>): Promise<Attempt> {
    const token = typeof form.token === 'string' ? form.token.trim() : '';
    const adminToken = deps.settings.adminToken;
    if (token) {
      if (adminToken && (await timingSafeEqual(token, adminToken))) {
        const who = { userId: BOOTSTRAP_USER, role: 'owner' as const, epoch: adminTokenEpoch(adminToken) };
        return { ok: true, who: { ...who, actor: { kind: 'session', id: 'ADMIN_TOKEN', role: 'owner' } } };
      }
      return { ok: false, error: 'That is not the admin token.', email: null };
    }
    const email = typeof form.email === 'string' ? normalizeEmail(form.email).slice(0, 254) : '';
    const password = typeof form.password === 'string' ? form.password.slice(0, 256) : '';
    const user = email ? await findUserByEmail(deps.db, email) : null;
    // An unknown email costs the same scrypt as a known one.
    const right = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
    if (!user || !right || user.disabledAt) return { ok: false, error: 'That email and password do not match an active user.', email: email || null };
    const who = { userId: user.id, role: user.role as Role, epoch: String(user.sessionEpoch) };
    return { ok: true, who: { ...who, actor: { kind: 'session', id: `user:${user.id}`, role: who.role } } };
  }

  return new Hono<AdminEnv>()
    .get(LOGIN_PATH, (c) => page(c, { next: safeNext(c.req.query('next')), ...(c.req.query('notice') ? { notice: c.req.query('notice') } : {}) }))
    .post(LOGIN_PATH, async (c) => {
      const form = await c.req.parseBody();
      const next = safeNext(typeof form.next === 'string' ? form.next : undefined);
      if (!(await enabled())) return page(c, { next, status: 403 });
      const ip = clientIp(c);
      const claimed = typeof form.email === 'string' && !form.token ? normalizeEmail(form.email).slice(0, 254) : null;
      const keys = throttleKeys(claimed, ip);
      const at = now();
      const until = await lockedUntil(deps.db, keys, at);
      if (until) {
        const minutes = Math.max(1, Math.ceil((until.getTime() - at.getTime()) / 60_000));
        c.header('Retry-After', String(Math.ceil((until.getTime() - at.getTime()) / 1000)));
        const error = `Too many failed sign-ins. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
        return page(c, { next, error, status: 429, ...(claimed ? { email: claimed } : {}) });
      }
      const result = await attempt(form);
      if (!result.ok) {
        await recordFailure(deps.db, keys, at);
        await audit(deps.db, { actor: ANONYMOUS, action: 'auth.sign_in_failed', subject: result.email ? `email:${result.email}` : 'ADMIN_TOKEN', ip }, at);
        await new Promise((resolve) => setTimeout(resolve, FAILURE_DELAY_MS));
        deps.log.warn('admin console: sign-in refused', { ip });
        return page(c, { next, error: result.error, status: 401, ...(result.email ? { email: result.email } : {}) });
      }
      await clearFailures(deps.db, claimed ? [keys[0] as string] : []);
      const { value } = await issueSession(await consoleSessionKey(deps.db), result.who, at);
      await audit(deps.db, { actor: result.who.actor, action: 'auth.sign_in', subject: result.who.actor.id, ip }, at);
      setCookie(c, SESSION_COOKIE, value, { ...cookie, maxAge: SESSION_SECONDS });
      return c.redirect(next === '/admin' ? landingPage(result.who.role) : next, 303);
    })
    .post('/admin/logout', (c) => {
      deleteCookie(c, SESSION_COOKIE, cookie);
      return c.redirect(`${LOGIN_PATH}?notice=logged_out`, 303);
    });
}
