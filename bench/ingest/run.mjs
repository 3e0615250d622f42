#!/usr/bin/env node
/**
 * Ingest benchmark: the real service (node bin/calltrail.mjs serve) on PostgreSQL and on PGlite,
 * against a bare postgres.js loop doing the same writes. See README.md.
 *
 *   node bench/ingest/run.mjs [--duration 15] [--connections 16] [--warmup 3] [--rate 200]
 *
 * Exits 1 when a correctness check fails (lost, failed or incomplete events); a missed
 * performance goal is only reported.
 * @module
 */
import { PGlite } from '@electric-sql/pglite';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { runBaseline } from './baseline.mjs';
import { SECRET } from './events.mjs';
import { hammer, verifyPhase } from './load.mjs';
import { printSummary } from './report.mjs';
import { REPO_ROOT, runCli, startService } from './service.mjs';
import { cpuProbe, machineInfo } from './sys.mjs';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', short: 'd', default: '15' },
    connections: { type: 'string', short: 'c', default: '16' },
    warmup: { type: 'string', short: 'w', default: '3' },
    rate: { type: 'string', short: 'r', default: '200' },
    // For working on one side: e.g. --engines postgres,baseline (the summary needs both for the ratio).
    engines: { type: 'string', default: 'postgres,baseline,pglite' },
  },
});
const engines = new Set(flags.engines.split(','));
for (const e of engines) if (!['postgres', 'baseline', 'pglite'].includes(e)) throw new Error(`--engines: unknown "${e}"`);
delete flags.engines;
const settings = Object.fromEntries(Object.entries(flags).map(([k, v]) => [k, Number(v)]));
for (const [name, value] of Object.entries(settings)) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} expects a positive integer, got "${flags[name]}"`);
}

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const SERVICE_DB = 'calltrail_bench';
const BASELINE_DB = 'calltrail_bench_baseline';
// After each run: requests cut off by autocannon finish (or the stop would abort them), and
// the next run does not start in the backlog of the previous one.
const DRAIN_MS = 2_000;

/** Undo steps, run last-in first-out exactly once, on success, failure or Ctrl-C. */
const cleanups = [];
async function cleanUp() {
  while (cleanups.length) {
    const step = cleanups.pop();
    await step().catch((error) => console.error(`cleanup: ${error.message}`));
  }
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`${signal}: stopping and cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}

function databaseUrl(name) {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function freshDatabase(admin, name) {
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
  cleanups.push(() => admin.unsafe(`drop database if exists ${name} with (force)`));
  return databaseUrl(name);
}

async function tempDir() {
  const dir = await mkdtemp(join(tmpdir(), 'calltrail-bench-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Warm-up, closed-loop throughput, then the fixed rate; the service keeps running throughout. */
async function measureService(engine, service) {
  const { connections, duration, warmup, rate } = settings;
  const url = service.url;
  const measure = async (options) => {
    const probe = cpuProbe(service.pid);
    const run = await hammer({ url, connections, duration, ...options });
    run.cpu = probe();
    await sleep(DRAIN_MS);
    return run;
  };
  const warm = await measure({ phase: 'warm', duration: warmup });
  const throughput = await measure({ phase: 'tput' });
  const fixed = await measure({ phase: 'rate', rate });
  return { engine, runs: [warm, throughput, fixed], throughput, fixed };
}

async function stopAndVerify(measured, service, query) {
  const exitCode = await service.stop();
  measured.checks = [];
  for (const run of measured.runs) measured.checks.push({ engine: measured.engine, ...(await verifyPhase(query, run)) });
  if (exitCode !== 0) {
    measured.checks.push({ engine: measured.engine, phase: 'stop', ok: false, problems: [`the service exited with ${exitCode}`] });
  }
  measured.serviceLog = service.log;
  return measured;
}

async function benchPostgres(admin) {
  const url = await freshDatabase(admin, SERVICE_DB);
  const service = await startService({ databaseUrl: url, dataDir: await tempDir(), secret: SECRET });
  cleanups.push(() => service.stop());
  const measured = await measureService('PostgreSQL', service);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await stopAndVerify(measured, service, (text, params) => sql.unsafe(text, params));
  } finally {
    await sql.end();
  }
}

async function benchBaseline(admin) {
  const url = await freshDatabase(admin, BASELINE_DB);
  // The schema exactly as the service creates it, through its own migrate command.
  await runCli(['migrate'], { databaseUrl: url, dataDir: await tempDir(), secret: SECRET });
  return runBaseline({ databaseUrl: url, ...settings });
}

async function benchPglite() {
  const dataDir = await tempDir();
  const service = await startService({ dataDir, secret: SECRET });
  cleanups.push(() => service.stop());
  const measured = await measureService('PGlite', service);
  // PGlite belongs to one process: the files are opened here only after the service closed them.
  let db;
  return stopAndVerify(measured, service, async (text, params) => {
    db ??= await PGlite.create(join(dataDir, 'pglite'));
    return (await db.query(text, params)).rows;
  }).finally(() => db?.close());
}

async function databaseInfo(admin) {
  const [{ version }] = await admin`select current_setting('server_version') as version`;
  const settingsRows = await admin`
    select name, setting from pg_settings
     where name in ('fsync', 'synchronous_commit', 'shared_buffers', 'max_connections') order by name`;
  const described = settingsRows.map((s) => (s.name === 'shared_buffers' ? `shared_buffers ${(Number(s.setting) * 8) / 1024} MB` : `${s.name} ${s.setting}`));
  return { version, settings: described.join(', '), host: new URL(ADMIN_URL).host };
}

async function main() {
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  cleanups.push(() => admin.end({ timeout: 5 }));
  const context = {
    settings,
    machine: machineInfo(),
    database: await databaseInfo(admin),
    command: ['node', relative(process.cwd(), process.argv[1]) || process.argv[1], ...process.argv.slice(2)].join(' '),
    cwd: relative(REPO_ROOT, process.cwd()) || '.',
  };
  const results = {};
  if (engines.has('postgres')) {
    console.error('PostgreSQL: service runs…');
    results.postgres = await benchPostgres(admin);
  }
  if (engines.has('baseline')) {
    console.error('PostgreSQL: bare postgres.js baseline…');
    results.baseline = await benchBaseline(admin);
  }
  if (engines.has('pglite')) {
    console.error('PGlite: service runs…');
    results.pglite = await benchPglite();
  }
  return printSummary(context, results);
}

let exitCode = 1;
try {
  exitCode = (await main()) ? 0 : 1;
} catch (error) {
  console.error(`benchmark failed: ${error.stack ?? error}`);
} finally {
  await cleanUp();
}
process.exit(exitCode);
