/**
 * A deterministic shuffle (a linear congruential generator behind Fisher–Yates): the same seed
 * gives the same order, so a test that fails for one arrival order can be replayed.
 */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
