/**
 * A server span for every request (lib/trace.ts), named by its route pattern — never the path
 * as sent, which may carry a number — and continuing a W3C `traceparent` the caller sent. The
 * spans a request's work opens (the inbox apply of a webhook, a lookup's CRM request) are its
 * children. A no-op unless the entry turned tracing on.
 * @module
 */
import { context, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { contextFromTraceparent, inSpan } from '../../lib/trace';

export function traceRequests(account: string): MiddlewareHandler {
  return async (c, next) => {
    const active = context.active();
    const parent = contextFromTraceparent(c.req.header('traceparent'), active) ?? active;
    const method = c.req.method;
    const attributes = { 'http.request.method': method, 'calltrail.account': account };
    await inSpan(method, { kind: SpanKind.SERVER, parent, attributes }, async (span) => {
      await next();
      const route = routePath(c, -1) || 'unmatched';
      span.updateName(`${method} ${route}`);
      span.setAttribute('http.route', route);
      span.setAttribute('http.response.status_code', c.res.status);
      if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: String(c.res.status) });
    });
  };
}
