/**
 * README's shell blocks, run in order as a reader would type them, so that they stay true (issue
 * 18): every ```sh block of README.md, in a scratch directory holding a copy of this checkout (its
 * files as they are now and its dist build; node_modules linked — so `npm start` and `npx
 * calltrail` run this checkout's build), with one bash session carrying variables and the working
 * directory from block to block (test/support/walkthrough-shell.ts).
 *
 * - `npm start` and `npm run dev:workerd` are started in the background where README starts them
 *   and are ready when their /health answers; starting one on a port in use first stops the one
 *   there, as the reader's Ctrl-C. Everything is stopped at the end, and no process may survive.
 * - README's ports (3000, 8000, 8787) are moved to free ones, so that a service already running on
 *   this machine cannot answer for the walk-through; the transcript says which.
 * - `npm install` is not run (node_modules is checked), `npm test` is not run (this is inside it).
 * - `npm run dev:workerd` gets a scratch database on the test server
 *   (CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE, dropped afterwards) instead of the
 *   one wrangler.toml names.
 * - Each block must exit 0 (`set -e`), and every output README shows must be in what the commands
 *   printed (test/support/readme-blocks.ts says how they are matched).
 * - A block marked `<!-- walkthrough: skip (reason) -->` only passes `bash -n`; every other block
 *   must run, at least MIN_BLOCKS_RUN of them, with at least MIN_OUTPUTS_CHECKED outputs checked.
 * The transcript (block, command, exit code, duration, output) is printed at the end.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl, TEST_DATABASE_URL } from '#test/database-url';
import { freePort } from '#test/process';
import { blockSteps, missingFromOutput, type ReadmeBlock, readmeShellBlocks, remapPorts, type ScriptRun, type ServiceStart } from '#test/readme-blocks';
import { WalkthroughShell } from '#test/walkthrough-shell';

const ROOT = join(import.meta.dirname, '../..');
const BLOCKS = readmeShellBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
/** The walk-through cannot pass by skipping: this many blocks run at least, and this many outputs are checked. */
const MIN_BLOCKS_RUN = 9;
const MIN_OUTPUTS_CHECKED = 5;
/** Per block, within the 60 s a test may take: a command's run, a service's start. */
const RUN_TIMEOUT_MS = 50_000;
const READY_TIMEOUT_MS = 50_000;
const DEFAULT_PORT: Record<ServiceStart['what'], number> = { 'npm start': 3000, 'npm run dev:workerd': 8787 };
const WORKERD_DB = `calltrail_readme_${process.pid}`;

let shell: WalkthroughShell;
let scratch: string;
const ports = new Map<number, number>();
const transcript: string[] = [];
const ran = new Set<number>();
let outputsChecked = 0;
let failed: number | null = null;

/**
 * A clone of this checkout as it is now, in `dir`: its files (tracked and new, not ignored) copied
 * with their times, so its build (dist/, copied too) is as fresh there as here; node_modules linked.
 * A copy, not links: the scripts find their root from their own path, as in a reader's clone.
 */
function copyCheckout(dir: string): number {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0');
  let copied = 0;
  for (const file of files) {
    const from = join(ROOT, file);
    if (!file || !existsSync(from) || !statSync(from).isFile()) continue;
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(from, join(dir, file), { preserveTimestamps: true });
    copied++;
  }
  if (existsSync(join(ROOT, 'dist'))) cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true, preserveTimestamps: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return copied;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** A command as the transcript shows it: its first line, and how many more. */
function shown(command: string, width = 150): string {
  const lines = command.trim().split('\n');
  const first = (lines[0] as string).replace(/\s*\\$/, '');
  const cut = first.length > width ? `${first.slice(0, width - 3)}…` : first;
  return lines.length > 1 ? `${cut} … (${lines.length} lines)` : cut;
}
function printed(text: string, indent = '      | '): string[] {
  const lines = text.trim() === '' ? [] : text.trim().split('\n');
  const cut = lines.slice(0, 12).map((l) => indent + (l.length > 220 ? `${l.slice(0, 217)}…` : l));
  return lines.length > 12 ? [...cut, `${indent}… (${lines.length - 12} more lines)`] : cut;
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'calltrail-readme-'));
  const copied = copyCheckout(scratch);
  for (const port of [3000, 8000, 8787]) ports.set(port, await freePort());
  shell = new WalkthroughShell(scratch, { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8', TERM: 'dumb' });
  transcript.push(
    `README walk-through: ${BLOCKS.length} sh blocks of README.md, run in ${scratch}: a copy of this checkout (${copied} files, its dist build; node_modules linked)`,
    `  ports: ${[...ports].map(([from, to]) => `${from} → ${to}`).join(', ')}; node_modules: ${existsSync(join(ROOT, 'node_modules/.bin')) ? 'installed' : 'MISSING'}`,
    `  npm run dev:workerd's database: ${WORKERD_DB} on the test server (dropped afterwards)`,
  );
}, 60_000);

afterAll(async () => {
  const groups = shell.startedGroups();
  const left = await shell.stopAll();
  const survivors = shell.survivors(groups);
  transcript.push(
    `stopped at the end: ${left.length ? left.join('; ') : 'nothing was left running'}`,
    `processes left after the walk-through: ${survivors.length ? survivors.join('; ') : 'none'}`,
    `summary: ${ran.size} of ${BLOCKS.length} blocks ran, ${BLOCKS.filter((b) => b.skip).length} marked skip (bash -n only), ${outputsChecked} shown outputs checked${failed ? `; block ${failed} FAILED` : ''}`,
  );
  console.log(transcript.join('\n'));
  await dropWorkerdDatabase();
  rmSync(scratch, { recursive: true, force: true });
  expect(survivors).toEqual([]);
}, 60_000);

async function dropWorkerdDatabase(): Promise<void> {
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${WORKERD_DB} with (force)`);
  } finally {
    await admin.end({ timeout: 1 });
  }
}

/** The connection string dev:workerd is given: the scratch database, with the password wrangler wants. */
function workerdDatabaseUrl(): string {
  const url = new URL(databaseUrl(WORKERD_DB));
  if (!url.password) url.password = 'calltrail';
  return url.toString();
}

async function runScript(step: ScriptRun, lines: string[]): Promise<void> {
  const body = step.parts.map((p) => ('expect' in p ? `printf '\\n__CT_OUTPUT_${p.expect}__\\n'` : remapPorts(p.command, ports))).join('\n');
  for (const p of step.parts) if ('command' in p) lines.push(`  $ ${shown(p.command)}`);
  const result = await shell.run(body, RUN_TIMEOUT_MS);
  const outputs = result.stdout.split(/\n__CT_OUTPUT_\d+__\n/);
  lines.push(`    exit ${result.code ?? `none (killed after ${seconds(RUN_TIMEOUT_MS)})`}, ${seconds(result.ms)}`);
  lines.push(...printed(outputs.join('\n')));
  if (result.left.length) lines.push(`    left running in the background (stopped at the end): ${result.left.join('; ')}`);
  if (result.code !== 0) {
    lines.push(...printed(result.stderr, '      ! '));
    throw new Error(`exit ${result.code}:\n${result.stderr.trim().split('\n').slice(-15).join('\n')}`);
  }
  step.expects.forEach((expected, i) => {
    const missing = missingFromOutput(remapPorts(expected.text, ports), outputs[i] ?? '');
    outputsChecked++;
    const what = expected.text.length > 100 ? `${expected.text.slice(0, 97)}…` : expected.text;
    lines.push(`    ${missing.length ? '✗' : '✓'} README.md:${expected.line} shows ${what}`);
    if (missing.length) throw new Error(`README.md:${expected.line} shows what the output lacks: ${missing.join(', ')}\noutput:\n${outputs[i]}`);
  });
}

async function startService(step: ServiceStart, lines: string[]): Promise<void> {
  const readmePort = step.port ?? DEFAULT_PORT[step.what];
  const port = ports.get(readmePort) ?? readmePort;
  const previous = shell.services.get(port);
  if (previous) lines.push(`  (Ctrl-C) the ${previous.what} already on port ${port}: ${await shell.stop(previous)}`);
  lines.push(`  $ ${shown(step.command.replace(/\s+/g, ' '), 300)}   [started in the background]`);
  const env: Record<string, string> = step.port === null ? { PORT: String(port) } : {};
  if (step.what === 'npm run dev:workerd') env.CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE = workerdDatabaseUrl();
  const service = await shell.start(step.what, remapPorts(step.command, ports), port, READY_TIMEOUT_MS, env);
  lines.push(`    answered /health on port ${port} after ${seconds(service.readyMs)}`);
}

async function runBlock(block: ReadmeBlock): Promise<void> {
  if (failed !== null) throw new Error(`not run: block ${failed} failed before it`);
  const started = Date.now();
  const lines = [`block ${block.index}  README.md:${block.line}  (${block.section})`];
  try {
    for (const step of blockSteps(block)) {
      if (step.kind === 'service') await startService(step, lines);
      else await runScript(step, lines);
    }
    ran.add(block.index);
    lines.push(`  block ${block.index}: exit 0, ${seconds(Date.now() - started)}`);
  } catch (error) {
    failed = block.index;
    lines.push(`  block ${block.index} FAILED after ${seconds(Date.now() - started)}: ${(error as Error).message.split('\n')[0]}`);
    throw error;
  } finally {
    transcript.push(...lines);
  }
}

describe('README walk-through', () => {
  for (const block of BLOCKS) {
    if (block.skip) {
      it(`block ${block.index} (README.md:${block.line}) is marked "skip (${block.skip})" and is valid bash`, () => {
        execFileSync('bash', ['-n'], { input: block.text });
        transcript.push(`block ${block.index}  README.md:${block.line}  (${block.section})`, `  not run: ${block.skip}; bash -n: ok`);
      });
    } else {
      it(`block ${block.index} (README.md:${block.line}, ${block.section}) runs as README says`, () => runBlock(block), 60_000);
    }
  }

  it(`ran every block not marked skip, at least ${MIN_BLOCKS_RUN}, and checked at least ${MIN_OUTPUTS_CHECKED} shown outputs`, () => {
    const unmarked = BLOCKS.filter((b) => !b.skip).map((b) => b.index);
    expect([...ran].sort((a, b) => a - b)).toEqual(unmarked);
    expect(ran.size).toBeGreaterThanOrEqual(MIN_BLOCKS_RUN);
    expect(outputsChecked).toBeGreaterThanOrEqual(MIN_OUTPUTS_CHECKED);
  });
});
