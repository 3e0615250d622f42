/**
 * amoCRM's list conventions: PHP-style query filters (`filter[x][]=1&filter[x][]=2`, also
 * `filter[x]=1` and `filter[x][0]=1`), `limit` (default 50, at most 250 — more is a 400, not a
 * silent clamp) and 1-based `page`, and HAL `_links` whose `next` appears only when another page
 * exists. Links are absolute, on the origin the request came in on, so a client can follow them.
 * @module
 */
import { type FieldError, validationProblem } from './responses';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 250;

/** Every value of a list filter, whichever PHP spelling the client used. */
export function listParam(url: URL, name: string): string[] {
  const out: string[] = [];
  const indexed = new RegExp(`^${name.replace(/[[\]]/g, '\\$&')}\\[\\d*\\]$`);
  for (const [key, value] of url.searchParams) {
    if (key === name || indexed.test(key)) out.push(...value.split(',').filter((v) => v !== ''));
  }
  return out;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; response: Response };

function invalid(path: string, detail: string): { ok: false; response: Response } {
  const error: FieldError = { code: 'InvalidType', path, detail };
  return { ok: false, response: validationProblem([{ request_id: '0', errors: [error] }]) };
}

export function intList(url: URL, name: string): Parsed<number[]> {
  const values = listParam(url, name);
  const numbers = values.map(Number);
  if (numbers.some((n) => !Number.isInteger(n))) return invalid(name, 'This value should be of type int.');
  return { ok: true, value: numbers };
}

export function optionalInt(url: URL, name: string): Parsed<number | undefined> {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return { ok: true, value: undefined };
  const n = Number(raw);
  return Number.isInteger(n) ? { ok: true, value: n } : invalid(name, 'This value should be of type int.');
}

/** `filter[<field>][from]` / `[to]`, inclusive; a bare `filter[<field>]=x` means exactly x. */
export function range(url: URL, field: string): Parsed<{ from?: number; to?: number }> {
  const exact = optionalInt(url, `filter[${field}]`);
  const from = optionalInt(url, `filter[${field}][from]`);
  const to = optionalInt(url, `filter[${field}][to]`);
  if (!exact.ok) return exact;
  if (!from.ok) return from;
  if (!to.ok) return to;
  if (exact.value !== undefined) return { ok: true, value: { from: exact.value, to: exact.value } };
  return { ok: true, value: { from: from.value, to: to.value } };
}

export function inRange(value: number, r: { from?: number; to?: number }): boolean {
  return (r.from === undefined || value >= r.from) && (r.to === undefined || value <= r.to);
}

export interface Paging {
  limit: number;
  page: number;
}

export function paging(url: URL): Parsed<Paging> {
  const limit = optionalInt(url, 'limit');
  const page = optionalInt(url, 'page');
  if (!limit.ok) return limit;
  if (!page.ok) return page;
  const l = limit.value ?? DEFAULT_LIMIT;
  const p = page.value ?? 1;
  if (l < 1 || l > MAX_LIMIT) {
    const error = { code: 'OutOfRange', path: 'limit', detail: `This value should be between 1 and ${MAX_LIMIT}.` };
    return { ok: false, response: validationProblem([{ request_id: '0', errors: [error] }]) };
  }
  if (p < 1) {
    const error = { code: 'OutOfRange', path: 'page', detail: 'This value should be 1 or more.' };
    return { ok: false, response: validationProblem([{ request_id: '0', errors: [error] }]) };
  }
  return { ok: true, value: { limit: l, page: p } };
}

export function pageOf<T>(items: T[], { limit, page }: Paging): { items: T[]; hasNext: boolean } {
  const start = (page - 1) * limit;
  return { items: items.slice(start, start + limit), hasNext: items.length > start + limit };
}

function withPage(url: URL, page: number): string {
  const copy = new URL(url);
  copy.searchParams.set('page', String(page));
  return copy.toString();
}

export function pageLinks(url: URL, page: number, hasNext: boolean) {
  return {
    self: { href: withPage(url, page) },
    ...(hasNext ? { next: { href: withPage(url, page + 1) } } : {}),
  };
}

export function selfLink(url: URL, path: string) {
  return { self: { href: new URL(path, url).toString() } };
}
