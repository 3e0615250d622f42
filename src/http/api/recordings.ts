/**
 * GET /recordings/:id.mp3 — a call's MP3, for the player in the CRM note and the console's: a
 * signed link (no login), byte ranges for seeking (206, 416), streamed from storage in constant
 * memory. Every unusable link — a bad or expired signature, a revoked link, an unknown or purged
 * id — is the same 404, so a probe learns nothing about which ids exist or were withdrawn. A link
 * used too fast is 429 (a token bucket per link in this process). A link's checked signature and
 * its recording's row are kept per link for up to 30 s (serve/link-cache.ts), so a player's range
 * requests cost no HMAC and no query each; revocations are still checked on every request.
 * Listens are audited, one entry per link, client and 10 minutes (serve/listens.ts); a download
 * (`?download=1`, the whole file) is one entry each.
 * @module
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { and, eq, isNull } from 'drizzle-orm';
import type { Context } from 'hono';
import { audit } from '../../audit/log';
import { callAudio } from '../../db/schema';
import type { Actor } from '../../domain/actor';
import type { Db } from '../../db/client';
import type { AppDeps, RecordingsRuntime } from '../../deps';
import { clientIp } from '../core/actor';
import { ApiError } from '../core/errors';
import { parseRange } from '../../recordings/serve/range';
import { LinkCache } from '../../recordings/serve/link-cache';
import { LinkLimiter } from '../../recordings/serve/link-limit';
import { ListenFolder } from '../../recordings/serve/listens';
import { linkRevoked } from '../../recordings/revocations';
import { type LinkClaims, linkKeys, readRecordingLink } from '../../recordings/signed-link';

const ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.mp3$/;

/** What a link resolves to, in the database: the file it serves (null: purged or deleted). */
export interface ServedAudio {
  key: string;
  bytes: number;
  sha256: string;
  updatedAt: Date;
  conversationId: string;
}

/** A checked link: its claims and its recording's row (null when there is none). */
export interface ResolvedLink {
  claims: LinkClaims;
  audio: ServedAudio | null;
}

/** What serving keeps per process: each link's bucket, each play's audit window, each link's checked claims and row. */
interface ServeState {
  limiter: LinkLimiter;
  listens: ListenFolder;
  links: LinkCache<ResolvedLink>;
  readAudio: (db: Db, id: string) => Promise<ServedAudio | null>;
}

export interface RecordingRouteOptions {
  /** Reads a recording's row (tests count the reads); the default queries call_audio. */
  readAudio?: (db: Db, id: string) => Promise<ServedAudio | null>;
  /** The per-link cache (tests give one with their own TTL or size). */
  links?: LinkCache<ResolvedLink>;
}

/** The recording's file, unless it was purged. */
export async function readServedAudio(db: Db, id: string): Promise<ServedAudio | null> {
  const [audio] = await db
    .select({
      key: callAudio.storageKey,
      bytes: callAudio.bytes,
      sha256: callAudio.sha256,
      updatedAt: callAudio.updatedAt,
      conversationId: callAudio.conversationId,
    })
    .from(callAudio)
    .where(and(eq(callAudio.id, id), isNull(callAudio.purgedAt)));
  return audio ?? null;
}

export function recordingRoutes(deps: AppDeps, options: RecordingRouteOptions = {}) {
  const app = new OpenAPIHono();
  const state: ServeState = {
    limiter: new LinkLimiter(deps.config.recordings.link_requests_per_minute),
    listens: new ListenFolder(),
    links: options.links ?? new LinkCache(),
    readAudio: options.readAudio ?? readServedAudio,
  };
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/recordings/{file}',
    tags: ['recordings'],
    summary: 'A call recording as MP3 (signed link, byte ranges)',
    description:
      'The link calltrail writes into CRM notes: `/recordings/<id>.mp3?k=<key id>&s=<signature>[&e=<expiry>][&t=<epoch>]` ' +
      '(the console adds `c=<session>`). Supports `Range: bytes=…` (206, 416); `download=1` asks for an attachment. ' +
      'Any invalid, expired, revoked or unknown link is 404; more than `recordings.link_requests_per_minute` requests ' +
      'a minute through one link is 429 with Retry-After. Every listen and download is written to the audit trail.',
    responses: {
      200: { description: 'The whole file', content: { 'audio/mpeg': { schema: { type: 'string', format: 'binary' } } } },
      206: { description: 'The requested byte range', content: { 'audio/mpeg': { schema: { type: 'string', format: 'binary' } } } },
      304: { description: 'Not modified (If-None-Match)' },
      404: { description: 'No such recording, or the link is not valid (expired, revoked, forged)' },
      416: { description: 'The range lies outside the file' },
      429: { description: 'Too many requests through this link: wait Retry-After seconds' },
    },
  });
  app.get('/recordings/:file', (c) => serveRecording(c, deps, state));
  return app;
}

/**
 * The link's claims and row: from the cache, or checked and read now (null: forged or expired).
 * `fresh`: skip the cache (its entry named a file that is gone).
 */
async function resolveLink(c: Context, deps: AppDeps, state: ServeState, id: string, now: Date, fresh: boolean) {
  const query = new URL(c.req.url).searchParams;
  // Every parameter the signature covers, as sent: any change is another link.
  const key = JSON.stringify([id, query.get('k'), query.get('s'), query.get('e'), query.get('t'), query.get('c')]);
  if (fresh) state.links.forget(key);
  const answer = await state.links.get(key, now.getTime(), async () => {
    const keys = await linkKeys(deps.db, deps.settings.recordingLinkKeys);
    const claims = await readRecordingLink(id, query, keys, now.getTime() / 1000);
    if (!claims) return null;
    // A signed link to a purged or deleted recording is kept too (as null): it stays gone.
    return { value: { claims, audio: await state.readAudio(deps.db, id) }, linkExpiresAt: claims.expiry ? claims.expiry * 1000 : null };
  });
  return answer ? { ...answer.value, hit: answer.hit } : null;
}

/** A usable link's claims and the file it names, or a 404 / 429 thrown. */
async function admit(c: Context, deps: AppDeps, state: ServeState, id: string, now: Date) {
  const notFound = () => new ApiError('not_found', 'no such recording');
  const link = await resolveLink(c, deps, state, id, now, false);
  if (!link) throw notFound();
  const { claims } = link;
  if (await linkRevoked(deps.db, id, claims.epoch, now.getTime())) {
    deps.log.debug('a revoked recording link was refused', { audio: id });
    throw notFound();
  }
  const taken = state.limiter.take(`${id}:${claims.signature}`, now.getTime());
  if (!taken.ok) {
    c.header('Retry-After', String(taken.retryAfterSeconds));
    throw new ApiError('rate_limited', `too many requests through this link: try again in ${taken.retryAfterSeconds} s`);
  }
  if (!link.audio) throw notFound();
  return { claims, audio: link.audio, hit: link.hit };
}

/**
 * The file opened at the range asked (416: none), from the admitted row. A cached row whose file
 * is gone — deleted by another process, or rebuilt under a new key — is read again from the
 * database, once.
 */
async function openFile(c: Context, deps: AppDeps, state: ServeState, id: string, now: Date, admitted: { audio: ServedAudio; hit: boolean }) {
  const storage = (deps.recordings as RecordingsRuntime).storage;
  let audio = admitted.audio;
  let fresh = !admitted.hit;
  for (;;) {
    const ifRange = c.req.header('if-range');
    const range = ifRange && ifRange !== etagOf(audio) ? { kind: 'full' as const } : parseRange(c.req.header('range'), audio.bytes);
    if (range.kind === 'unsatisfiable') return { audio, range, object: null };
    const object = await storage.get(audio.key, range.kind === 'partial' ? range : undefined);
    if (object) return { audio, range, object };
    if (fresh) {
      deps.log.error('an archived recording is missing from storage', { audio: id, key: audio.key });
      throw new ApiError('not_found', 'no such recording');
    }
    fresh = true;
    const reread = await resolveLink(c, deps, state, id, now, true);
    if (!reread?.audio) throw new ApiError('not_found', 'no such recording');
    audio = reread.audio;
  }
}

const etagOf = (audio: ServedAudio) => `"${audio.sha256.slice(0, 32)}"`;

function fileHeaders(id: string, audio: ServedAudio, download: boolean): Record<string, string> {
  return {
    'Content-Type': 'audio/mpeg',
    'Accept-Ranges': 'bytes',
    ETag: etagOf(audio),
    'Last-Modified': audio.updatedAt.toUTCString(),
    // The link is a capability: private caches only; a late segment may rebuild the file (new ETag).
    'Cache-Control': 'private, max-age=86400',
    'Content-Disposition': `${download ? 'attachment' : 'inline'}; filename="call-${id}.mp3"`,
    'X-Content-Type-Options': 'nosniff',
  };
}

async function serveRecording(c: Context, deps: AppDeps, state: ServeState): Promise<Response> {
  const id = ID.exec(c.req.param('file') ?? '')?.[1];
  if (!id || !deps.recordings) throw new ApiError('not_found', 'no such recording');
  const now = (deps.now ?? (() => new Date()))();
  const admitted = await admit(c, deps, state, id, now);
  const download = c.req.query('download') === '1';
  const listened = { c, deps, state, id, claims: admitted.claims, conversationId: admitted.audio.conversationId, now };
  if (c.req.header('if-none-match') === etagOf(admitted.audio)) {
    await auditListen(listened, 0, false);
    return new Response(null, { status: 304, headers: fileHeaders(id, admitted.audio, download) });
  }

  const { audio, range, object } = await openFile(c, deps, state, id, now, admitted);
  const headers = fileHeaders(id, audio, download);
  if (!object) return new Response(null, { status: 416, headers: { ...headers, 'Content-Range': `bytes */${audio.bytes}` } });
  const head = c.req.method === 'HEAD';
  if (head) await object.body.cancel();
  else await auditListen(listened, range.kind === 'partial' ? range.length : audio.bytes, download && range.kind !== 'partial');
  if (range.kind === 'partial') {
    const end = range.offset + range.length - 1;
    return new Response(head ? null : object.body, {
      status: 206,
      headers: { ...headers, 'Content-Length': String(range.length), 'Content-Range': `bytes ${range.offset}-${end}/${audio.bytes}` },
    });
  }
  return new Response(head ? null : object.body, { status: 200, headers: { ...headers, 'Content-Length': String(audio.bytes) } });
}

interface Listened {
  c: Context;
  deps: AppDeps;
  state: ServeState;
  id: string;
  claims: LinkClaims;
  conversationId: string;
  now: Date;
}

/** Who is behind a link: the console session it was made for, else the link itself (by its fingerprint). */
export function linkActor(claims: LinkClaims): Actor {
  if (claims.via !== null) return { kind: 'session', id: claims.via, role: null };
  return { kind: 'link', id: `${claims.kid}:${claims.signature.slice(0, 12)}`, role: null };
}

/**
 * recording.download — each whole-file download; recording.listen — the first request of a link's
 * play by a client in 10 minutes, with the bytes served so far and the previous window's totals.
 */
async function auditListen(l: Listened, bytes: number, download: boolean): Promise<void> {
  const ip = clientIp(l.c);
  const from = l.claims.via !== null ? 'console' : 'crm-link';
  const userAgent = (l.c.req.header('user-agent') ?? '').slice(0, 200);
  const base = { actor: linkActor(l.claims), subject: l.id, ip };
  const detail = { from, call: l.conversationId, bytes, ...(userAgent ? { user_agent: userAgent } : {}) };
  if (download) {
    await audit(l.deps.db, { ...base, action: 'recording.download', detail }, l.now);
    return;
  }
  const folded = l.state.listens.record(`${l.id}:${l.claims.signature}|${ip ?? '-'}|${userAgent}`, bytes, l.now.getTime());
  if (!folded.write) return;
  const range = l.c.req.header('range');
  await audit(
    l.deps.db,
    {
      ...base,
      action: 'recording.listen',
      detail: { ...detail, ...(range ? { range: range.slice(0, 100) } : {}), ...(folded.previous ? { previous: folded.previous } : {}) },
    },
    l.now,
  );
}
