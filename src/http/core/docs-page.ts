/**
 * GET /docs: the OpenAPI document rendered as one self-contained HTML page (no CDN, no script),
 * so it works in a call centre's closed network and on Workers alike. Descriptions and summaries
 * are Markdown (OpenAPI's CommonMark), rendered by ./markdown with raw HTML escaped.
 * @module
 */
import { html, raw } from 'hono/html';
import { markdownBlock, markdownInline } from './markdown';

interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: unknown }[];
  requestBody?: { content?: Record<string, { schema?: unknown; example?: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
}

interface Document {
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** A description as HTML blocks, in a `.md` box. */
const md = (text: string | undefined) => (text ? html`<div class="md">${raw(markdownBlock(text))}</div>` : '');
/** A summary (one line) as inline HTML. */
const mdInline = (text: string | undefined, links = true) =>
  text ? html`<span class="md">${raw(links ? markdownInline(text) : markdownInline(text).replace(/<\/?a\b[^>]*>/g, ''))}</span>` : '';

export function renderDocsPage(doc: Document) {
  const operations = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ path, method, op: item[method] as Operation })),
  );
  const anchor = (method: string, path: string) => `${method}-${path.replace(/[^a-z0-9]+/gi, '-')}`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${doc.info.title} API</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1d2430; background: #f7f8fa; }
  header, main { max-width: 60rem; margin: 0 auto; padding: 1rem 1.25rem; }
  header { border-bottom: 1px solid #dde1e7; }
  nav a { display: block; text-decoration: none; color: inherit; padding: .1rem 0; }
  section { background: #fff; border: 1px solid #dde1e7; border-radius: 8px; padding: .75rem 1rem; margin: 1rem 0; }
  h2 { font-size: 1.05rem; margin: .2rem 0; } code, pre { font: 13px/1.4 ui-monospace, monospace; }
  pre { background: #f1f3f6; padding: .6rem; border-radius: 6px; overflow-x: auto; max-height: 28rem; }
  .m { display: inline-block; min-width: 3.6rem; font-weight: 700; text-transform: uppercase; }
  .get { color: #1769aa; } .post { color: #1d7a35; } .delete { color: #b3261e; }
  table { border-collapse: collapse; } td, th { text-align: left; padding: .15rem .6rem .15rem 0; vertical-align: top; }
  details summary { cursor: pointer; }
  .md > :first-child { margin-top: 0; } .md > :last-child { margin-bottom: 0; } .md ul, .md ol { padding-left: 1.3rem; }
  .md code { background: #f1f3f6; padding: 0 .2rem; border-radius: 3px; } td .md p { margin: 0; } div.md { margin: .5rem 0; } td div.md { margin: 0; }
  /* A phone: wide tables and long paths stay inside the screen. */
  table { display: block; max-width: 100%; overflow-x: auto; } code { overflow-wrap: anywhere; }
</style>
</head>
<body>
<header>
  <h1>${doc.info.title} <small>${doc.info.version}</small></h1>
  ${md(doc.info.description)}
  <p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p>
  <nav>${operations.map(
    ({ path, method, op }) =>
      html`<a href="#${anchor(method, path)}"><span class="m ${method}">${method}</span> <code>${path}</code> — ${mdInline(op.summary, false)}</a>`,
  )}</nav>
</header>
<main>
${operations.map(
  ({ path, method, op }) => html`<section id="${anchor(method, path)}">
  <h2><span class="m ${method}">${method}</span> <code>${path}</code></h2>
  <p><strong>${mdInline(op.summary)}</strong>${op.security?.length ? html` · requires <code>Authorization: Bearer ADMIN_TOKEN</code>` : ''}</p>
  ${md(op.description)}
  ${
    op.parameters?.length
      ? html`<table><tr><th>parameter</th><th>in</th><th>required</th><th>description</th></tr>${op.parameters.map(
          (p) => html`<tr><td><code>${p.name}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : ''}</td><td>${md(p.description)}</td></tr>`,
        )}</table>`
      : ''
  }
  ${Object.entries(op.requestBody?.content ?? {}).map(
    ([type, c]) => html`<details${c.example ? raw(' open') : ''}><summary>Request body (${type})</summary>
      ${c.example ? html`<p>Example</p><pre>${json(c.example)}</pre>` : ''}
      <p>Schema</p><pre>${json(c.schema)}</pre></details>`,
  )}
  <details><summary>Responses</summary><table>${Object.entries(op.responses ?? {}).map(
    ([status, r]) =>
      html`<tr><td><code>${status}</code></td><td>${md(r.description)}${Object.values(r.content ?? {}).map(
        (c) => html`<pre>${json(c.schema)}</pre>`,
      )}</td></tr>`,
  )}</table></details>
</section>`,
)}
${
  doc.components?.schemas
    ? html`<section><h2>Schemas</h2>${Object.entries(doc.components.schemas).map(
        ([name, schema]) => html`<details id="schema-${name}"><summary><code>${name}</code></summary><pre>${json(schema)}</pre></details>`,
      )}</section>`
    : ''
}
</main>
</body>
</html>`;
}
