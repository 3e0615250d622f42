/**
 * The accounts one instance serves: account 1 is the environment's own; the others are added at
 * run time, each under /a/<slug>/ with data of its own.
 * @module
 */
export const ACCOUNT_STATUSES = ['active', 'disabled'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

/** 3–32 characters: a lower-case letter first, then letters, digits or dashes, no dash last. */
export const ACCOUNT_SLUG = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;

/** The PostgreSQL schema that holds an account's tables. */
export function accountSchema(slug: string): string {
  if (!ACCOUNT_SLUG.test(slug)) throw new Error(`not an account slug: ${slug}`);
  return `acct_${slug.replaceAll('-', '_')}`;
}
