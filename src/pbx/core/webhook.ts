/**
 * A source's webhooks as data: where the PBX posts, how the request is authenticated and read,
 * what is kept with the body, what the PBX expects back, and how the endpoint is documented.
 * The HTTP layer (src/http/webhooks) runs every one the same way: enabled? (404) → authentic,
 * over the body's bytes as sent? (401) → text in the source's charset → parsed and admitted
 * (400) → stored and applied → the answer. Nothing here serves HTTP: a source's endpoints are
 * values and small functions over a request already read (its OpenAPI part: zod schemas).
 * @module
 */
import type { RouteConfig } from '@hono/zod-openapi';
import type { Db } from '../../db/client';
import type { CharsetSetting, Charset } from '../../lib/charset';

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

/**
 * What a webhook reads from the deployment: the environment's secrets and its `sources:` section.
 * Each source types only its own part (`WebhookSettings<{ yeastar?: string }, { yeastar: YeastarConfig }>`);
 * the app's deps (settings + integrator config) satisfy every one.
 */
export interface WebhookSettings<Secrets = unknown, Sources = unknown> {
  settings: { secrets: Secrets; sandboxMode: boolean };
  config: { sources: Sources };
}

/** How an endpoint appears in /openapi.json (tag `pbx`; the error answers listed by status). */
export interface WebhookDoc {
  summary: string;
  description: string;
  request?: RouteConfig['request'];
  security?: RouteConfig['security'];
  /** The success answers. */
  responses: RouteConfig['responses'];
  errors: readonly (400 | 401 | 404 | 413 | 503)[];
  /** Security schemes the endpoint names (FreeSWITCH's HTTP basic). */
  securitySchemes?: Record<string, { type: 'http'; scheme: string }>;
}

interface Endpoint<Credentials, Settings> {
  path: string;
  /** Absent: the endpoint is served but not documented (Mango's notifications calltrail does not use). */
  doc?: WebhookDoc;
  /** What enables the source (a secret, a key pair); undefined: the source is off (404). */
  credentials(settings: Settings): Credentials | undefined;
  /** How to turn the source on, for the 404 of a disabled one: "set ZADARMA_API_KEY and …". */
  enableHint: string;
}

/** The success answer the PBX expects: the ingest result as JSON, or an empty body. */
export type AcceptedAnswer = { status: 200 | 202; body: 'result' } | { status: 200 | 204; body: 'empty' };

/** The default answer: 202 {status, inbox_id, events}. */
export const ACCEPTED_RESULT: AcceptedAnswer = { status: 202, body: 'result' };

/** A POST carrying calls: verified, read, parsed, stored. */
export interface PbxWebhook<Credentials = unknown, Settings = WebhookSettings> extends Endpoint<Credentials, Settings> {
  method: 'post';
  /** Checks the request's signature or credentials against the body's bytes. */
  verify(request: WebhookRequest, credentials: Credentials, nowSeconds: number): Promise<Verdict>;
  /** `ignore`: verified and answered 200 {status: "ignored"}, nothing stored (notifications calltrail does not use). */
  receive?: 'store' | 'ignore';
  /** The source's `charset` setting; default auto (UTF-8, else Windows-1251). */
  charset?(settings: Settings): CharsetSetting;
  /** True when the body is an HTML form: its text is in the percent-decoded values. */
  form?(request: WebhookRequest): boolean;
  /** What the parser needs besides the body, kept with it for replays. Never secrets. */
  meta?(request: DecodedWebhookRequest): Record<string, string>;
  /**
   * What the parser needs from the inbox, looked up once the request is authentic (Mango: the
   * call's notifications stored before), added to the meta so a replay never reads the database.
   */
  lookup?(request: DecodedWebhookRequest, store: { db: Db }): Promise<Record<string, string>>;
  /** A natural id for duplicate deliveries; default: a hash of the raw body. */
  dedupeKey?(request: DecodedWebhookRequest): string | undefined;
  /** Default ACCEPTED_RESULT. */
  accepted?: AcceptedAnswer;
  /** WWW-Authenticate value sent with a 401 (HTTP basic auth sources). */
  challenge?: string;
  /** The PBX asks where to send a ringing call in this webhook's answer. */
  routeCall?: RouteCall;
}

/** Where calltrail says a ringing call should go, and the caller's name (from GET /v1/lookup's answer). */
export interface CallRoute {
  /** The extension of the user responsible for the caller, else the default route; null: the PBX's own routing. */
  route: string | null;
  callerName: string | null;
}

/**
 * A notification the PBX waits on for routing (Zadarma's NOTIFY_START): after it is stored, the
 * caller is looked up (within live.lookup.deadline_ms) and the answer tells the PBX where to send
 * the call and what name to show.
 */
export interface RouteCall {
  /** The caller's number and our line when this request asks for a route; null for other notifications. */
  caller(request: DecodedWebhookRequest): { phone: string; line: string | null } | null;
  /** The PBX's answer for this route (the JSON it expects). */
  answer(route: CallRoute): unknown;
}

/** A GET by which the PBX checks the URL before using it (Zadarma's `?zd_echo=<token>`). */
export interface PbxUrlCheck<Credentials = unknown, Settings = WebhookSettings> extends Endpoint<Credentials, Settings> {
  method: 'get';
  /** The text to answer with; throws InvalidPayloadError (400) for a query the check never sends. */
  echo(query: URLSearchParams): string;
}

export type PbxEndpoint<Credentials = unknown, Settings = WebhookSettings> = PbxWebhook<Credentials, Settings> | PbxUrlCheck<Credentials, Settings>;
