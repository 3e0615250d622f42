/**
 * Templates in the config that turn what a PBX names (a file, a path, a call id) into a URL or a
 * path, with `{name}` placeholders: checked when the config loads, filled in when a body is read.
 * @module
 */
import * as z from 'zod';

export const PLACEHOLDER = /\{([^{}]*)\}/g;

export interface TemplateRules {
  /** The placeholders it may use, and how to say so ("use {path} or {file}"). */
  known: readonly string[];
  use: string;
  /** What is wrong with the placeholders it uses (a required one missing), or null. */
  missing(names: readonly string[]): string | null;
  /** Where the filled-in template may point, and how to say so. */
  target: RegExp;
  expected: string;
}

/** A template checked against its rules, each problem said on its own. */
export function urlTemplateSchema(rules: TemplateRules) {
  return z
    .string()
    .max(2048)
    .superRefine((template, ctx) => {
      const names = [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
      for (const name of names) {
        if (!rules.known.includes(name)) ctx.addIssue({ code: 'custom', message: `unknown placeholder {${name}}: ${rules.use}` });
      }
      const missing = rules.missing(names);
      if (missing) ctx.addIssue({ code: 'custom', message: missing });
      if (!rules.target.test(template)) ctx.addIssue({ code: 'custom', message: rules.expected });
    });
}
