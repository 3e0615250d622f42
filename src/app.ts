/**
 * createApp(deps): the whole HTTP surface, the same on Node and on Workers.
 * @module
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { adminConsole } from './http/admin';
import { describeIssues } from './config/errors';
import type { AppDeps } from './deps';
import { accessLog } from './http/core/access-log';
import { traceRequests } from './http/core/trace-requests';
import { adminAuth } from './http/core/admin-auth';
import { renderDocsPage } from './http/core/docs-page';
import { landingPage } from './http/core/landing';
import { describePlainRoutes } from './http/core/openapi-extra';
import { ApiError, errorResponse, handleError } from './http/core/errors';
import { sandboxAccess } from './http/admin/core/sandbox-access';
import { webhookRoutes } from './http/webhooks/routes';
import { callRoutes } from './http/api/calls';
import { crmRoutes, oauthRoutes } from './http/api/crm';
import { reconcileRoutes } from './http/api/reconcile';
import { privacyRoutes } from './http/api/privacy';
import { auditRoutes } from './http/api/audit';
import { peopleRoutes } from './http/api/people';
import { recordingRoutes } from './http/api/recordings';
import { recordingAdminRoutes } from './http/api/recordings-admin';
import { recordingAccessRoutes } from './http/api/recording-policies';
import { healthRoutes } from './http/api/health';
import { metricsRoutes } from './http/api/metrics';
import { inboxRoutes } from './http/api/inbox';
import { liveRoutes } from './http/api/live';
import { scopedAuth } from './http/core/admin-auth';
import { amoSignInCors, widgetCors, widgetRoutes } from './http/widget/routes';
import { amoSignInRoutes } from './http/api/amocrm-sign-in';
import { accountRoutes } from './http/api/accounts';
import { mountAccounts } from './http/core/account-mount';

export const API_VERSION = '0.1.0';
const MAX_BODY_BYTES = 1024 * 1024;

export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono({
    // Query, path and JSON validation failures share the envelope, with every problem listed.
    defaultHook: (result, c) => {
      if (!result.success) {
        const problems = describeIssues(result.error, result.target);
        return errorResponse(c, 'invalid_request', problems.join('; '), problems);
      }
    },
  });

  // The added accounts' requests are theirs from the first byte: their app logs and limits them.
  if (deps.accounts) mountAccounts(app, deps.accounts);
  app.use(requestId({ headerName: 'X-Request-Id' }));
  app.use(traceRequests(deps.settings.crm.accountId));
  app.use(accessLog(deps.log));
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError('payload_too_large', `the body is larger than ${MAX_BODY_BYTES} bytes`);
      },
    }),
  );
  app.onError(handleError(deps.log));
  app.notFound((c) => errorResponse(c, 'not_found', `no route for ${c.req.method} ${c.req.path}`));

  app.route('/', healthRoutes(deps));
  app.use('/metrics', scopedAuth('metrics', deps));
  app.route('/', metricsRoutes(deps));
  app.route('/', webhookRoutes(deps));

  const admin = adminAuth(deps);
  app.use('/v1/inbox/*', admin);
  app.use('/v1/inbox', admin);
  app.use('/v1/calls/*', admin);
  app.use('/v1/calls', admin);
  // Not /v1/crm/*: the OAuth redirect target is reached by the admin's browser, checked by its state.
  for (const path of ['/v1/crm', '/v1/crm/reset', '/v1/crm/amocrm/connect']) app.use(path, admin);
  app.use('/v1/recordings/*', admin);
  app.use('/v1/recording-policies', admin);
  app.use('/v1/recording-policies/*', admin);
  app.use('/v1/reconcile', admin);
  app.use('/v1/reconcile/*', admin);
  // The widget calls click-to-call from the amoCRM account's origin: its preflight is answered first.
  app.use('/v1/originate', widgetCors());
  // Sign-in from the widget: authenticated by amoCRM's one-time token, not a bearer.
  app.use('/v1/auth/amocrm', amoSignInCors());
  app.use('/v1/lookup', scopedAuth('lookup', deps));
  app.use('/v1/originate', scopedAuth('originate', deps));
  app.route('/', liveRoutes(deps));
  app.route('/', widgetRoutes(deps));
  app.route('/', inboxRoutes(deps));
  app.route('/', callRoutes(deps));
  app.route('/', crmRoutes(deps));
  app.route('/', oauthRoutes(deps));
  app.route('/', recordingRoutes(deps));
  app.route('/', recordingAdminRoutes(deps));
  app.route('/', recordingAccessRoutes(deps));
  app.route('/', reconcileRoutes(deps));
  for (const path of ['/v1/erasures', '/v1/erasures/*']) app.use(path, admin); // hold: under /v1/calls/*
  app.route('/', privacyRoutes(deps));
  for (const path of ['/v1/audit', '/v1/audit.csv', '/v1/audit/*']) app.use(path, admin);
  app.route('/', auditRoutes(deps));
  app.route('/', peopleRoutes(deps));
  app.route('/', amoSignInRoutes(deps));
  app.route('/', accountRoutes(deps));
  app.route('/', adminConsole(deps));
  const sandbox = deps.sandbox;
  if (sandbox) {
    // Open in pure local mode only; elsewhere the admin token, or off (http/sandbox-access.ts).
    app.use('/sandbox/amocrm/*', sandboxAccess(deps));
    app.mount('/sandbox/amocrm', (request) => sandbox.fetch(request));
  }

  // Relative links: right under an added account's /a/<slug>/ and behind a proxy's path prefix too.
  app.get('/', (c) => landingPage(c, { sandbox: !!deps.sandbox, version: API_VERSION }));
  serveApiDocs(app);
  return app;
}

/** GET /openapi.json and /docs, from the routes registered. */
function serveApiDocs(app: OpenAPIHono) {
  describePlainRoutes(app);
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  const document = () =>
    app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'calltrail',
        version: API_VERSION,
        description: 'Receives PBX call records and recordings, assembles conversations, and puts each call exactly once on the CRM timeline.',
      },
    });
  app.get('/openapi.json', (c) => c.json(document()));
  app.get('/docs', (c) => c.html(renderDocsPage(document() as Parameters<typeof renderDocsPage>[0])));
}

export type App = ReturnType<typeof createApp>;
