/**
 * The console's page frame: one inline stylesheet and (when a page needs it) one inline script,
 * both admitted by this response's CSP nonce; the nav bar; the logout form with its CSRF token.
 * hono/jsx escapes every value it renders.
 * @module
 */
import type { Context } from 'hono';
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AdminEnv } from './env';
import { notice } from './notices';
import { CSRF_FIELD } from './session';
import { STYLE } from './style';
import { mayOpenPage } from '../../core/access';

export type NavKey =
  | 'overview'
  | 'live'
  | 'calls'
  | 'runs'
  | 'agents'
  | 'crm'
  | 'widget'
  | 'config'
  | 'audit'
  | 'recording-policy'
  | 'users'
  | 'tokens'
  | 'accounts';

const NAV: [NavKey, string, string][] = [
  ['overview', '/admin', 'Overview'],
  ['live', '/admin/live', 'Live'],
  ['calls', '/admin/calls', 'Calls'],
  ['runs', '/admin/runs', 'Reconciliation'],
  ['agents', '/admin/agents', 'Agents'],
  ['crm', '/admin/crm', 'CRM'],
  ['widget', '/admin/widget', 'Widget'],
  ['config', '/admin/config', 'Config'],
  ['audit', '/admin/audit', 'Audit'],
  ['users', '/admin/users', 'Users'],
  ['tokens', '/admin/tokens', 'API tokens'],
  ['recording-policy', '/admin/recording-policy', 'Recording policy'],
  ['accounts', '/admin/accounts', 'Accounts'],
];

export interface PageOptions {
  title: string;
  nav?: NavKey;
  status?: ContentfulStatusCode;
  /** A page's own script (a constant, never built from data). */
  script?: string;
  /** Go on to this URL at once (`<meta http-equiv="refresh">`): a navigation the page itself starts. */
  refresh?: string;
}

export const CsrfField = ({ token }: { token: string | undefined }) => <input type="hidden" name={CSRF_FIELD} value={token ?? ''} />;

export const Notice = ({ code }: { code: string | undefined }) => {
  const n = notice(code);
  return n ? (
    <p class={`notice ${n.kind}`} role="status">
      {n.text}
      {n.code ? (
        <>
          {' '}
          <code class="error-code">{n.code}</code>
        </>
      ) : null}
    </p>
  ) : null;
};

/** A filter form's day range: from, and to (inclusive), as `<input type="date">`. */
export const DateRange = ({ from, to, required = false }: { from: string | undefined; to: string | undefined; required?: boolean }) => (
  <>
    <label>
      From (date)
      <input type="date" name="from" value={from} required={required} />
    </label>
    <label>
      To (date, inclusive)
      <input type="date" name="to" value={to} required={required} />
    </label>
  </>
);

export const Badge = ({ value }: { value: string | null | undefined }) => <span class={`badge s-${value ?? 'none'}`}>{value ?? '—'}</span>;

export async function render(c: Context<AdminEnv>, options: PageOptions, body: Child): Promise<Response> {
  const nonce = c.get('nonce');
  const session = c.get('session');
  const page = (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        {options.refresh ? <meta http-equiv="refresh" content={`0;url=${options.refresh}`} /> : null}
        <title>{`${options.title} · calltrail admin`}</title>
        <style nonce={nonce}>{raw(STYLE)}</style>
      </head>
      <body>
        <header class="top">
          <div class="in">
            <a class="brand" href="/admin">
              calltrail
            </a>
            {session ? (
              <>
                <nav class="main" aria-label="Console">
                  {NAV.filter(([key, href]) => mayOpenPage(c.get('actor')?.role ?? null, href) && (key !== 'accounts' || c.get('instance'))).map(
                    ([key, href, label]) => (
                      <a href={href} aria-current={options.nav === key ? 'page' : undefined}>
                        {label}
                      </a>
                    ),
                  )}
                </nav>
                <form method="post" action="/admin/logout">
                  <CsrfField token={c.get('csrf')} />
                  <button type="submit">Log out</button>
                </form>
              </>
            ) : null}
          </div>
        </header>
        <main>{body}</main>
        {options.script ? <script nonce={nonce}>{raw(options.script)}</script> : null}
      </body>
    </html>
  );
  return c.html(`<!doctype html>${await page.toString()}`, options.status ?? 200);
}
