/**
 * Click-to-call through the Yeastar PBX's own API (`sources.yeastar.api`), in its two families:
 * - P-Series, OpenAPI v1.0 (https://help.yeastar.com/en/p-series-appliance-edition/developer-guide/make-a-call.html,
 *   https://help.yeastar.com/en/p-series/developer-guide/get-access-token.html): `POST /openapi/v1.0/get_token`
 *   `{username: Client ID, password: Client Secret}` → `{errcode:0, access_token, access_token_expire_time}`,
 *   then `POST /openapi/v1.0/call/dial?access_token=…` `{caller: extension, callee: customer, auto_answer, dial_permission?}`
 *   → `{errcode:0, call_id}`; every request with `User-Agent: OpenAPI`. errcode 10004 (TOKEN EXPIRED)
 *   gets a new token and one more try (https://help.yeastar.com/en/p-series/developer-guide/error-code-and-error-message.html).
 * - S-Series / Cloud PBX, API v2.0.0 (https://help.yeastar.com/en/s-series-developer-v2/api-v2/api-interfaces-overview.html;
 *   the request as v1.1.0 documents it: https://help.yeastar.com/en/cloudpbx-developer/api/api_make_an_outbound_call.html):
 *   `POST /api/v2.0.0/login` `{username, password: md5 hex}` → `{status:"Success", token}`, then
 *   `POST /api/v2.0.0/call/dial_outbound?token=…` `{extid, outto, autoanswer}` → `{status:"Success", callid}`
 *   or `{status:"Failed", errno}` (https://help.yeastar.com/en/s-series-developer-v2/api-v2/api_error_code.html);
 *   errno 20004–20006 (no such / blank / timed-out token) gets a new login and one more try.
 * Tokens are kept per PBX until shortly before they lapse. A refused login is not retried for 10
 * minutes: five in a row lock calltrail's address out of the API (recording downloads included).
 * The rep's extension rings first; the customer's number goes as digits through the PBX's outbound
 * routes, so a number the route or the extension's permission refuses fails after this answer
 * (P-Series event 30015), not here.
 * @module
 */
import { md5 } from '@noble/hashes/legacy.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { type OriginateDeps, type OriginateRequest, type OriginateResult, type PbxOriginator, refused } from '../core/originate';
import type { YeastarApiConfig } from './api-config';
import { P_SERIES_HEADERS, P_SERIES_PATH, S_SERIES_PATH } from './api';
import type { YeastarConfig } from './config';

const TIMEOUT_MS = 10_000;
const MARGIN_MS = 60_000;
const S_SERIES_LIFETIME_MS = 30 * 60_000;
const LOGIN_LOCKOUT_MS = 10 * 60_000;
const P_TOKEN_EXPIRED = 10004;
const S_TOKEN_ERRNOS = new Set(['20004', '20005', '20006']);

type YeastarOriginateDeps = OriginateDeps<unknown, { yeastar: YeastarConfig }>;
type ClickToCall = YeastarConfig['click_to_call'];
/** One request's outcome: the PBX's JSON (any status), or no answer. */
type Answer = { status: number; json: Record<string, unknown> | undefined } | { unreachable: true };
type Dial = OriginateResult | { stale: true };

const UNREACHABLE = refused('the Yeastar PBX could not be reached; try again in a minute', true);

/** Tokens of the PBXs this process dials through, and refused logins. */
export class YeastarDialTokens {
  private readonly held = new Map<string, { token: string; expiresAt: number }>();
  private readonly refusedUntil = new Map<string, number>();

  async token(api: YeastarApiConfig, deps: YeastarOriginateDeps, fresh: boolean): Promise<{ token: string } | OriginateResult> {
    const key = `${api.edition}|${api.base_url}|${api.username}`;
    const now = (deps.now ?? (() => new Date()))().getTime();
    if (fresh) this.held.delete(key);
    const held = this.held.get(key);
    if (held && held.expiresAt - MARGIN_MS > now) return { token: held.token };
    if ((this.refusedUntil.get(key) ?? 0) > now) return LOGIN_REFUSED;
    const login = api.edition === 's-series' ? await sSeriesLogin(api, deps) : await pSeriesToken(api, deps);
    if ('status' in login) {
      if (login === LOGIN_REFUSED) this.refusedUntil.set(key, now + LOGIN_LOCKOUT_MS);
      return login;
    }
    this.refusedUntil.delete(key);
    this.held.set(key, { token: login.token, expiresAt: now + login.lifetimeMs });
    return { token: login.token };
  }
}

const LOGIN_REFUSED = refused("the Yeastar PBX refused calltrail's API login: ask the admin to check sources.yeastar.api", false);

export function yeastarDialer(tokens = new YeastarDialTokens()): PbxOriginator<YeastarOriginateDeps> {
  return {
    source: 'yeastar',
    enabled: (deps) => deps.config.sources.yeastar.api !== undefined && deps.config.sources.yeastar.click_to_call.enabled,
    enableHint: 'configure sources.yeastar.api (the PBX address and API credentials)',
    async originate(request, deps) {
      const { api, click_to_call: settings } = deps.config.sources.yeastar;
      if (!api) return refused('Yeastar click-to-call is not set up (sources.yeastar.api)', false);
      for (const fresh of [false, true]) {
        const held = await tokens.token(api, deps, fresh);
        if ('status' in held) return held;
        const dial =
          api.edition === 's-series'
            ? await sSeriesDial(api, held.token, request, settings, deps)
            : await pSeriesDial(api, held.token, request, settings, deps);
        if (!('stale' in dial)) return dial;
      }
      return refused("the Yeastar PBX refused calltrail's API token twice; try again in a minute", true);
    },
  };
}

export const yeastarOriginator = yeastarDialer();

async function post(url: string, body: object, headers: Record<string, string>, deps: YeastarOriginateDeps): Promise<Answer> {
  try {
    const response = await (deps.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await response.text().catch(() => '');
    let json: Record<string, unknown> | undefined;
    try {
      const value: unknown = JSON.parse(text);
      json = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, json };
  } catch {
    return { unreachable: true };
  }
}

type Login = { token: string; lifetimeMs: number } | OriginateResult;

async function pSeriesToken(api: YeastarApiConfig, deps: YeastarOriginateDeps): Promise<Login> {
  const answer = await post(`${api.base_url}${P_SERIES_PATH}/get_token`, { username: api.username, password: api.password }, P_SERIES_HEADERS, deps);
  if ('unreachable' in answer) return UNREACHABLE;
  const json = answer.json;
  if (json?.errcode === 0 && typeof json.access_token === 'string' && json.access_token !== '') {
    const seconds = typeof json.access_token_expire_time === 'number' && json.access_token_expire_time > 0 ? json.access_token_expire_time : 1800;
    return { token: json.access_token, lifetimeMs: seconds * 1000 };
  }
  if (json && typeof json.errcode === 'number' && json.errcode > 0) return LOGIN_REFUSED;
  return refused(`the Yeastar PBX answered its token request unexpectedly (HTTP ${answer.status}); try again in a minute`, true);
}

async function sSeriesLogin(api: YeastarApiConfig, deps: YeastarOriginateDeps): Promise<Login> {
  const body = { ...api.login_fields, username: api.username, password: bytesToHex(md5(utf8ToBytes(api.password))) };
  const answer = await post(`${api.base_url}${S_SERIES_PATH}/login`, body, {}, deps);
  if ('unreachable' in answer) return UNREACHABLE;
  const json = answer.json;
  if (json?.status === 'Success' && typeof json.token === 'string' && json.token !== '') return { token: json.token, lifetimeMs: S_SERIES_LIFETIME_MS };
  if (json?.status === 'Failed') return LOGIN_REFUSED;
  return refused(`the Yeastar PBX answered its login unexpectedly (HTTP ${answer.status}); try again in a minute`, true);
}

const digits = (value: string) => value.replace(/\D/g, '');

async function pSeriesDial(api: YeastarApiConfig, token: string, request: OriginateRequest, settings: ClickToCall, deps: YeastarOriginateDeps): Promise<Dial> {
  const body = {
    caller: request.extension,
    callee: digits(request.phone),
    auto_answer: settings.auto_answer ? 'yes' : 'no',
    ...(settings.dial_permission ? { dial_permission: settings.dial_permission } : {}),
  };
  const url = `${api.base_url}${P_SERIES_PATH}/call/dial?${new URLSearchParams({ access_token: token })}`;
  const answer = await post(url, body, P_SERIES_HEADERS, deps);
  if ('unreachable' in answer) return UNREACHABLE;
  const errcode = answer.json?.errcode;
  if (errcode === 0) return { status: 'requested', vendorRef: typeof answer.json?.call_id === 'string' ? answer.json.call_id : null };
  if (errcode === P_TOKEN_EXPIRED) return { stale: true };
  if (typeof errcode !== 'number') return refused(`the Yeastar PBX answered unexpectedly (HTTP ${answer.status}); try again in a minute`, true);
  return pSeriesRefusal(errcode, request.extension);
}

/** P-Series errcodes, in words for the rep. */
export function pSeriesRefusal(errcode: number, extension: string): OriginateResult {
  if (errcode === 60001 || errcode === 40002 || errcode === 40001) {
    return refused(`the Yeastar PBX refused the call: extension ${extension} or the number is not valid there (errcode ${errcode})`, false);
  }
  if (errcode === 10005 || errcode === 70004 || errcode === 70087 || errcode === 70123) {
    return refused(`the Yeastar PBX refused calltrail's API access (errcode ${errcode}): ask the admin to check the PBX's API settings`, false);
  }
  if (errcode === 10009) return refused('the Yeastar PBX refused the call: the extension may not make it (permission or a disabled feature)', false);
  return refused(`the Yeastar PBX could not place the call (errcode ${errcode}); try again in a minute`, true);
}

async function sSeriesDial(api: YeastarApiConfig, token: string, request: OriginateRequest, settings: ClickToCall, deps: YeastarOriginateDeps): Promise<Dial> {
  const body = { extid: request.extension, outto: digits(request.phone), autoanswer: settings.auto_answer ? 'yes' : 'no' };
  const url = `${api.base_url}${S_SERIES_PATH}/call/dial_outbound?${new URLSearchParams({ token })}`;
  const answer = await post(url, body, {}, deps);
  if ('unreachable' in answer) return UNREACHABLE;
  const json = answer.json;
  if (json?.status === 'Success') return { status: 'requested', vendorRef: typeof json.callid === 'string' ? json.callid : null };
  if (json?.status !== 'Failed') return refused(`the Yeastar PBX answered unexpectedly (HTTP ${answer.status}); try again in a minute`, true);
  const errno = String(json.errno ?? '');
  if (S_TOKEN_ERRNOS.has(errno)) return { stale: true };
  return sSeriesRefusal(errno, request.extension);
}

/** S-Series errnos, in words for the rep. */
export function sSeriesRefusal(errno: string, extension: string): OriginateResult {
  switch (errno) {
    case '10006':
      return refused(`the Yeastar PBX has no extension ${extension}`, false);
    case '10008':
      return refused(`your extension ${extension} is busy; try again when it is free`, true);
    case '10024':
      return refused(`extension ${extension} may not call outside numbers on the Yeastar PBX`, false);
    case '10011':
    case '10031':
      return refused('the Yeastar PBX does not accept this number (no outbound route matches it)', false);
    default:
      return refused(`the Yeastar PBX could not place the call (errno ${errno || '?'}); try again in a minute`, true);
  }
}
