/**
 * The path every /api/v4 request takes before a route sees it, in amoCRM's order:
 * latency → block (403 HTML, nothing else happens) → bearer token (401) → rate limit (429)
 * → fault dice (write requests only, unless faults.reads). Auth comes before the limit because
 * amoCRM counts requests per integration, which it only knows from the token; a request refused
 * with 401 therefore does not use up the window.
 * @module
 */
import type { MiddlewareHandler } from 'hono';
import { type SandboxContext, sleep } from './context';
import { nginxPage, problem, tooManyRequests } from './responses';

const AUTH_DETAILS = {
  missing: 'Authorization header is missing',
  unknown: 'Token is invalid',
  expired: 'Token has expired',
  revoked: 'Token has been revoked',
} as const;

function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

export function apiGate(ctx: SandboxContext): MiddlewareHandler {
  return async (c, next) => {
    if (ctx.options.latencyMs > 0) await sleep(ctx.options.latencyMs);
    if (ctx.limiter.blocked) {
      ctx.stats.blockedRequests++;
      return nginxPage(403);
    }
    const verdict = ctx.store.tokens.check(bearer(c.req.header('authorization')), ctx.unix());
    if (verdict !== 'ok') return problem(401, AUTH_DETAILS[verdict]);

    if (ctx.limiter.admit(ctx.options.rateClock()) === 'limited') {
      ctx.stats.rateLimited++;
      return tooManyRequests();
    }

    const fault = ctx.faults.roll(c.req.method);
    if (fault) ctx.stats.faultsInjected++;
    if (fault === '502_before') return nginxPage(502);
    if (fault === '504_before') return nginxPage(504);
    await next();
    if (fault === '502_after') c.res = nginxPage(502);
    if (fault === 'slow_after') await sleep(ctx.faults.slowMs);
  };
}
