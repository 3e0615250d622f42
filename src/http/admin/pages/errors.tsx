/**
 * The console's error pages: refused forms (403), unknown pages and ids (404), and failures
 * (500, with the request id to find it in the logs — never the error itself).
 * @module
 */
import type { Context } from 'hono';
import type { AdminEnv } from '../core/env';
import { render } from '../core/layout';

export function forbiddenPage(c: Context<AdminEnv>, why: string) {
  return render(
    c,
    { title: 'Refused', status: 403 },
    <div class="card">
      <h1>Refused</h1>
      <p>{why} Nothing was changed.</p>
      <p>
        Go back, reload the page and try again — or <a href="/admin">open the overview</a>.
      </p>
    </div>,
  );
}

export function notFoundPage(c: Context<AdminEnv>, what = 'There is no such page.') {
  return render(
    c,
    { title: 'Not found', status: 404 },
    <div class="card">
      <h1>Not found</h1>
      <p>{what}</p>
      <p>
        <a href="/admin">Overview</a>
      </p>
    </div>,
  );
}

export function failurePage(c: Context<AdminEnv>) {
  const requestId = c.get('requestId') ?? 'unknown';
  return render(
    c,
    { title: 'Error', status: 500 },
    <div class="card">
      <h1>Something went wrong</h1>
      <p>
        The page could not be shown (<code class="error-code">internal</code>). The request id identifies the failure in the service's log, on the line with the
        same code:
      </p>
      <p>
        <code>{requestId}</code>
      </p>
    </div>,
  );
}
