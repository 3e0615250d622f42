/**
 * OpenAPI descriptions are CommonMark: this renders them to HTML for the /docs page, safely.
 * Raw HTML in a description is shown as text (escaped), never passed through; links keep only
 * http(s), mailto and relative targets; images become their alt text (the page loads nothing).
 * Text and code spans are escaped by `marked` itself. Each distinct text is rendered once.
 * @module
 */
import { Marked, type Tokens } from 'marked';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch] as string);
}

/** A link target that cannot run script: http(s), mailto, or a relative URL / fragment. */
export function safeHref(href: string): string | null {
  const trimmed = href.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed.replace(/[\u0000-\u0020]/g, ''));
  if (!scheme) return trimmed;
  return ['http', 'https', 'mailto'].includes((scheme[1] as string).toLowerCase()) ? trimmed : null;
}

const markdown = new Marked({
  gfm: true,
  async: false,
  renderer: {
    html: ({ text }: Tokens.HTML | Tokens.Tag) => escapeHtml(text),
    image: ({ text }: Tokens.Image) => escapeHtml(text),
    link({ href, title, tokens }: Tokens.Link) {
      const label = this.parser.parseInline(tokens);
      const target = safeHref(href);
      if (target === null) return label;
      return `<a href="${escapeHtml(target)}"${title ? ` title="${escapeHtml(title)}"` : ''}>${label}</a>`;
    },
  },
});

const blocks = new Map<string, string>();
const inlines = new Map<string, string>();

function cached(cache: Map<string, string>, text: string, render: (text: string) => string): string {
  let out = cache.get(text);
  if (out === undefined) {
    out = render(text);
    if (cache.size < 5000) cache.set(text, out);
  }
  return out;
}

/** Block Markdown (paragraphs, lists, code) to HTML. */
export function markdownBlock(text: string): string {
  return cached(blocks, text, (t) => (markdown.parse(t, { async: false }) as string).trim());
}

/** One line of inline Markdown (code spans, emphasis, links) to HTML, with no wrapping paragraph. */
export function markdownInline(text: string): string {
  return cached(inlines, text, (t) => markdown.parseInline(t, { async: false }) as string);
}
