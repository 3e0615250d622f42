/**
 * What every PBX webhook does, in this order: is the source enabled (else 404) → is the request
 * authentic, checked over the body's bytes exactly as sent (else 401, nothing stored) → decode the
 * bytes to text in the source's charset → does the body parse, and is it something the ledger can
 * always apply (domain/admit.ts) (else 400 naming the field, nothing stored) → store the text in
 * the inbox and apply it (2xx only after the commit). Each source supplies its parser, its
 * verification, and what it needs kept with the body (meta) to parse it again on a replay.
 * @module
 */
import type { Context } from 'hono';
import type { AppDeps } from '../deps';
import { inboxDeps } from '../deps';
import { admissionProblems } from '../domain/admit';
import { ApiError } from '../http/errors';
import { decodeBody, type Charset, type CharsetSetting } from '../lib/charset';
import { ingest, type IngestResult } from '../ledger/inbox';
import { InvalidPayloadError, type PbxParser } from './source';

/** A request as it arrived: what signatures are checked over. */
export interface WebhookRequest {
  /** The body, byte for byte. */
  body: Uint8Array;
  headers: Headers;
  method: string;
  /** The URL as the PBX called it: PUBLIC_URL's origin and path prefix, this request's path and query. */
  publicUrl: URL;
  /** The same URL spelled as PUBLIC_URL spells it (host case kept): what Twilio signs. */
  publicUrlText: string;
  query: URLSearchParams;
}

/** The request once authentic, its body read as text. */
export interface DecodedWebhookRequest extends WebhookRequest {
  raw: string;
  charset: Charset;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

export interface WebhookSource<Credentials> {
  parser: PbxParser;
  /** What enables the source (a secret, a key pair); undefined: the source is off. */
  credentials(deps: AppDeps): Credentials | undefined;
  /** How to turn the source on, for the 404 of a disabled one: "set ZADARMA_API_KEY and …". */
  enableHint: string;
  /** Checks the request's signature or credentials against the body's bytes. */
  verify(request: WebhookRequest, credentials: Credentials, nowSeconds: number): Promise<Verdict>;
  /** The source's `charset` setting; default auto (UTF-8, else Windows-1251). */
  charset?(deps: AppDeps): CharsetSetting;
  /** True when the body is an HTML form: its text is in the percent-decoded values. */
  form?(request: WebhookRequest): boolean;
  /** What the parser needs besides the body, kept with it for replays. Never secrets. */
  meta?(request: DecodedWebhookRequest): Record<string, string>;
  /** A natural id for duplicate deliveries; default: a hash of the raw body. */
  dedupeKey?(request: DecodedWebhookRequest): string | undefined;
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
  const received = await receivedRequest(c, deps);
  const now = (deps.now ?? (() => new Date()))();
  const verdict = await source.verify(received, credentials, now.getTime() / 1000);
  if (!verdict.ok) {
    if (source.challenge) c.header('WWW-Authenticate', source.challenge);
    throw new ApiError(401, 'invalid_signature', verdict.reason);
  }
  const nul = received.body.indexOf(0);
  if (nul >= 0) throw new InvalidPayloadError([`body: contains a NUL byte (at byte ${nul})`]);
  const request = decodedRequest(received, source.charset?.(deps) ?? 'auto', source.form?.(received) ?? false);
  const meta = source.meta?.(request) ?? {};
  // The text is what is stored; the charset it was read in is kept for people reading the inbox.
  if (request.charset !== 'utf-8') meta.charset = request.charset;
  const inbox = inboxDeps(deps);
  const events = source.parser.parse(request.raw, meta, inbox.ctx.parse);
  const dedupeKey = source.dedupeKey?.(request);
  const input = { source: name, raw: request.raw, events, ...(Object.keys(meta).length ? { meta } : {}), ...(dedupeKey ? { dedupeKey } : {}) };
  const problems = admissionProblems(input, { maxCallSeconds: deps.config.max_call_seconds, now });
  if (problems.length) throw new InvalidPayloadError(problems);
  const result = await (deps.ingest ? deps.ingest(input) : ingest(inbox, input));
  if (result.status === 'refused') throw new InvalidPayloadError(result.problems);
  if (result.status === 'processed') deps.wakeDelivery?.();
  if (source.accepted) return source.accepted(c, result);
  return c.json({ status: result.status, inbox_id: result.inboxId, events: result.events }, 202);
}

/** The body's bytes, read once (Hono keeps them for a route that reads them again). */
export async function requestBytes(c: Context): Promise<Uint8Array> {
  return new Uint8Array(await c.req.arrayBuffer());
}

async function receivedRequest(c: Context, deps: AppDeps): Promise<WebhookRequest> {
  return {
    body: await requestBytes(c),
    headers: c.req.raw.headers,
    method: c.req.method,
    publicUrl: publicRequestUrl(deps.settings.publicUrl, c.req.url),
    publicUrlText: publicRequestUrlText(deps.settings.publicUrl, c.req.url),
    query: new URL(c.req.url).searchParams,
  };
}

function decodedRequest(request: WebhookRequest, charset: CharsetSetting, form: boolean): DecodedWebhookRequest {
  const decoded = decodeBody(request.body, charset, form);
  return { ...request, raw: decoded.text, charset: decoded.charset };
}

/**
 * The URL the PBX signed: behind a proxy the service sees its own host, so the origin and any
 * path prefix come from PUBLIC_URL; the path below it and the query from the request.
 */
export function publicRequestUrl(publicUrl: string, requestUrl: string): URL {
  return new URL(publicRequestUrlText(publicUrl, requestUrl));
}

/** As publicRequestUrl, but PUBLIC_URL's part spelled as written: URL would lower-case the host. */
export function publicRequestUrlText(publicUrl: string, requestUrl: string): string {
  const written = /^([a-z][a-z\d+.-]*:\/\/[^/?#]*)([^?#]*)/i.exec(publicUrl.trim());
  const base = new URL(publicUrl);
  const origin = written?.[1] ?? base.origin;
  const prefix = (written?.[2] ?? base.pathname).replace(/\/+$/, '');
  const actual = new URL(requestUrl);
  return `${origin}${prefix}${actual.pathname}${actual.search}`;
}
