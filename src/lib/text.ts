/**
 * Text PostgreSQL cannot keep: a NUL character (text and jsonb refuse it) or a lone UTF-16
 * surrogate (not Unicode: the JSON the ledger writes through would be refused). Checked where
 * input enters — webhook bodies, admin filters — so it is a 400 naming the field, not a 500 or a
 * stored body that fails forever.
 * @module
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why this text cannot be stored, or null when it can. */
export function unstorableText(value: string): string | null {
  if (value.includes('\u0000')) return 'contains a NUL character';
  if (LONE_SURROGATE.test(value)) return 'contains a lone UTF-16 surrogate (not valid Unicode)';
  return null;
}
