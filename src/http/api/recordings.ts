/**
 * GET /recordings/:id.mp3 — a call's MP3, for the player in the CRM note: a signed link (no
 * login), byte ranges for seeking (206, 416), streamed from storage in constant memory. Every
 * failure — a bad or expired signature, an unknown or purged id — is the same 404, so a probe
 * learns nothing about which ids exist.
 * @module
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { and, eq, isNull } from 'drizzle-orm';
import type { Context } from 'hono';
import { callAudio } from '../../db/schema';
import type { AppDeps } from '../../deps';
import { ApiError } from '../core/errors';
import { parseRange } from '../../recordings/serve/range';
import { linkKeys, verifyRecordingLink } from '../../recordings/signed-link';

const ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.mp3$/;

export function recordingRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/recordings/{file}',
    tags: ['recordings'],
    summary: 'A call recording as MP3 (signed link, byte ranges)',
    description:
      'The link calltrail writes into CRM notes: `/recordings/<id>.mp3?k=<key id>&s=<signature>[&e=<expiry>]`. ' +
      'Supports `Range: bytes=…` (206, 416). Any invalid, expired or unknown link is 404.',
    responses: {
      200: { description: 'The whole file', content: { 'audio/mpeg': { schema: { type: 'string', format: 'binary' } } } },
      206: { description: 'The requested byte range', content: { 'audio/mpeg': { schema: { type: 'string', format: 'binary' } } } },
      304: { description: 'Not modified (If-None-Match)' },
      404: { description: 'No such recording, or the link is not valid' },
      416: { description: 'The range lies outside the file' },
    },
  });
  app.get('/recordings/:file', (c) => serveRecording(c, deps));
  return app;
}

async function serveRecording(c: Context, deps: AppDeps): Promise<Response> {
  const notFound = () => new ApiError('not_found', 'no such recording');
  const id = ID.exec(c.req.param('file') ?? '')?.[1];
  const runtime = deps.recordings;
  if (!id || !runtime) throw notFound();
  const now = (deps.now ?? (() => new Date()))();
  const keys = await linkKeys(deps.db, deps.settings.recordingLinkKeys);
  if (!(await verifyRecordingLink(id, new URL(c.req.url).searchParams, keys, now.getTime() / 1000))) throw notFound();
  const [audio] = await deps.db
    .select({ key: callAudio.storageKey, bytes: callAudio.bytes, sha256: callAudio.sha256, updatedAt: callAudio.updatedAt })
    .from(callAudio)
    .where(and(eq(callAudio.id, id), isNull(callAudio.purgedAt)));
  if (!audio) throw notFound();

  const etag = `"${audio.sha256.slice(0, 32)}"`;
  const headers: Record<string, string> = {
    'Content-Type': 'audio/mpeg',
    'Accept-Ranges': 'bytes',
    ETag: etag,
    'Last-Modified': audio.updatedAt.toUTCString(),
    // The link is a capability: private caches only; a late segment may rebuild the file (new ETag).
    'Cache-Control': 'private, max-age=86400',
    'Content-Disposition': `inline; filename="call-${id}.mp3"`,
    'X-Content-Type-Options': 'nosniff',
  };
  if (c.req.header('if-none-match') === etag) return new Response(null, { status: 304, headers });

  const ifRange = c.req.header('if-range');
  const range = ifRange && ifRange !== etag ? { kind: 'full' as const } : parseRange(c.req.header('range'), audio.bytes);
  if (range.kind === 'unsatisfiable') {
    return new Response(null, { status: 416, headers: { ...headers, 'Content-Range': `bytes */${audio.bytes}` } });
  }
  const object = await runtime.storage.get(audio.key, range.kind === 'partial' ? range : undefined);
  if (!object) {
    deps.log.error('an archived recording is missing from storage', { audio: id, key: audio.key });
    throw notFound();
  }
  const head = c.req.method === 'HEAD';
  if (head) await object.body.cancel();
  if (range.kind === 'partial') {
    const end = range.offset + range.length - 1;
    return new Response(head ? null : object.body, {
      status: 206,
      headers: { ...headers, 'Content-Length': String(range.length), 'Content-Range': `bytes ${range.offset}-${end}/${audio.bytes}` },
    });
  }
  return new Response(head ? null : object.body, { status: 200, headers: { ...headers, 'Content-Length': String(audio.bytes) } });
}
