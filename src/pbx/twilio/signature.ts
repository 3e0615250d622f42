/**
 * Twilio's request signature: `X-Twilio-Signature` = base64(HMAC-SHA1(auth token, URL + the POST
 * parameters sorted by name, each name followed by its value)). The URL is the one configured in
 * Twilio, query included — behind a proxy that is PUBLIC_URL's origin, not ours.
 *
 * Pitfalls handled the way Twilio's own helper libraries handle them (their RequestValidator test
 * vectors are in test/fixtures/field/twilio/signature-vectors):
 * - the URL is signed as configured, spelled as written: an upper-case host or scheme, user:pass@
 *   and all — so it is taken from PUBLIC_URL's text, never from a parsed (lower-cased) URL;
 * - Twilio's back end is inconsistent about the port: the URL is tried as is, without its port,
 *   and with the scheme's standard port (":443"/":80") added;
 * - Twilio signs an apostrophe in the query unescaped, while URL parsers send "%27";
 * - a parameter sent several times contributes each distinct value once, sorted;
 * - a JSON body is not signed as parameters: the URL carries `bodySHA256`, the hex SHA-256 of the
 *   body, and the signature covers the URL alone.
 * Parameters are taken over their bytes as sent (percent-decoded), before any charset is applied.
 * @module
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { timingSafeEqual } from 'hono/utils/buffer';
import { sha256BytesHex } from '../../lib/crypto';
import { binaryString, parseFormBytes } from '../../lib/form-bytes';
import { concatBytes } from '../../lib/hmac';
import type { Verdict } from '../core/webhook';

export const SIGNATURE_HEADER = 'X-Twilio-Signature';

/** A parameter as text (our tests, Twilio's vectors) or as the bytes received. */
export type TwilioParam = readonly [name: string | Uint8Array, value: string | Uint8Array];

const bytesOf = (v: string | Uint8Array): Uint8Array => (typeof v === 'string' ? utf8ToBytes(v) : v);

/** The string Twilio signs: URL, then every parameter name and value in name order. */
export function signedPayload(url: string, params: Iterable<readonly [string, string]>): string {
  const byName = new Map<string, Set<string>>();
  for (const [name, value] of params) {
    let values = byName.get(name);
    if (!values) byName.set(name, (values = new Set()));
    values.add(value);
  }
  let data = url;
  // Plain code-unit order, which for Twilio's ASCII names is the case-sensitive "Unix" order.
  for (const name of [...byName.keys()].sort()) {
    for (const value of [...(byName.get(name) ?? [])].sort()) data += name + value;
  }
  return data;
}

/** The same over bytes: names and values in byte order (the code-point order of their UTF-8). */
export function signedPayloadBytes(url: string, params: Iterable<TwilioParam>): Uint8Array {
  const byName = new Map<string, Set<string>>();
  for (const [name, value] of params) {
    const key = binaryString(bytesOf(name));
    let values = byName.get(key);
    if (!values) byName.set(key, (values = new Set()));
    values.add(binaryString(bytesOf(value)));
  }
  let data = '';
  for (const name of [...byName.keys()].sort()) {
    for (const value of [...(byName.get(name) ?? [])].sort()) data += name + value;
  }
  return concatBytes(
    utf8ToBytes(url),
    Uint8Array.from(data, (c) => c.charCodeAt(0)),
  );
}

export function twilioSignature(authToken: string, url: string, params: Iterable<TwilioParam>): string {
  const mac = hmac(sha1, utf8ToBytes(authToken), signedPayloadBytes(url, params));
  let binary = '';
  for (const byte of mac) binary += String.fromCharCode(byte);
  return btoa(binary);
}

const URL_PARTS = /^([a-z][a-z\d+.-]*):\/\/([^/?#@]*@)?(\[[^\]]*\]|[^/?#:]*)(?::(\d*))?(.*)$/is;

/** Every spelling of the URL Twilio may have signed, starting with the URL as written. */
export function candidateUrls(url: URL | string): string[] {
  const text = typeof url === 'string' ? url : url.href;
  const spellings = [text];
  const parts = URL_PARTS.exec(text);
  if (parts) {
    const [, scheme = '', userinfo = '', host = '', port, rest = ''] = parts;
    const standard = { http: '80', https: '443' }[scheme.toLowerCase()];
    // Never lower-cased: Twilio signs the host as written, and its validators refuse another case.
    const base = `${scheme}://${userinfo}${host}`;
    spellings.push(`${base}${rest}`);
    // URL drops a standard port when it is written, so "as configured" may have had one.
    if (port === undefined && standard) spellings.push(`${base}:${standard}${rest}`);
  }
  const all = new Set<string>();
  for (const spelling of spellings) {
    all.add(spelling);
    all.add(spelling.replace(/%27/g, "'"));
    all.add(spelling.replace(/'/g, '%27'));
  }
  return [...all];
}

/**
 * Checks the header against the auth token. `authTokens` may hold two tokens separated by a comma
 * (the primary and the secondary while Twilio rotates them).
 */
export async function verifyTwilioSignature(
  header: string | undefined,
  url: URL | string,
  params: readonly TwilioParam[],
  authTokens: string,
): Promise<Verdict> {
  if (!header) return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` };
  if (!/^[A-Za-z0-9+/]{27}=$/.test(header.trim())) {
    return { ok: false, reason: `malformed ${SIGNATURE_HEADER} header: expected base64 of an HMAC-SHA1` };
  }
  const tokens = authTokens
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  for (const token of tokens) {
    for (const candidate of candidateUrls(url)) {
      if (await timingSafeEqual(header.trim(), twilioSignature(token, candidate, params))) return { ok: true };
    }
  }
  return { ok: false, reason: `${SIGNATURE_HEADER} does not match this URL and body (is PUBLIC_URL the URL configured in Twilio?)` };
}

/**
 * A request as received: a form body is signed by its parameters; a body whose URL carries
 * `bodySHA256` (JSON) by that hash, and the signature covers the URL alone.
 */
export async function verifyTwilioRequest(header: string | undefined, url: string, body: Uint8Array, authTokens: string): Promise<Verdict> {
  const bodyHash = bodySha256Of(url);
  if (bodyHash === null) return verifyTwilioSignature(header, url, parseFormBytes(body), authTokens);
  const signature = await verifyTwilioSignature(header, url, [], authTokens);
  if (!signature.ok) return signature;
  if (!(await timingSafeEqual(bodyHash.toLowerCase(), sha256BytesHex(body)))) {
    return { ok: false, reason: 'the body does not match the bodySHA256 of the URL' };
  }
  return { ok: true };
}

function bodySha256Of(url: string): string | null {
  const query = url.indexOf('?');
  if (query < 0) return null;
  return new URLSearchParams(url.slice(query + 1).replace(/#.*$/, '')).get('bodySHA256');
}
