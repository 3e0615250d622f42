/**
 * Selectors: where in a CRM's JSON answer an id, a list of items or the next cursor is, written
 * as JMESPath (`data[0].id`, `results[].properties.hs_object_id`, `meta.next_cursor`). The
 * interpreter (@jmespath-community/jmespath) walks a parsed tree — no eval — so it runs on workerd.
 * Expressions are compiled once, when the config loads.
 * @module
 */
import { compile, TreeInterpreter, type JSONValue } from '@jmespath-community/jmespath';
import type * as z from 'zod';

type Compiled = ReturnType<typeof compile>;
const compiled = new Map<string, Compiled>();

function compiledSelector(expression: string): Compiled {
  let hit = compiled.get(expression);
  if (!hit) compiled.set(expression, (hit = compile(expression)));
  return hit;
}

/** zod check: the expression parses. */
export function checkSelector(expression: string, ctx: z.RefinementCtx): void {
  try {
    compiledSelector(expression);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `not a JMESPath expression: ${(error as Error).message}` });
  }
}

/** What the expression finds in the answer; null when nothing is there. */
export function select(expression: string, data: unknown): unknown {
  return TreeInterpreter.search(compiledSelector(expression), (data ?? null) as JSONValue) ?? null;
}

/** An id (string or number) at the expression; null when missing or not an id. */
export function selectId(expression: string, data: unknown): string | number | null {
  return asId(select(expression, data));
}

/** Ids at the expression: a list, or one id. */
export function selectIds(expression: string, data: unknown): (string | number)[] {
  const found = select(expression, data);
  const list = Array.isArray(found) ? found : [found];
  return list.map(asId).filter((id): id is string | number => id !== null);
}

export function selectString(expression: string | undefined, data: unknown): string | null {
  if (!expression) return null;
  const found = select(expression, data);
  if (typeof found === 'string') return found === '' ? null : found;
  return typeof found === 'number' ? String(found) : null;
}

export function selectNumber(expression: string | undefined, data: unknown): number | null {
  if (!expression) return null;
  const found = select(expression, data);
  const n = typeof found === 'string' && found.trim() !== '' ? Number(found) : found;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

function asId(value: unknown): string | number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value !== '') return value;
  return null;
}
