import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { renderDocsPage } from './docs-page';
import { safeHref } from './markdown';

/** A small app whose one route's texts carry Markdown and HTML, served at /docs like the real one. */
function app() {
  const a = new OpenAPIHono();
  const route = createRoute({
    method: 'post',
    path: '/v1/things/{id}',
    summary: 'Make a `thing`',
    description: [
      'Send `Authorization: Bearer <secret>` and a **JSON** body; see [the guide](https://example.com/guide).',
      '',
      '- one `item`',
      '- two',
      '',
      'Not allowed: <img src=x onerror="alert(1)"> and <script>alert(2)</script> and [a trap](javascript:alert(3)).',
    ].join('\n'),
    request: { params: z.object({ id: z.string().openapi({ description: 'the `id` of the <b>thing</b>' }) }) },
    responses: { 200: { description: 'The thing, as `JSON`' } },
  });
  a.openapi(route, (c) => c.json({}, 200));
  a.get('/docs', (c) =>
    c.html(
      renderDocsPage(a.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'test', version: '1', description: 'Use **calltrail** `v1`.' } }) as never),
    ),
  );
  return a;
}

/** The inner HTML of every rendered description and summary (`.md` boxes). */
function descriptions(page: string): string[] {
  return [...page.matchAll(/<(div|span) class="md">([\s\S]*?)<\/\1>/g)].map((m) => m[2] as string);
}

describe('/docs renders the OpenAPI Markdown', () => {
  it('turns code spans, bold, lists, links and paragraphs into HTML, with no literal backticks left', async () => {
    const res = await app().request('/docs');
    expect(res.status).toBe(200);
    const page = await res.text();
    const boxes = descriptions(page);
    // info, nav summary, section summary, description, parameter, response
    expect(boxes.length).toBeGreaterThanOrEqual(6);
    for (const box of boxes) expect(box).not.toContain('`');
    expect(page).toContain('<code>Authorization: Bearer &lt;secret&gt;</code>');
    expect(page).toContain('<strong>JSON</strong>');
    expect(page).toContain('<strong>calltrail</strong> <code>v1</code>');
    expect(page).toContain('<a href="https://example.com/guide">the guide</a>');
    expect(page).toMatch(/<ul>\s*<li>one <code>item<\/code><\/li>\s*<li>two<\/li>\s*<\/ul>/);
    expect(page).toContain('Make a <code>thing</code>');
    expect(page).toContain('the <code>id</code> of the');
    expect(page).toContain('The thing, as <code>JSON</code>');
    expect(page).toMatch(/<p>Send [\s\S]*<\/p>\s*<ul>/);
  });

  it('escapes HTML written in a description and drops script links', async () => {
    const page = await (await app().request('/docs')).text();
    expect(page).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    expect(page).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(page).toContain('&lt;b&gt;thing&lt;/b&gt;');
    expect(page).not.toMatch(/<img|<script|<b>|javascript:/i);
    expect(page).toContain('and a trap.');
  });

  it('keeps only http(s), mailto and relative link targets', () => {
    expect(safeHref('https://example.com/x')).toBe('https://example.com/x');
    expect(safeHref('/docs#x')).toBe('/docs#x');
    expect(safeHref('mailto:ops@example.com')).toBe('mailto:ops@example.com');
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref(' JaVa\tScript:alert(1)')).toBeNull();
    expect(safeHref('data:text/html,x')).toBeNull();
  });
});
