#!/usr/bin/env node
// Compiles the Node entry (src/entry/node/cli.ts and everything it imports) into ES modules under
// dist/ with esbuild (dist/cli.mjs the entry); the packages in node_modules stay imports. `npm install` runs it
// (prepare), `npm run build` on demand, and bin/calltrail.mjs when a source is newer than the build,
// so `calltrail` starts from JavaScript instead of compiling TypeScript at every start.
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI_BUILD = join(ROOT, 'dist', 'cli.mjs');
const SOURCES = join(ROOT, 'src');

/** The newest modification time under src/ (ms). */
function newestSource(dir = SOURCES) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Whether dist/cli.mjs exists and is newer than every source it was built from. */
export function buildIsFresh() {
  try {
    return statSync(CLI_BUILD).mtimeMs >= newestSource();
  } catch {
    return false;
  }
}

/**
 * Builds the entry and its commands into dist/build-<id>/ (one chunk per command, loaded when the
 * command runs), then points dist/cli.mjs at it by renaming a one-line module into place: a
 * process starting meanwhile reads the old build or the new one, never half of either. Builds
 * older than ten minutes are removed (a running service has loaded what it needs by then).
 */
export async function buildCli() {
  const { build } = await import('esbuild');
  const dist = dirname(CLI_BUILD);
  const id = `${Date.now().toString(36)}-${process.pid}`;
  const outdir = join(dist, `build-${id}`);
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: { cli: join(SOURCES, 'entry', 'node', 'cli.ts') },
    outdir,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    logLevel: 'error',
    legalComments: 'none',
  });
  const temporary = `${CLI_BUILD}.${process.pid}.tmp`;
  writeFileSync(temporary, `export * from './build-${id}/cli.mjs';\n`);
  renameSync(temporary, CLI_BUILD);
  // Another start may be importing a build made a moment ago: only those older than ten minutes go.
  const stale = Date.now() - 10 * 60_000;
  for (const name of readdirSync(dist)) {
    if (name.startsWith('build-') && name !== `build-${id}` && statSync(join(dist, name)).mtimeMs < stale)
      rmSync(join(dist, name), { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  await buildCli();
  console.log(`built ${CLI_BUILD.slice(ROOT.length)} in ${Date.now() - started} ms`);
}
