/**
 * calltrail's amoCRM widget, served for download and inspection:
 * - GET /widget/amocrm/widget.zip     the archive to upload in amoCRM (built in memory per request)
 * - GET /widget/amocrm/manifest.json  its manifest
 * - GET /widget/amocrm/script.js      its script (also what the sandbox CRM's card page runs)
 * No authentication: the widget holds no secret (the token is entered in amoCRM's settings).
 * Mounted by createApp with app.route('/', widgetRoutes(deps)).
 *
 * `widgetCors()` is for POST /v1/originate: the widget calls it from the amoCRM account's origin
 * (https://<subdomain>.amocrm.ru / .amocrm.com / .kommo.com), a cross-origin request with an
 * Authorization header, so the browser asks first (OPTIONS) and needs these answers.
 * `amoSignInCors()` is the same for POST /v1/auth/amocrm, whose request carries amoCRM's
 * X-Auth-Token instead (added by the widget's $authorizedAjax).
 * @module
 */
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { AppDeps } from '../../deps';
import { widgetFile, widgetZip } from '../../widget/amocrm/archive';

const TYPES: Record<string, string> = {
  'manifest.json': 'application/json; charset=utf-8',
  'script.js': 'text/javascript; charset=utf-8',
};

/** amoCRM (and Kommo) account origins: https, one subdomain label, their own domains. */
export const AMOCRM_ORIGIN = /^https:\/\/[a-z0-9-]+\.(amocrm\.ru|amocrm\.com|kommo\.com)$/i;

export function widgetCors(allowHeaders: string[] = ['authorization', 'content-type']) {
  return cors({
    origin: (origin) => (AMOCRM_ORIGIN.test(origin) ? origin : null),
    allowMethods: ['POST', 'OPTIONS'],
    allowHeaders,
    exposeHeaders: ['x-request-id'],
    maxAge: 600,
  });
}

export const amoSignInCors = () => widgetCors(['x-auth-token', 'content-type', 'x-requested-with']);

export function widgetRoutes(_deps?: Pick<AppDeps, 'settings'>) {
  const app = new Hono();
  for (const name of Object.keys(TYPES)) {
    app.get(`/widget/amocrm/${name}`, (c) => {
      const body = widgetFile(name) ?? '';
      return c.body(body, 200, { 'Content-Type': TYPES[name] ?? 'text/plain', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
    });
  }
  app.get('/widget/amocrm/widget.zip', (c) =>
    c.body(widgetZip() as Uint8Array<ArrayBuffer>, 200, {
      'Content-Type': 'application/zip',
      'Content-Disposition': 'attachment; filename="calltrail-amocrm-widget.zip"',
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    }),
  );
  return app;
}
