/**
 * Zadarma's REST API (https://api.zadarma.com): requests signed with
 * `Authorization: <key>:<base64(hex(HMAC-SHA1(secret, path + query + md5(query))))>`, where query
 * is the parameters sorted by name and encoded like PHP's http_build_query (RFC 1738). The
 * parameters include `format=json`, as Zadarma's own clients send it.
 * @module
 */
import { md5 } from '@noble/hashes/legacy.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { jsonOrUndefined, vendorApi } from '../core/vendor-api';
import { zadarmaSignature } from './signature';

export const ZADARMA_API = 'https://api.zadarma.com';

export interface ZadarmaCredentials {
  key: string;
  secret: string;
}

/** PHP's urlencode: only letters, digits and `-_.` stay; a space becomes `+`. */
function phpEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** The query string Zadarma signs and reads: sorted by name, PHP-encoded. */
export function phpQuery(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .sort()
    .map((name) => `${phpEncode(name)}=${phpEncode(params[name] ?? '')}`)
    .join('&');
}

/** The Authorization header of a request to `method` (its path, e.g. "/v1/pbx/record/request/"). */
export function apiAuthorization(credentials: ZadarmaCredentials, method: string, query: string): string {
  const md5Hex = bytesToHex(md5(utf8ToBytes(query)));
  return `${credentials.key}:${zadarmaSignature(credentials.secret, `${method}${query}${md5Hex}`)}`;
}

export interface ZadarmaAnswer {
  status: number;
  /** The parsed JSON body; undefined when it was not JSON. */
  data: unknown;
  /** The start of the body, for error messages. */
  text: string;
}

// Zadarma explains failures in the body; every status is read by the caller.
const http = vendorApi(ZADARMA_API, 15_000, { accept: 'application/json' });

export interface ZadarmaGetOptions {
  /** How long to wait for the answer (default 15 s; the statistics take longer). */
  timeoutMs?: number;
  /** Reads the body (default JSON.parse); a method whose numbers must stay exact reads its own. */
  parse?: (body: string) => unknown;
}

export async function zadarmaGet(
  credentials: ZadarmaCredentials,
  method: string,
  params: Readonly<Record<string, string>>,
  options: ZadarmaGetOptions = {},
): Promise<ZadarmaAnswer> {
  const query = phpQuery({ ...params, format: 'json' });
  const response = await http.get<string>(`${method}?${query}`, {
    headers: { authorization: apiAuthorization(credentials, method, query) },
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
  });
  const text = typeof response.data === 'string' ? response.data : '';
  return { status: response.status, data: jsonOrUndefined(text, options.parse), text: text.slice(0, 200) };
}
