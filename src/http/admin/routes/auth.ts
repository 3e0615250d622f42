/**
 * Logging in and out. The token is compared in constant time; a wrong one costs the guesser a
 * pause. A session lives SESSION_SECONDS in an HttpOnly, SameSite=Strict cookie scoped to
 * /admin, Secure when the service is published over https.
 * @module
 */
import { Hono } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { timingSafeEqual } from 'hono/utils/buffer';
import type { AppDeps } from '../../../deps';
import type { AdminEnv } from '../core/env';
import { LOGIN_PATH, safeNext } from './guard';
import { loginPage } from '../pages/login';
import { issueSession, SESSION_COOKIE, SESSION_SECONDS } from '../core/session';

/** What a wrong token costs: enough to make guessing slow, short enough for a typo. */
const WRONG_TOKEN_DELAY_MS = 400;

export function authRoutes(deps: AppDeps) {
  const now = () => (deps.now ?? (() => new Date()))();
  const key = deps.settings.adminToken;
  const cookie = {
    path: '/admin',
    httpOnly: true,
    sameSite: 'Strict' as const,
    secure: deps.settings.publicUrl.startsWith('https:'),
  };

  return new Hono<AdminEnv>()
    .get(LOGIN_PATH, (c) =>
      loginPage(c, { enabled: !!key, next: safeNext(c.req.query('next')), ...(c.req.query('notice') ? { notice: c.req.query('notice') } : {}) }),
    )
    .post(LOGIN_PATH, async (c) => {
      const form = await c.req.parseBody();
      const next = safeNext(typeof form.next === 'string' ? form.next : undefined);
      if (!key) return loginPage(c, { enabled: false, next, status: 403 });
      const token = typeof form.token === 'string' ? form.token.trim() : '';
      if (!token || !(await timingSafeEqual(token, key))) {
        await new Promise((resolve) => setTimeout(resolve, WRONG_TOKEN_DELAY_MS));
        deps.log.warn('admin console: wrong token');
        return loginPage(c, { enabled: true, next, error: 'That is not the admin token.', status: 401 });
      }
      const { value } = await issueSession(key, now());
      setCookie(c, SESSION_COOKIE, value, { ...cookie, maxAge: SESSION_SECONDS });
      return c.redirect(next, 303);
    })
    .post('/admin/logout', (c) => {
      deleteCookie(c, SESSION_COOKIE, cookie);
      return c.redirect(`${LOGIN_PATH}?notice=logged_out`, 303);
    });
}
