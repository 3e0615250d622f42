/**
 * What run.ts and simulate.ts share: checked options, the undo stack (processes, sandboxes, the
 * database, temporary files — undone after each cell, on failure and on Ctrl-C), and the run's
 * context (machine, database, the exact command).
 * @module
 */
import { relative } from 'node:path';
import postgres from 'postgres';
import { REPO_ROOT } from '../ingest/service.mjs';
import { machineInfo, type MachineInfo } from '../ingest/sys.mjs';
import type { CellContext } from './cell';

export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';

export function number(name: string, raw: string, min: number, max: number, integer = true): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} expects ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

export function list(name: string, raw: string, min: number, max: number): number[] {
  const values = raw.split(',').map((part) => number(name, part, min, max));
  if (new Set(values).size !== values.length) throw new Error(`--${name}: a value is listed twice in "${raw}"`);
  return values;
}

/**
 * Connections `auto` leaves to other clients of the server: the bench's own, and on a shared
 * server other people's (a test suite opens a dozen or two).
 */
const SPARE_CONNECTIONS = 30;
/** The most connections per account per process `auto` gives: beyond it ingest gains little. */
const MAX_AUTO_ACCOUNT_POOL = 4;

/**
 * `--account-pool`: a number, or `auto` — the largest ACCOUNT_POOL_SIZE (1 to 4) that keeps
 * M × (DATABASE_POOL_SIZE + ACCOUNT_POOL_SIZE × N) within max_connections less 30 spare,
 * what an operator sizing for the server would set (never below 1: the pools then may exceed it).
 */
export function accountPool(raw: string, s: { processes: number; accounts: number; databasePoolSize: number }, maxConnections: number): number {
  if (raw !== 'auto') return number('account-pool', raw, 1, 50);
  const perProcess = Math.floor((maxConnections - SPARE_CONNECTIONS) / s.processes) - s.databasePoolSize;
  return Math.max(1, Math.min(MAX_AUTO_ACCOUNT_POOL, Math.floor(perProcess / s.accounts)));
}

const cleanups: (() => Promise<unknown>)[] = [];
let cleaning: Promise<void> | null = null;
let interrupted = false;

/** Runs the undo steps last-in first-out, each once; steps pushed meanwhile get a further pass. */
export async function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length) {
      const step = cleanups.pop() as () => Promise<unknown>;
      await step().catch((error: Error) => console.error(`cleanup: ${error.message}`));
    }
  })();
  await cleaning;
  cleaning = null;
  if (cleanups.length) await cleanUp();
}

export interface RunContext {
  machine: MachineInfo;
  database: { version: string; host: string; maxConnections: number };
  command: string;
  cwd: string;
  cell: CellContext;
}

/**
 * Runs `main` with the admin connection open, cleaning up whatever happens; exits 0 when it
 * returns true, 1 when it returns false or throws, 130 on Ctrl-C.
 */
export async function harness(defaultScript: string, main: (context: RunContext) => Promise<boolean>): Promise<never> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      console.error(`${signal}: stopping and cleaning up`);
      void cleanUp().finally(() => setTimeout(() => process.exit(130), 20_000).unref());
    });
  }
  process.once('uncaughtException', (error) => {
    console.error(`benchmark failed: ${error.stack ?? error}`);
    void cleanUp().finally(() => process.exit(interrupted ? 130 : 1));
  });
  let exitCode = 1;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    const [row] = await admin<{ version: string; max: number }[]>`
      select current_setting('server_version') as version, current_setting('max_connections')::int as max`;
    const script = process.argv[1] ?? defaultScript;
    const context: RunContext = {
      machine: machineInfo(),
      database: { version: row?.version ?? '?', host: new URL(ADMIN_URL).host, maxConnections: row?.max ?? 0 },
      command: ['node', ...process.execArgv, relative(process.cwd(), script) || script, ...process.argv.slice(2)].join(' '),
      cwd: relative(REPO_ROOT, process.cwd()) || '.',
      cell: { admin, adminUrl: ADMIN_URL, track: (step) => cleanups.push(step) },
    };
    exitCode = (await main(context)) ? 0 : 1;
  } catch (error) {
    if (!interrupted) console.error(`benchmark failed: ${(error as Error).stack ?? error}`);
  } finally {
    await cleanUp();
    await admin.end({ timeout: 5 });
  }
  process.exit(interrupted ? 130 : exitCode);
}
