/**
 * Who may see the console: a live session (session.ts), or a redirect to the login; and of the
 * console, the pages its role may open (access.ts), or the forbidden page. Every POST must
 * also come from a page of this console — its Origin (or, without one, its Referer) is ours and
 * its form carries the session's CSRF token — or it gets the 403 page and changes nothing.
 * @module
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { AppDeps } from '../../../deps';
import '../../core/actor';
import type { AdminEnv } from '../core/env';
import { forbiddenPage } from '../pages/errors';
import { consoleSessionKey } from '../../../people/session-key';
import { mayOpenPage } from '../../core/access';
import { AMOCRM_LOGIN_PATH } from '../../api/amocrm-sign-in';
import { BOOTSTRAP_USER, CSRF_FIELD, csrfToken, csrfValid, liveSession, SESSION_COOKIE } from '../core/session';

export const LOGIN_PATH = '/admin/login';

/** Where to go after logging in: only a console page, never another site (`//evil`, `/\evil`). */
export function safeNext(next: string | undefined): string {
  return next && /^\/admin(?:[/?#]|$)/.test(next) && !/[\\\s]/.test(next) && !next.startsWith('//') ? next : '/admin';
}

/** The request came from a page on this origin (or the configured public one). */
export function sameOrigin(c: Context, publicUrl: string): boolean {
  const allowed = new Set([new URL(c.req.url).origin, new URL(publicUrl).origin]);
  const origin = c.req.header('origin');
  if (origin) return allowed.has(origin);
  const referer = c.req.header('referer');
  if (!referer) return false;
  try {
    return allowed.has(new URL(referer).origin);
  } catch {
    return false;
  }
}

export function requireSession(deps: AppDeps): MiddlewareHandler<AdminEnv> {
  const now = () => (deps.now ?? (() => new Date()))();
  return async (c, next) => {
    // The amoCRM sign-in ticket is redeemed without a session, like the login.
    if (c.req.path === LOGIN_PATH || c.req.path === AMOCRM_LOGIN_PATH) return next();
    const live = await liveSession(deps, getCookie(c, SESSION_COOKIE), now());
    if (!live) {
      const url = new URL(c.req.url);
      const back = c.req.method === 'GET' ? `?next=${encodeURIComponent(url.pathname + url.search)}` : '';
      return c.redirect(`${LOGIN_PATH}${back}`, 303);
    }
    const { session, role } = live;
    c.set('session', session);
    c.set('actor', { kind: 'session', id: session.userId === BOOTSTRAP_USER ? 'ADMIN_TOKEN' : `user:${session.userId}`, role });
    c.set('principal', { userId: session.userId || null, extension: live.extension, scopes: null });
    c.set('csrf', await csrfToken(live.key, session));
    if (c.req.path !== '/admin/logout' && !mayOpenPage(role, c.req.path, c.req.method)) {
      return forbiddenPage(c, `Your role (${role}) may not open this page.`);
    }
    await next();
  };
}

/** After requireSession: POSTs need our origin, and (but for the login) the session's token. */
export function requireCsrf(deps: AppDeps): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    if (c.req.method !== 'POST') return next();
    if (!sameOrigin(c, deps.settings.publicUrl)) return forbiddenPage(c, 'The form was not sent from this console.');
    const session = c.get('session');
    if (c.req.path !== LOGIN_PATH) {
      const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
      if (!session || !(await csrfValid(await consoleSessionKey(deps.db), session, form[CSRF_FIELD]))) {
        return forbiddenPage(c, 'The form has expired or did not come from this console.');
      }
    }
    await next();
  };
}
