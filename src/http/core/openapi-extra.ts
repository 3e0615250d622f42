/**
 * The routes served by plain handlers (a file, a redirect, a stream, a page), described in the
 * OpenAPI document beside the ones built with createRoute, so it lists everything the service
 * answers outside the console (test/integration/openapi-complete.test.ts holds it to that).
 * @module
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import * as z from 'zod';
import { errorResponses } from './schemas';

const binary = (type: string, description: string) => ({ description, content: { [type]: { schema: z.string().openapi({ format: 'binary' }) } } });
const page = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } });
const callId = z.object({ id: z.string().uuid() });

export function describePlainRoutes(app: OpenAPIHono): void {
  const r = app.openAPIRegistry;
  r.registerPath({
    method: 'get',
    path: '/v1/calls/{id}/recording.mp3',
    tags: ['recordings'],
    summary: "Download a call's MP3 (scope admin, role owner or admin; audited as recording.download)",
    security: [{ bearer: [] }],
    request: { params: callId },
    responses: { 200: binary('audio/mpeg', 'The call’s one MP3, as an attachment'), ...errorResponses(400, 401, 403, 404) },
  });
  r.registerPath({
    method: 'get',
    path: '/v1/recordings/export.zip',
    tags: ['recordings'],
    summary: "A period's recordings as a ZIP with an index.csv, streamed (scope admin, role owner or admin; audited as export.recordings)",
    security: [{ bearer: [] }],
    request: { query: z.object({ from: z.string().openapi({ description: 'An ISO time, or a date in the config’s time zone' }), to: z.string() }) },
    responses: { 200: binary('application/zip', 'The ZIP'), ...errorResponses(400, 401, 403) },
  });
  r.registerPath({
    method: 'get',
    path: '/v1/crm/amocrm/connect',
    tags: ['crm'],
    summary: 'Connect amoCRM by OAuth: redirects to amoCRM’s consent page (scope admin; roles owner, admin, integrator)',
    security: [{ bearer: [] }],
    responses: { 302: { description: 'To amoCRM, with a signed state' }, ...errorResponses(401, 403, 404) },
  });
  r.registerPath({
    method: 'get',
    path: '/v1/crm/amocrm/oauth/callback',
    tags: ['crm'],
    summary: 'Where amoCRM sends the administrator back with the code: checked by its state, exchanged, stored sealed',
    request: { query: z.object({ code: z.string().optional(), state: z.string().optional(), referer: z.string().optional() }) },
    responses: { 302: { description: 'To the console, connected' }, ...errorResponses(400, 404) },
  });
  for (const [file, type] of [
    ['widget.zip', 'application/zip'],
    ['manifest.json', 'application/json'],
    ['script.js', 'text/javascript'],
  ] as const) {
    r.registerPath({
      method: 'get',
      path: `/widget/amocrm/${file}`,
      tags: ['widget'],
      summary: `calltrail's amoCRM widget: ${file === 'widget.zip' ? 'the archive to upload in amoCRM' : `its ${file}`} (no secret inside)`,
      responses: { 200: binary(type, file) },
    });
  }
  r.registerPath({
    method: 'get',
    path: '/',
    tags: ['meta'],
    summary: 'Where to go: the console, the API docs, health',
    responses: { 200: page('A small page of links') },
  });
  r.registerPath({
    method: 'get',
    path: '/docs',
    tags: ['meta'],
    summary: 'This document as one self-contained page',
    responses: { 200: page('The API documentation') },
  });
  r.registerPath({
    method: 'get',
    path: '/openapi.json',
    tags: ['meta'],
    summary: 'This document (OpenAPI 3.1)',
    responses: { 200: { description: 'The document', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } } },
  });
}
