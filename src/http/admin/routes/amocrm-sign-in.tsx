/**
 * GET /admin/login/amocrm?t=<ticket>: the second step of signing in from the amoCRM widget (the
 * first is POST /v1/auth/amocrm, http/api/amocrm-sign-in.ts). The ticket holds, is spent, and its
 * user is still enabled with the same session epoch → a session exactly like the password
 * sign-in's (same cookie, same audit action, detail {via: 'amocrm'}); anything else → the login
 * page with a notice.
 *
 * The answer is a page that goes on by itself (`<meta http-equiv="refresh">`, and a link), not a
 * redirect: this navigation was started by a script on amoCRM's origin, so it is cross-site, and
 * the browser would not send the SameSite=Strict session cookie on a redirect that follows it;
 * the page's own navigation is same-site, and the cookie goes with it. Its URL is relative
 * (`../../admin/…`), so under an added account's /a/<slug>/ it stays inside that account.
 * @module
 */
import { Hono } from 'hono';
import { setCookie } from 'hono/cookie';
import { audit } from '../../../audit/log';
import type { AppDeps } from '../../../deps';
import type { Actor, Role } from '../../../domain/actor';
import { redeemTicket } from '../../../people/amocrm-sign-in';
import { consoleSessionKey } from '../../../people/session-key';
import { landingPage } from '../../core/access';
import { clientIp } from '../../core/actor';
import { render } from '../core/layout';
import type { AdminEnv } from '../core/env';
import { issueSession, SESSION_COOKIE, SESSION_SECONDS, sessionCookieOptions } from '../core/session';
import { AMOCRM_LOGIN_PATH } from '../../api/amocrm-sign-in';
import { LOGIN_PATH } from './guard';

const ANONYMOUS: Actor = { kind: 'session', id: 'anonymous', role: null };

export function amoSignInPages(deps: AppDeps) {
  const now = () => (deps.now ?? (() => new Date()))();
  return new Hono<AdminEnv>().get(AMOCRM_LOGIN_PATH, async (c) => {
    const at = now();
    const ip = clientIp(c);
    const result = await redeemTicket(deps.db, c.req.query('t'), at);
    if (!result.ok) {
      // A forged or mangled ticket names nobody: logged, not put on the trail.
      if (result.userId !== undefined) {
        const detail = { via: 'amocrm', reason: `ticket_${result.reason}` };
        await audit(deps.db, { actor: ANONYMOUS, action: 'auth.sign_in_failed', subject: `user:${result.userId}`, detail, ip }, at);
      }
      deps.log.warn('admin console: amoCRM sign-in ticket refused', { reason: result.reason, ip });
      return c.redirect(`${LOGIN_PATH}?notice=amocrm_sign_in_failed`, 303);
    }
    const { user } = result;
    const role = user.role as Role;
    const actor: Actor = { kind: 'session', id: `user:${user.id}`, role };
    const { value } = await issueSession(await consoleSessionKey(deps.db), { userId: user.id, role, epoch: String(user.sessionEpoch) }, at);
    await audit(deps.db, { actor, action: 'auth.sign_in', subject: actor.id, detail: { via: 'amocrm', amocrm_user_id: user.amocrmUserId }, ip }, at);
    setCookie(c, SESSION_COOKIE, value, { ...sessionCookieOptions(deps.settings.publicUrl), maxAge: SESSION_SECONDS });
    // From /admin/login/amocrm, ../../admin is /admin (or /a/<slug>/admin under an account).
    const onward = `../..${landingPage(role)}`;
    return render(
      c,
      { title: 'Signed in', refresh: onward },
      <div class="login card" id="amocrm-signed-in">
        <h1>calltrail admin</h1>
        <p>
          Signed in as {user.name || user.email} from amoCRM. <a href={onward}>Continue</a>
        </p>
      </div>,
    );
  });
}
