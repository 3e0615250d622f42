/**
 * The webhook routes of every PBX source, mounted from the registry: each source's endpoints
 * (pbx/<vendor>/webhook.ts, data) in its order, documented in /openapi.json under the `pbx` tag.
 * A source answers 404 while its secret is not configured.
 * @module
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppDeps } from '../../deps';
import type { PbxSource } from '../../pbx/core/source';
import type { PbxEndpoint, WebhookDoc } from '../../pbx/core/webhook';
import { pbxSources } from '../../pbx/registry';
import { errorResponses } from '../core/schemas';
import { answerUrlCheck, receiveWebhook } from './receive';

export function webhookRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();
  const sources: readonly PbxSource[] = pbxSources;
  for (const source of sources) {
    for (const endpoint of source.webhooks ?? []) {
      if (endpoint.doc) document(app, endpoint, endpoint.doc);
      if (endpoint.method === 'get') app.get(endpoint.path, (c) => answerUrlCheck(c, deps, source, endpoint));
      else app.post(endpoint.path, (c) => receiveWebhook(c, deps, source, endpoint));
    }
  }
  return app;
}

function document(app: OpenAPIHono, endpoint: PbxEndpoint, doc: WebhookDoc) {
  app.openAPIRegistry.registerPath({
    method: endpoint.method,
    path: endpoint.path,
    tags: ['pbx'],
    summary: doc.summary,
    description: doc.description,
    ...(doc.request ? { request: doc.request } : {}),
    ...(doc.security ? { security: doc.security } : {}),
    responses: { ...doc.responses, ...errorResponses(...doc.errors) },
  });
  for (const [name, scheme] of Object.entries(doc.securitySchemes ?? {})) {
    app.openAPIRegistry.registerComponent('securitySchemes', name, scheme);
  }
}
