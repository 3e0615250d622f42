/**
 * The admin console at /admin: server-rendered pages over the same functions as the JSON API.
 * Every response gets the security headers; every page but the login needs a session; every
 * POST needs our origin and the session's CSRF token; failures render as pages, not JSON.
 * Mounted by createApp with app.route('/', adminConsole(deps)).
 * @module
 */
import { Hono } from 'hono';
import type { AppDeps } from '../../deps';
import type { AdminEnv } from './core/env';
import { requireCsrf, requireSession } from './routes/guard';
import { securityHeaders } from './core/headers';
import { failurePage, notFoundPage } from './pages/errors';
import { accountsPages } from './routes/accounts';
import { agentsPages } from './routes/agents';
import { amoSignInPages } from './routes/amocrm-sign-in';
import { auditPages } from './routes/audit';
import { authRoutes } from './routes/auth';
import { callsPages } from './routes/calls';
import { configPages } from './routes/config';
import { crmPages } from './routes/crm';
import { deadLetterPages } from './routes/dead-letters';
import { livePages } from './routes/live';
import { overviewPages } from './routes/overview';
import { peoplePages } from './routes/people';
import { recordingAccessPages } from './routes/recording-access';
import { runsPages } from './routes/runs';
import { widgetPages } from './routes/widget';

export function adminConsole(deps: AppDeps) {
  const app = new Hono<AdminEnv>();
  // Scoped to /admin (Hono's '/admin/*' matches '/admin' itself too): a middleware on '*' here
  // would run for the whole app this one is mounted in.
  app.use('/admin/*', securityHeaders(), requireSession(deps), requireCsrf(deps));
  app.route('/', accountsPages(deps));
  app.route('/', authRoutes(deps));
  app.route('/', amoSignInPages(deps));
  app.route('/', overviewPages(deps));
  app.route('/', livePages(deps));
  app.route('/', callsPages(deps));
  app.route('/', runsPages(deps));
  app.route('/', agentsPages(deps));
  app.route('/', crmPages(deps));
  app.route('/', deadLetterPages(deps));
  app.route('/', widgetPages(deps));
  app.route('/', configPages(deps));
  app.route('/', recordingAccessPages(deps));
  app.route('/', auditPages(deps));
  app.route('/', peoplePages(deps));
  app.all('/admin/*', (c) => notFoundPage(c));
  app.onError((error, c) => {
    deps.log.error('admin console: unhandled error', { code: 'internal', requestId: c.get('requestId'), path: c.req.path, error });
    return failurePage(c);
  });
  return app;
}
