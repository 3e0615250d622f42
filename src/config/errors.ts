/**
 * Turns zod issues into lines a person can act on: `PORT: expected …, got "abc"`.
 * @module
 */
import type * as z from 'zod';

export class ConfigError extends Error {
  constructor(
    readonly origin: string,
    readonly problems: string[],
  ) {
    super(`${origin} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** `a.b[2].c` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

export function describeIssues(error: z.ZodError, rootName = '(root)'): string[] {
  return error.issues.map((issue) => `${formatPath(issue.path) || rootName}: ${issue.message}`);
}
