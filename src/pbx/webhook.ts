/**
 * What every PBX webhook does, in this order: is the source enabled (else 404) → is the request
 * authentic (else 401, nothing stored) → does the body parse (else 400, nothing stored) → store it
 * raw in the inbox and apply it (2xx only after the commit). Each source supplies its parser, its
 * verification, and what it needs kept with the body (meta) to parse it again on a replay.
 * @module
 */
import type { Context } from 'hono';
import type { AppDeps } from '../deps';
import { inboxDeps } from '../deps';
import { ApiError } from '../http/errors';
import { ingest, type IngestResult } from '../ledger/inbox';
import type { PbxParser } from './source';

export interface WebhookRequest {
  raw: string;
  headers: Headers;
  method: string;
  /** The URL as the PBX called it: PUBLIC_URL's origin and path prefix, this request's path and query. */
  publicUrl: URL;
  query: URLSearchParams;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

export interface WebhookSource<Credentials> {
  parser: PbxParser;
  /** What enables the source (a secret, a key pair); undefined: the source is off. */
  credentials(deps: AppDeps): Credentials | undefined;
  /** How to turn the source on, for the 404 of a disabled one: "set ZADARMA_API_KEY and …". */
  enableHint: string;
  /** Checks the request's signature or credentials against the raw body. */
  verify(request: WebhookRequest, credentials: Credentials, nowSeconds: number): Promise<Verdict>;
  /** What the parser needs besides the body, kept with it for replays. Never secrets. */
  meta?(request: WebhookRequest): Record<string, string>;
  /** A natural id for duplicate deliveries; default: a hash of the raw body. */
  dedupeKey?(request: WebhookRequest): string | undefined;
  /** The success answer the PBX expects; default 202 {status, inbox_id, events}. */
  accepted?(c: Context, result: IngestResult): Response;
  /** WWW-Authenticate value sent with a 401 (HTTP basic auth sources). */
  challenge?: string;
}

export async function receiveWebhook<C>(c: Context, deps: AppDeps, source: WebhookSource<C>): Promise<Response> {
  const name = source.parser.name;
  const credentials = source.credentials(deps);
  if (credentials === undefined) {
    throw new ApiError(404, 'source_disabled', `the ${name} source is not enabled: ${source.enableHint}`);
  }
  const request: WebhookRequest = {
    raw: await c.req.text(),
    headers: c.req.raw.headers,
    method: c.req.method,
    publicUrl: publicRequestUrl(deps.settings.publicUrl, c.req.url),
    query: new URL(c.req.url).searchParams,
  };
  const now = (deps.now ?? (() => new Date()))().getTime() / 1000;
  const verdict = await source.verify(request, credentials, now);
  if (!verdict.ok) {
    if (source.challenge) c.header('WWW-Authenticate', source.challenge);
    throw new ApiError(401, 'invalid_signature', verdict.reason);
  }
  const meta = source.meta?.(request) ?? {};
  const inbox = inboxDeps(deps);
  const events = source.parser.parse(request.raw, meta, inbox.ctx.parse);
  const dedupeKey = source.dedupeKey?.(request);
  const input = { source: name, raw: request.raw, events, ...(Object.keys(meta).length ? { meta } : {}), ...(dedupeKey ? { dedupeKey } : {}) };
  const result = await (deps.ingest ? deps.ingest(input) : ingest(inbox, input));
  if (result.status === 'processed') deps.wakeDelivery?.();
  if (source.accepted) return source.accepted(c, result);
  return c.json({ status: result.status, inbox_id: result.inboxId, events: result.events }, 202);
}

/**
 * The URL the PBX signed: behind a proxy the service sees its own host, so the origin and any
 * path prefix come from PUBLIC_URL; the path below it and the query from the request.
 */
export function publicRequestUrl(publicUrl: string, requestUrl: string): URL {
  const base = new URL(publicUrl);
  const actual = new URL(requestUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  return new URL(`${base.origin}${prefix}${actual.pathname}${actual.search}`);
}
