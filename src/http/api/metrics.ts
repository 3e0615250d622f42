/**
 * GET /metrics: the service's state for Prometheus (http/metrics/families.ts), in the Prometheus
 * text format, or OpenMetrics when the scraper's Accept header prefers it. The bearer token (or
 * basic auth's password) is METRICS_TOKEN, an API token with the `metrics` scope, or the admin
 * token (app.ts puts scopedAuth in front).
 * @module
 */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import * as z from 'zod';
import type { AppDeps } from '../../deps';
import { formatOpenMetrics, formatPrometheus, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE, wantsOpenMetrics } from '../../lib/metrics';
import { collectMetrics } from '../metrics/families';
import { errorResponses } from '../core/schemas';

const route = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['service'],
  summary:
    'Metrics for Prometheus: inbox lag, conversations waiting to settle, deliveries by state and age, CRM requests by outcome and status, the request budget, recordings, the latest reconciliation (README "Metrics and traces"). Token: METRICS_TOKEN, an API token with the metrics scope, or the admin token.',
  security: [{ bearer: [] }],
  responses: {
    200: {
      description: 'The metrics, in the Prometheus text format 0.0.4, or OpenMetrics 1.0 when the Accept header prefers application/openmetrics-text',
      content: { 'text/plain': { schema: z.string() }, 'application/openmetrics-text': { schema: z.string() } },
    },
    ...errorResponses(401, 403),
  },
});

export function metricsRoutes(deps: AppDeps) {
  return new OpenAPIHono().openapi(route, async (c) => {
    const families = await collectMetrics(deps);
    const openMetrics = wantsOpenMetrics(c.req.header('accept'));
    c.header('Cache-Control', 'no-store');
    return c.body(openMetrics ? formatOpenMetrics(families) : formatPrometheus(families), 200, {
      'Content-Type': openMetrics ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE,
    });
  });
}
