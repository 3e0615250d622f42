/**
 * /a/<slug>/…: the added accounts, each its own app. The request goes to the account's app with
 * the prefix taken off; the answer comes back with it put on again where the app wrote a path of
 * its own — redirects, the console's links and forms, its cookies' paths — so the console of one
 * account never links into another's, and its session cookie is sent to it alone.
 * @module
 */
import type { Context } from 'hono';
import type { AccountDirectory } from '../../accounts/directory';
import { errorResponse } from './errors';

const PREFIXED_ATTRIBUTE = /(\s(?:href|action|src|formaction)=")\/(?!\/)/g;

/** Puts `prefix` before the app's own paths in an answer. */
export async function prefixResponse(response: Response, prefix: string): Promise<Response> {
  const headers = new Headers(response.headers);
  const location = headers.get('location');
  if (location?.startsWith('/') && !location.startsWith('//')) headers.set('location', `${prefix}${location}`);
  const cookies = response.headers.getSetCookie();
  if (cookies.length) {
    headers.delete('set-cookie');
    for (const cookie of cookies)
      headers.append(
        'set-cookie',
        cookie.replace(/;\s*path=\//i, (m) => `${m.slice(0, -1)}${prefix}/`),
      );
  }
  if (!(headers.get('content-type') ?? '').startsWith('text/html') || !response.body) {
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }
  const html = (await response.text()).replace(PREFIXED_ATTRIBUTE, `$1${prefix}/`);
  headers.delete('content-length');
  return new Response(html, { status: response.status, statusText: response.statusText, headers });
}

async function dispatch(c: Context, accounts: AccountDirectory): Promise<Response> {
  const slug = c.req.param('slug') as string;
  const prefix = `/a/${slug}`;
  const url = new URL(c.req.url);
  const rest = url.pathname.slice(prefix.length);
  if (!rest) return c.redirect(`${prefix}/admin`, 302);
  const found = await accounts.runtime(slug);
  if ('refused' in found) {
    return errorResponse(c, found.refused === 'not_found' ? 'not_found' : 'account_unavailable', found.message);
  }
  url.pathname = rest;
  const raw = c.req.raw;
  const forwarded = new Request(url, {
    method: raw.method,
    headers: raw.headers,
    body: raw.body,
    signal: raw.signal,
    redirect: 'manual',
    // A streamed body (Node's fetch needs to be told it is one-way).
    ...(raw.body ? { duplex: 'half' } : {}),
  } as RequestInit);
  return prefixResponse(await found.fetch(forwarded), prefix);
}

/** Mounts the accounts first: their requests pass none of account 1's middleware. */
export function mountAccounts(app: { all(path: string, handler: (c: Context) => Promise<Response>): unknown }, accounts: AccountDirectory): void {
  app.all('/a/:slug', (c) => dispatch(c, accounts));
  app.all('/a/:slug/*', (c) => dispatch(c, accounts));
}
