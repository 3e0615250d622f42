/**
 * The portable core must run on workerd: outside the Node entry nothing imports node:* or
 * Node-only packages, reads process.*, or evaluates code. Checked on the sources, so a
 * violation fails here with its file and line, before a Workers deploy would.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const NODE_ONLY_DIR = 'src/entry/node/';
const NODE_ONLY_PACKAGES = ['@electric-sql/pglite', '@hono/node-server', 'drizzle-orm/pglite', 'tsx', 'mysql2', 'cli-progress', 'undici'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

const portable = sources(join(ROOT, 'src'))
  .map((p) => relative(ROOT, p))
  .filter((p) => !p.startsWith(NODE_ONLY_DIR));

const rules: [string, RegExp][] = [
  // Workers' nodejs_compat has AsyncLocalStorage: the Worker entry keeps each request's database client in it.
  ['imports a node: module', /from\s+['"]node:(?!async_hooks['"])|import\(\s*['"]node:/],
  ['imports a Node-only package', new RegExp(`from\\s+['"](${NODE_ONLY_PACKAGES.map((p) => p.replace('/', '\\/')).join('|')})['"/]`)],
  // csv-parse's main entry is Node streams; its browser build (csv-parse/browser/…) is portable.
  ["imports csv-parse's Node build", /from\s+['"]csv-parse(\/(sync|stream))?['"]/],
  ['reads process.*', /\bprocess\.(env|argv|exit|cwd|on)\b/],
  ['evaluates code', /\beval\(|new Function\(/],
];

describe('portable core', () => {
  it('has sources to check', () => {
    expect(portable.length).toBeGreaterThan(20);
    expect(portable).toContain('src/entry/worker.ts');
  });

  it('allows node:async_hooks in the Worker entry only', () => {
    const users = portable.filter((file) => /from\s+['"]node:async_hooks['"]/.test(readFileSync(join(ROOT, file), 'utf8')));
    expect(users).toEqual(['src/entry/worker.ts']);
  });

  it.each(rules)('never %s outside src/entry/node', (_what, pattern) => {
    const offenders = portable.flatMap((file) =>
      readFileSync(join(ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line, i) =>
          pattern.test(line) && !line.trim().startsWith('//') && !line.trim().startsWith('*') ? [`${file}:${i + 1}: ${line.trim()}`] : [],
        ),
    );
    expect(offenders).toEqual([]);
  });
});
