/**
 * GET /: where a person who opens the service's address lands — what this is and where to go:
 * the console, the API and its documentation, health, and (sandbox mode) the sandbox CRM's
 * timeline. No data, no secrets; the same for everyone.
 * @module
 */
import type { Context } from 'hono';
import { html } from 'hono/html';

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1d2430;background:#f4f6f9}
main{max-width:36rem;margin:0 auto;padding:2rem 1.25rem}h1{margin:0 0 .25rem}p{margin:.25rem 0 1rem;color:#4a5568}
ul{list-style:none;padding:0}li{background:#fff;border:1px solid #dde1e7;border-radius:8px;margin:.5rem 0}
a{display:block;padding:.75rem 1rem;color:#1659a6;text-decoration:none;font-weight:600}a:hover{background:#eef3fa}
span{display:block;font-weight:400;color:#5b6575;font-size:.9rem}`;

export function landingPage(c: Context, options: { sandbox: boolean; version: string }) {
  const link = (href: string, title: string, what: string) => html`<li><a href="${href}">${title}<span>${what}</span></a></li>`;
  return c.html(html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="robots" content="noindex" />
    <title>calltrail</title>
    <style>${STYLE}</style>
  </head>
  <body>
    <main>
      <h1>calltrail</h1>
      <p>Puts every call from the phone system on the CRM timeline, with its whole recording, exactly once. Version ${options.version}.</p>
      <ul>
        ${link('admin', 'Console', 'calls, recordings, deliveries, reconciliation, settings — sign in')}
        ${link('docs', 'API documentation', 'every endpoint, its parameters and who may call it')}
        ${options.sandbox ? link('sandbox/amocrm/', 'Sandbox CRM', 'the built-in amoCRM stand-in: the timeline your calls land on') : ''}
        ${link('health', 'Health', 'the database and the CRM connection, as JSON')}
        ${link('openapi.json', 'OpenAPI', 'the API description, for tools')}
      </ul>
    </main>
  </body>
</html>`);
}
