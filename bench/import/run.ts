/**
 * Import benchmark: `calltrail import asterisk-csv` on a generated 1,000,000-row Master.csv into
 * a fresh PostgreSQL database — wall time, rows/s, the importer's peak and sampled RSS (is memory
 * flat?), where the CPU went — against a bare COPY of the same file. See README.md.
 *
 *   npm run bench:import [-- --rows 1000000] [--seed 1] [--no-dry-run]
 *
 * Exits 1 when a correctness check fails (a generated call missing or stored twice, a row lost).
 * @module
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { machineInfo } from '../ingest/sys.mjs';
import { copyBaseline } from './baseline';
import { commandLine, memoryLine, runCalltrail, running, type ChildRun } from './child';
import { generateMasterCsv } from './generate';

const { values: flags } = parseArgs({
  options: { rows: { type: 'string', default: '1000000' }, seed: { type: 'string', default: '1' }, 'no-dry-run': { type: 'boolean' } },
});
const ROWS = Number(flags.rows);
const SEED = Number(flags.seed);
if (!Number.isInteger(ROWS) || ROWS < 10 || ROWS > 20_000_000) throw new Error(`--rows expects an integer from 10 to 20000000, got "${flags.rows}"`);

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const DB = 'calltrail_bench_import';
const COPY_DB = 'calltrail_bench_import_copy';
const dbUrl = (name: string) => Object.assign(new URL(ADMIN_URL), { pathname: `/${name}` }).toString();

let dir: string | undefined;
async function cleanup() {
  for (const child of running) child.kill('SIGTERM');
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    for (const name of [DB, COPY_DB]) await admin.unsafe(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  if (dir) await rm(dir, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

const n = (v: number) => Math.round(v).toLocaleString('en-US');
const rate = (rows: number, seconds: number) => `${n(rows / seconds)} rows/s`;
const cores = (run: ChildRun) =>
  `cores: importer ${run.cores.service?.toFixed(2)}, postgres ${run.cores.postgres.toFixed(2)}, bench ${run.cores.bench.toFixed(2)}, other ${run.cores.other.toFixed(2)}`;

async function main(): Promise<number> {
  const machine = machineInfo();
  console.log(`bench:import — ${n(ROWS)} Master.csv rows, seed ${SEED}`);
  console.log(`machine: ${machine.cpus} × ${machine.model}, node ${machine.node}, kernel ${machine.kernel}`);
  dir = await mkdtemp(join(tmpdir(), 'calltrail-bench-import-'));
  const file = join(dir, 'Master.csv');
  const t = performance.now();
  const generated = generateMasterCsv(file, ROWS, SEED);
  const bytes = (await stat(file)).size;
  console.log(
    `generated ${n(generated.rows)} rows, ${n(generated.calls)} calls (${n(generated.transferred)} transferred), ` +
      `${(bytes / 2 ** 20).toFixed(0)} MiB in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );

  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  for (const name of [DB, COPY_DB]) {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.unsafe(`create database ${name}`);
  }
  await admin.end({ timeout: 5 });
  const env = { DATABASE_URL: dbUrl(DB), LOG_LEVEL: 'warn', DATA_DIR: dir };
  const migrated = await runCalltrail(['migrate'], env);
  if (migrated.code !== 0) throw new Error(`migrate failed:\n${migrated.err}`);

  const importArgs = ['import', 'asterisk-csv', file];
  const echo = (text: string) => process.stderr.write(text.replace(/^/gm, '    '));
  if (!flags['no-dry-run']) {
    console.log(`\n[1/3] parse and map only: ${commandLine([...importArgs, '--dry-run'])}`);
    const dry = await runCalltrail([...importArgs, '--dry-run'], env, echo);
    if (dry.code !== 0) throw new Error(`dry run failed:\n${dry.err}`);
    console.log(`  ${dry.seconds.toFixed(1)} s, ${rate(generated.rows, dry.seconds)}; ${cores(dry)}`);
    console.log(`  ${memoryLine(dry)}`);
  }

  console.log(`\n[2/3] import: DATABASE_URL=${dbUrl(DB)} ${commandLine(importArgs)}`);
  const run = await runCalltrail(importArgs, env, echo);
  console.log(`  wall ${run.seconds.toFixed(1)} s (process start to exit), ${rate(generated.rows, run.seconds)}; ${cores(run)}`);
  console.log(`  ${memoryLine(run)}`);
  console.log(run.out.trimEnd().replace(/^/gm, '  | '));

  const sql = postgres(dbUrl(DB), { max: 1, onnotice: () => {} });
  const [row] = await sql<{ conversations: string; legs: string; inbox: string; twice: string }[]>`
    select (select count(*) from conversations where source = 'asterisk') as conversations,
           (select count(*) from legs) as legs,
           (select count(*) from inbox_events where source = 'asterisk') as inbox,
           (select count(*) from (select call_key from conversations group by call_key having count(*) > 1) d) as twice`;
  const sample = generated.sample;
  const [transfer] = sample ? await sql<{ extension: string | null }[]>`select extension from conversations where call_key = ${sample.linkedid}` : [];
  const [storage] = await sql<{ size: string }[]>`select pg_size_pretty(pg_database_size(current_database())) as size`;
  await sql.end({ timeout: 5 });

  console.log(`\n[3/3] baseline: COPY master_csv FROM STDIN (FORMAT csv) into ${COPY_DB}`);
  const copy = await copyBaseline(dbUrl(COPY_DB), file);
  console.log(`  ${copy.seconds.toFixed(1)} s, ${rate(copy.rows, copy.seconds)}`);
  console.log(
    `\nimport / COPY: ${((generated.rows / run.seconds / (copy.rows / copy.seconds)) * 100).toFixed(1)} % of COPY's rate; ledger database ${storage?.size}`,
  );

  const checks: [string, boolean][] = [
    [`import exit code 0 (got ${run.code})`, run.code === 0],
    [`every generated call is one conversation: ${n(Number(row?.conversations))} = ${n(generated.calls)}`, Number(row?.conversations) === generated.calls],
    [`no call stored twice (${row?.twice})`, Number(row?.twice) === 0],
    [`every row is a leg: ${n(Number(row?.legs))} = ${n(generated.rows)}`, Number(row?.legs) === generated.rows],
    [`every row is in the inbox: ${n(Number(row?.inbox))} = ${n(generated.rows)}`, Number(row?.inbox) === generated.rows],
    [`a transferred call is handled by its rep (${transfer?.extension} = ${sample?.extension})`, transfer?.extension === sample?.extension],
    [`COPY loaded every row (${n(copy.rows)})`, copy.rows === generated.rows],
  ];
  console.log('\nchecks:');
  for (const [what, ok] of checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  return checks.every(([, ok]) => ok) ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  console.error(`bench:import failed: ${(error as Error).stack ?? error}`);
} finally {
  await cleanup();
}
process.exit(code);
