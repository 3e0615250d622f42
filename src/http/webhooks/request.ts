/**
 * A webhook request as the PBX sent it: the body's bytes (read once), the headers, and the URL as
 * the PBX called it — behind a proxy the service sees its own host, so the origin and any path
 * prefix come from PUBLIC_URL. Then the body read as text in the source's charset.
 * @module
 */
import type { Context } from 'hono';
import { decodeBody, type CharsetSetting } from '../../lib/charset';
import type { DecodedWebhookRequest, WebhookRequest } from '../../pbx/core/webhook';

/** The body's bytes, read once (Hono keeps them for a route that reads them again). */
export async function requestBytes(c: Context): Promise<Uint8Array> {
  return new Uint8Array(await c.req.arrayBuffer());
}

export async function receivedRequest(c: Context, publicUrl: string): Promise<WebhookRequest> {
  return {
    body: await requestBytes(c),
    headers: c.req.raw.headers,
    method: c.req.method,
    publicUrl: publicRequestUrl(publicUrl, c.req.url),
    publicUrlText: publicRequestUrlText(publicUrl, c.req.url),
    query: new URL(c.req.url).searchParams,
  };
}

export function decodedRequest(request: WebhookRequest, charset: CharsetSetting, form: boolean): DecodedWebhookRequest {
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
