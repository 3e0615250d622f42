/**
 * "Did you mean": the closest known name to a misspelt one (a template variable or filter, a
 * config key), by edit distance. Within two edits, or a name cut short, so a suggestion is a likely
 * typo rather than a guess.
 * @module
 */

/** The closest candidate within two edits, else the one the name begins (`enum` → `enum_code`). */
export function suggest(name: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = distance(name, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  if (best === null && name.length >= 3) best = candidates.find((c) => c.startsWith(name)) ?? null;
  return best;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] ?? 0;
      row[j] = Math.min(current + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = current;
    }
  }
  return row[b.length] ?? 0;
}
