/**
 * Request templates into HTTP requests. Every string in a request — path, query values, header
 * values, body leaves — is a Liquid template (config/template.ts). The body is a JSON structure,
 * rendered leaf by leaf and then serialized with JSON.stringify, so a value is escaped by JSON
 * itself, never by the template: a name with a quote or a newline cannot break the body.
 *
 * A leaf that is exactly one `{{ expression }}` keeps its value's type (a number stays a number,
 * null stays null, a list stays a list); any other leaf is text.
 * @module
 */
import type * as z from 'zod';
import { compileTemplate, evaluateExpression, renderTemplateWith, TemplateError } from '../../config/template';
import type { RequestTemplate } from './config';

/** One `{{ … }}` and nothing around it. */
const SINGLE_EXPRESSION = /^\{\{-?\s*([^{}]+?)\s*-?\}\}$/;

export interface RenderedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** The JSON body, serialized; undefined: no body. */
  body?: string;
}

/** zod check of one template string over `variables`. */
export function checkTemplate(variables: readonly string[]) {
  return (text: string, ctx: z.RefinementCtx) => {
    const problem = templateProblem(text, variables);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  };
}

/** zod check of every string leaf of a body, each issue at its leaf's path. */
export function checkBody(variables: readonly string[]) {
  return (body: unknown, ctx: z.RefinementCtx) => {
    for (const [path, text] of stringLeaves(body, [])) {
      const problem = templateProblem(text, variables);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, path });
    }
  };
}

function templateProblem(text: string, variables: readonly string[]): string | null {
  try {
    compileTemplate(text, variables);
    return null;
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    return error.message;
  }
}

function stringLeaves(value: unknown, path: (string | number)[]): [(string | number)[], string][] {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringLeaves(v, [...path, i]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, [...path, k]));
  return [];
}

export interface RenderContext {
  vars: Record<string, unknown>;
  variables: readonly string[];
  timeZone: string;
}

/** A template string as text. */
export function renderText(text: string, ctx: RenderContext): string {
  return renderTemplateWith(text, ctx.vars, ctx.variables, ctx.timeZone);
}

/** A body value: string leaves rendered (typed where a leaf is one expression), the rest kept. */
export function renderValue(value: unknown, ctx: RenderContext): unknown {
  if (typeof value === 'string') {
    const single = SINGLE_EXPRESSION.exec(value);
    if (!single?.[1]) return renderText(value, ctx);
    compileTemplate(value, ctx.variables);
    return plain(evaluateExpression(single[1], ctx.vars, ctx.timeZone));
  }
  if (Array.isArray(value)) return value.map((v) => renderValue(v, ctx));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderValue(v, ctx)]));
  return value;
}

/** What JSON can carry: dates as ISO 8601, undefined as null. */
function plain(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return value;
}

/**
 * The request for these variables. `extraQuery` (pagination) is added after the template's own
 * parameters; a query value that renders empty is left out, so optional filters can be blank.
 */
export function renderRequest(baseUrl: string, template: RequestTemplate, ctx: RenderContext, extraQuery: Record<string, string> = {}): RenderedRequest {
  const path = renderText(template.path, ctx);
  const url = new URL(joinUrl(baseUrl, path));
  for (const [name, value] of Object.entries(template.query)) {
    const rendered = renderText(value, ctx);
    if (rendered !== '') url.searchParams.set(name, rendered);
  }
  for (const [name, value] of Object.entries(extraQuery)) url.searchParams.set(name, value);
  const headers = Object.fromEntries(Object.entries(template.headers).map(([k, v]) => [k.toLowerCase(), renderText(v, ctx)]));
  const out: RenderedRequest = { method: template.method, url: url.toString(), headers };
  if (template.body !== undefined) out.body = JSON.stringify(renderValue(template.body, ctx));
  return out;
}

/**
 * base_url + path with exactly one slash between them. Always joined, never replaced: the
 * credentials go to base_url's host and nowhere else, whatever a variable holds.
 */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
