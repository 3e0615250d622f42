/**
 * The Yeastar API's tokens, as its references describe them. S-Series / Cloud PBX (API v2.0.0):
 * `POST {base}/api/v2.0.0/login` `{username, password: md5 hex of the API password, …}` →
 * `{"status":"Success","token"}`, a token the PBX drops after 30 minutes without a request; every
 * answer is HTTP 200 with `"status":"Failed","errno"` on an error. P-Series (OpenAPI v1.0):
 * `POST {base}/openapi/v1.0/get_token` `{username: Client ID, password: Client Secret}` with
 * `User-Agent: OpenAPI` → `{"errcode":0, "access_token", "access_token_expire_time": 1800, …}`;
 * errcode 10004 (TOKEN EXPIRED) says a token died early.
 *
 * A token is kept per PBX for this process and renewed before it lapses. Five failed logins lock
 * the caller's address out for 10 minutes, so after a refused login none is tried for that long:
 * the recordings wait with the reason.
 * @module
 */
import { md5 } from '@noble/hashes/legacy.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { answerJson, type DownloadContext } from '../../recordings/downloads';
import type { FetchOutcome } from '../../recordings/fetch/port';
import type { YeastarApiConfig } from './api-config';

export const S_SERIES_PATH = '/api/v2.0.0';
export const P_SERIES_PATH = '/openapi/v1.0';

/** P-Series refuses requests without a User-Agent. */
export const P_SERIES_HEADERS = { 'user-agent': 'OpenAPI' };

/** A token is renewed this long before the PBX would drop it. */
const MARGIN_MS = 60_000;
const S_SERIES_LIFETIME_MS = 30 * 60_000;
const LOGIN_LOCKOUT_MS = 10 * 60_000;

interface Held {
  token: string;
  expiresAt: number;
}

export type TokenAnswer = { token: string } | { error: string };

/** What the tokens read of the deps a download is given: the clock. */
export type TokenContext = DownloadContext<{ now?: () => Date }>;

/** The tokens of the PBXs this process talks to, and refused logins. */
export class YeastarTokens {
  private readonly held = new Map<string, Held>();
  private readonly refused = new Map<string, { until: number; reason: string }>();

  /** A token for the PBX; `fresh` drops the held one first (the PBX said it expired). */
  async token(api: YeastarApiConfig, context: TokenContext, fresh: boolean): Promise<TokenAnswer> {
    const key = `${api.edition}|${api.base_url}|${api.username}`;
    const now = nowMs(context);
    if (fresh) this.held.delete(key);
    const held = this.held.get(key);
    if (held && held.expiresAt - MARGIN_MS > now) return { token: held.token };
    const refused = this.refused.get(key);
    if (refused && refused.until > now) return { error: `${refused.reason}; no new login before ${new Date(refused.until).toISOString()}` };
    const answer = api.edition === 's-series' ? await sSeriesLogin(api, context) : await pSeriesToken(api, context);
    if ('error' in answer) {
      // The network failing is no refused login: only the PBX's own "no" counts toward its lock-out.
      if (answer.refused) this.refused.set(key, { until: now + LOGIN_LOCKOUT_MS, reason: answer.error });
      return { error: answer.error };
    }
    this.refused.delete(key);
    this.held.set(key, { token: answer.token, expiresAt: now + answer.lifetimeMs });
    return { token: answer.token };
  }
}

type LoginAnswer = { token: string; lifetimeMs: number } | { error: string; refused: boolean };

async function sSeriesLogin(api: YeastarApiConfig, context: DownloadContext): Promise<LoginAnswer> {
  const body = JSON.stringify({ ...api.login_fields, username: api.username, password: bytesToHex(md5(utf8ToBytes(api.password))) });
  const outcome = await context.fetch(`${api.base_url}${S_SERIES_PATH}/login`, jsonPost(body), apiPolicy(api));
  const json = answerJson(outcome) as { status?: unknown; token?: unknown; errno?: unknown } | undefined;
  if (json?.status === 'Success' && typeof json.token === 'string' && json.token !== '') return { token: json.token, lifetimeMs: S_SERIES_LIFETIME_MS };
  if (json?.status === 'Failed')
    return { error: `the Yeastar API refused the login (errno ${String(json.errno ?? '?')}; check sources.yeastar.api)`, refused: true };
  return { error: `the Yeastar API login failed: ${unexpected(outcome)}`, refused: false };
}

async function pSeriesToken(api: YeastarApiConfig, context: DownloadContext): Promise<LoginAnswer> {
  const body = JSON.stringify({ username: api.username, password: api.password });
  const outcome = await context.fetch(`${api.base_url}${P_SERIES_PATH}/get_token`, jsonPost(body, P_SERIES_HEADERS), apiPolicy(api));
  const json = answerJson(outcome) as { errcode?: unknown; errmsg?: unknown; access_token?: unknown; access_token_expire_time?: unknown } | undefined;
  if (json?.errcode === 0 && typeof json.access_token === 'string' && json.access_token !== '') {
    const seconds = typeof json.access_token_expire_time === 'number' && json.access_token_expire_time > 0 ? json.access_token_expire_time : 1800;
    return { token: json.access_token, lifetimeMs: seconds * 1000 };
  }
  if (json && typeof json.errcode === 'number') {
    const said = typeof json.errmsg === 'string' && json.errmsg !== '' ? ` ${json.errmsg}` : '';
    return { error: `the Yeastar API refused the token request (errcode ${json.errcode}${said}; check sources.yeastar.api)`, refused: true };
  }
  return { error: `the Yeastar API token request failed: ${unexpected(outcome)}`, refused: false };
}

/**
 * The PBX the integrator configured may be on the LAN; its address is allowed for these requests.
 * An API answer is small; a file keeps the archive's size limit.
 */
export function apiPolicy(api: YeastarApiConfig, forFile = false) {
  const hosts = { allowedHosts: [new URL(api.base_url).hostname], allowPrivate: true };
  return forFile ? hosts : { ...hosts, maxBytes: 64 * 1024 };
}

export function jsonPost(body: string, headers: Record<string, string> = {}) {
  return { method: 'POST' as const, body, headers: { ...headers, 'content-type': 'application/json' }, explain: true };
}

/** What came back instead of the JSON expected, briefly. */
export function unexpected(outcome: FetchOutcome): string {
  if (!outcome.ok) return outcome.reason;
  return `an answer that is not the API's JSON (${outcome.contentType ?? 'no content type'}, ${outcome.bytes.length} bytes)`;
}

function nowMs(context: TokenContext): number {
  return (context.deps.now ?? (() => new Date()))().getTime();
}
