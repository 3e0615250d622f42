#!/usr/bin/env node
// The Worker's size as Cloudflare would receive it: builds it the way `wrangler deploy` does
// (`wrangler deploy --dry-run`, wrangler.toml's settings: minified, the zod alias) into a temporary
// directory and prints every module wrangler emits (worker.js and any .wasm or other module; not
// the source map) raw and gzipped, their total, and the inputs that take the most room (esbuild's
// metafile, grouped by package or src/ folder). `npm run size:workerd`.
//   --json              one JSON object instead of the table (with every input file besides)
//   --top N             how many inputs to list (default 15)
//   --max-bytes N       exit 1 when the raw total is above N
//   --max-gzip-bytes N  exit 1 when the gzipped total is above N
// Needs Node >= 22.12 (wrangler's own floor): `npm run size:workerd` goes through scripts/node22.mjs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WRANGLER = join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');

/** Runs the dry-run build into a fresh directory; returns it (the caller removes it). */
function build() {
  const dir = mkdtempSync(join(tmpdir(), 'calltrail-worker-size-'));
  const args = [WRANGLER, 'deploy', '--dry-run', '--outdir', join(dir, 'out'), '--metafile', join(dir, 'meta.json')];
  try {
    execFileSync(process.execPath, args, {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`wrangler deploy --dry-run failed:\n${error.stdout ?? ''}${error.stderr ?? error.message}`);
  }
  return dir;
}

/** The modules wrangler would upload: everything it wrote but source maps and its README. */
function modules(outdir) {
  return readdirSync(outdir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.endsWith('.map') && entry.name !== 'README.md')
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      const bytes = readFileSync(path);
      return { name: relative(outdir, path), raw: bytes.length, gzip: gzipSync(bytes).length };
    })
    .sort((a, b) => b.raw - a.raw);
}

/** node_modules/<package> or src/<folder> (src/app.ts stays itself): where the bytes come from. */
function groupOf(input) {
  const pkg = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pkg) return pkg[1];
  const parts = input.split('/');
  return parts[0] === 'src' && parts.length > 2 ? `src/${parts[1]}/` : input;
}

/** Every input file with its bytes in the emitted code (source maps aside), largest first. */
function inputFiles(metafile) {
  const meta = JSON.parse(readFileSync(metafile, 'utf8'));
  const files = [];
  for (const [name, output] of Object.entries(meta.outputs)) {
    if (name.endsWith('.map')) continue;
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) files.push({ input, bytes: bytesInOutput });
  }
  return files.sort((a, b) => b.bytes - a.bytes);
}

/** The groups (packages, src/ folders) that take the most room, largest first. */
function biggestGroups(files, top) {
  const totals = new Map();
  for (const { input, bytes } of files) totals.set(groupOf(input), (totals.get(groupOf(input)) ?? 0) + bytes);
  return [...totals]
    .map(([input, bytes]) => ({ input, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, top);
}

export function measure({ top = 15 } = {}) {
  const dir = build();
  try {
    const emitted = modules(join(dir, 'out'));
    const total = { raw: emitted.reduce((n, m) => n + m.raw, 0), gzip: emitted.reduce((n, m) => n + m.gzip, 0) };
    const files = inputFiles(join(dir, 'meta.json'));
    return { modules: emitted, total, inputs: biggestGroups(files, top), files };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const n = (value) => value.toLocaleString('en-US');

function print({ modules: emitted, total, inputs }) {
  const width = Math.max(12, ...emitted.map((m) => m.name.length), ...inputs.map((i) => i.input.length));
  const row = (name, raw, gzip) => `${name.padEnd(width)}  ${raw.padStart(11)}  ${gzip.padStart(11)}`;
  console.log('The Worker as `wrangler deploy` would upload it (wrangler.toml: minified):\n');
  console.log(row('module', 'bytes', 'gzipped'));
  for (const m of emitted) console.log(row(m.name, n(m.raw), n(m.gzip)));
  console.log(row('total', n(total.raw), n(total.gzip)));
  console.log(`\nWhat takes the room (bytes in the minified output, by package or src/ folder):\n`);
  for (const { input, bytes } of inputs) console.log(`${input.padEnd(width)}  ${n(bytes).padStart(11)}`);
}

function main() {
  const { values } = parseArgs({
    options: { json: { type: 'boolean' }, top: { type: 'string' }, 'max-bytes': { type: 'string' }, 'max-gzip-bytes': { type: 'string' } },
  });
  const result = measure({ top: values.top ? Number(values.top) : 15 });
  if (values.json) console.log(JSON.stringify(result));
  else print(result);
  const over = [];
  if (values['max-bytes'] && result.total.raw > Number(values['max-bytes'])) over.push(`${n(result.total.raw)} bytes > ${n(Number(values['max-bytes']))}`);
  if (values['max-gzip-bytes'] && result.total.gzip > Number(values['max-gzip-bytes'])) {
    over.push(`${n(result.total.gzip)} gzipped bytes > ${n(Number(values['max-gzip-bytes']))}`);
  }
  if (over.length) {
    console.error(`the Worker is too big: ${over.join('; ')}`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    main();
  } catch (error) {
    console.error(error.message);
    process.exitCode = 1;
  }
}
