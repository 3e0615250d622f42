/**
 * mod_json_cdr posts one leg's CDR in one of three encodings (its "encode" parameter):
 * - true (default): `Content-Type: application/x-www-form-urlencoded`, body `cdr=<URL-encoded JSON>`;
 * - base64: `Content-Type: application/x-www-form-base64-encoded`, body `cdr=<base64 JSON>` — the
 *   base64 is not URL-encoded, so a "+" in it is a "+", not a space;
 * - false: `Content-Type: application/json`, the JSON itself.
 * The body is recognised by its content, the content type only breaks ties, so a replay or a
 * relay that changed the header still reads.
 * @module
 */
import { InvalidPayloadError } from '../core/parse';

export function cdrJsonText(raw: string, contentType: string | undefined): string {
  const body = raw.trim();
  if (body.startsWith('{')) return body;
  if (!body.startsWith('cdr=')) {
    throw new InvalidPayloadError(['body: expected a mod_json_cdr post: JSON, or cdr=<URL-encoded or base64 JSON>']);
  }
  const value = body.slice(4);
  const base64First = /base64/i.test(contentType ?? '');
  const attempts = base64First ? [fromBase64, fromForm] : [fromForm, fromBase64];
  for (const attempt of attempts) {
    const text = attempt(value);
    if (text?.trimStart().startsWith('{')) return text;
  }
  throw new InvalidPayloadError(['cdr: expected URL-encoded or base64 JSON']);
}

function fromForm(value: string): string | null {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

function fromBase64(value: string): string | null {
  // A relay that URL-decoded the body turned "+" into " "; one that encoded it left "%2B".
  const b64 = (value.includes('%') ? (fromForm(value) ?? value) : value).replace(/ /g, '+').replace(/\s/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return null;
  try {
    const binary = atob(b64);
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}
