/**
 * Reading a write batch the way amoCRM does: a JSON array (anything else is 400), at most
 * `maxBatch` items (400), every item valid (else 400 listing each bad item under its request_id,
 * nothing written), and finally the gateway's 504 for batches above `gatewayTimeoutAbove` —
 * after validation, since a malformed batch is refused quickly, but before any write.
 * Error codes are Symfony constraint names as amoCRM emits them (NotBlank, InvalidType,
 * NotSupportedChoice); unknown fields are ignored, as amoCRM does.
 * @module
 */
import type { Context } from 'hono';
import type * as z from 'zod';
import type { SandboxContext } from './context';
import { type FieldError, type ItemErrors, nginxPage, problem, validationProblem } from './responses';

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

export function fieldError(issue: z.core.$ZodIssue, item: unknown): FieldError {
  const path = issue.path.map(String).join('.');
  const empty = issue.code === 'too_small' && issue.origin === 'string' && issue.minimum === 1;
  if (empty || (valueAt(item, issue.path) === undefined && issue.code === 'invalid_type')) {
    return { code: 'NotBlank', path, detail: 'This value should not be blank.' };
  }
  switch (issue.code) {
    case 'invalid_type':
      return { code: 'InvalidType', path, detail: `This value should be of type ${issue.expected}.` };
    case 'invalid_value':
      return { code: 'NotSupportedChoice', path, detail: 'The value you selected is not a valid choice.' };
    case 'too_small':
      return { code: 'OutOfRange', path, detail: `This value should be ${String(issue.minimum)} or more.` };
    case 'too_big':
      return { code: 'OutOfRange', path, detail: `This value should be ${String(issue.maximum)} or less.` };
    default:
      return { code: 'InvalidValue', path, detail: issue.message };
  }
}

/** The item's own request_id when it sent one, else its index — what amoCRM echoes back. */
export function requestIdOf(item: unknown, index: number): string {
  const given = valueAt(item, ['request_id']);
  return typeof given === 'string' || typeof given === 'number' ? String(given) : String(index);
}

export async function readJson(c: Context): Promise<{ ok: true; value: unknown } | { ok: false; response: Response }> {
  const text = await c.req.text();
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, response: problem(400, 'Syntax error: the request body is not valid JSON') };
  }
}

function single(code: string, detail: string): Response {
  return validationProblem([{ request_id: '0', errors: [{ code, path: '', detail }] }]);
}

export type BatchResult<T> = { ok: true; items: T[]; requestIds: string[] } | { ok: false; response: Response };

/**
 * Parses and validates a write batch. `check` adds what a schema cannot know (does this user or
 * note exist? is this uniq already taken?); it sees the items before it in the batch via `index`.
 */
export async function readBatch<S extends z.ZodType>(
  c: Context,
  ctx: SandboxContext,
  schema: S,
  check?: (item: z.output<S>, index: number, items: z.output<S>[]) => FieldError[],
): Promise<BatchResult<z.output<S>>> {
  const body = await readJson(c);
  if (!body.ok) return body;
  const raw = body.value;
  if (!Array.isArray(raw)) return { ok: false, response: single('InvalidType', 'This value should be of type array.') };
  if (raw.length === 0) return { ok: false, response: single('NotBlank', 'This collection should contain 1 element or more.') };
  const max = ctx.options.maxBatch;
  if (raw.length > max) return { ok: false, response: single('TooMany', `This collection should contain ${max} elements or less.`) };

  const items: z.output<S>[] = [];
  const requestIds = raw.map((item, i) => requestIdOf(item, i));
  const bad: ItemErrors[] = [];
  raw.forEach((item, i) => {
    const parsed = schema.safeParse(item);
    if (parsed.success) items.push(parsed.data);
    else bad.push({ request_id: requestIds[i] ?? String(i), errors: parsed.error.issues.map((issue) => fieldError(issue, item)) });
  });
  if (bad.length === 0 && check) {
    items.forEach((item, i) => {
      const errors = check(item, i, items);
      if (errors.length) bad.push({ request_id: requestIds[i] ?? String(i), errors });
    });
  }
  if (bad.length) return { ok: false, response: validationProblem(bad) };
  if (raw.length > ctx.options.gatewayTimeoutAbove) return { ok: false, response: nginxPage(504) };
  return { ok: true, items, requestIds };
}

/** Reusable semantic checks. */
export function userError(ctx: SandboxContext, id: number | undefined, path: string, allowZero = false): FieldError[] {
  if (id === undefined || (allowZero && id === 0) || ctx.store.user(id)) return [];
  return [{ code: 'NotSupportedChoice', path, detail: 'The value you selected is not a valid choice.' }];
}
