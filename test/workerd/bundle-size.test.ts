/**
 * The Worker as `wrangler deploy` builds it (`wrangler deploy --dry-run`, through
 * scripts/worker-size.mjs — also the CI check that the deploy build succeeds): its size is held,
 * and what was taken out of it stays out — zod's locales (an object handed around kept all of zod:
 * scripts/worker/zod.mjs) and YAML's parser (the Worker reads CONFIG as JSON).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The emitted modules' total. Minified, the Worker was 2,352,187 bytes (700,836 gzipped) before
 * these were taken out and is about 2.0 MB now; most of the rest is the application itself (src/
 * is about 750 KB minified). The issue asked for under 1 MB: not reached (see README "Cloudflare
 * Workers"); the ceilings hold what was won.
 */
const MAX_BYTES = 2_100_000;
/** Gzipped, as wrangler reports the upload. */
const MAX_GZIP_BYTES = 1_000_000;

interface Size {
  modules: { name: string; raw: number; gzip: number }[];
  total: { raw: number; gzip: number };
  inputs: { input: string; bytes: number }[];
  files: { input: string; bytes: number }[];
}

function measure(): Size {
  const script = join(import.meta.dirname, '../../scripts/worker-size.mjs');
  const out = execFileSync(process.execPath, [script, '--json', '--top', '1000'], { encoding: 'utf8', timeout: 50_000 });
  return JSON.parse(out) as Size;
}

describe('the Worker bundle', () => {
  it('builds with wrangler deploy --dry-run and stays under its size limits', () => {
    const size = measure();
    expect(size.modules.map((m) => m.name)).toContain('worker.js');
    expect(size.total.raw).toBe(size.modules.reduce((n, m) => n + m.raw, 0));
    expect(size.total.raw).toBeLessThanOrEqual(MAX_BYTES);
    expect(size.total.gzip).toBeLessThanOrEqual(MAX_GZIP_BYTES);
    // The inputs add up to the output: the breakdown is the whole of it, not a sample.
    const inputs = size.inputs.reduce((n, i) => n + i.bytes, 0);
    expect(inputs).toBeGreaterThan(size.total.raw * 0.9);
    expect(inputs).toBeLessThanOrEqual(size.total.raw);
    expect(size.inputs.map((i) => i.input)).toEqual(expect.arrayContaining(['zod', 'src/http/', 'src/entry/']));
    const files = size.files.map((f) => f.input);
    expect(files).toContain('node_modules/zod/v4/locales/en.js');
    const keptOut = [/node_modules\/zod\/v4\/locales\/(?!en\.js)/, /node_modules\/yaml\/.*\/(parse\/parser|compose\/composer)\.js$/];
    expect(files.filter((f) => keptOut.some((re) => re.test(f)))).toEqual([]);
  }, 60_000);
});
