/**
 * One measurement of the scale bench: N accounts × M processes × K calls per account, from
 * nothing to every call on its CRM — fresh sandboxes, a fresh database, fresh processes — and
 * everything checked afterwards. bench/scale/run.ts and bench/scale/simulate.ts print cells.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { accountSchema } from '../../src/domain/account';
import { generateKeyLine } from '../../src/lib/seal';
import { planCalls, type Plan } from '../delivery/workload';
import { addAccount, type ClusterOptions, type Process, startProcess, waitForAccounts } from './cluster';
import { type CrmAccount, duplicates, seedContacts, startCrms, tooMany, verifyCrm } from './crm';
import { type Cores, probeCores } from './cpu';
import { interleave, type LoadResult, sendAll, type Target } from './load';

export interface CellSettings {
  accounts: number;
  processes: number;
  callsPerAccount: number;
  /** Share of calls from numbers the sandbox knows (the others each from a number of its own). */
  known: number;
  rps: number;
  batch: number;
  concurrency: number;
  databasePoolSize: number;
  accountPoolSize: number;
  /** Seconds of idle measured before the load (0: none). */
  idleSeconds: number;
  /** How long delivery may take after the last webhook before the cell fails. */
  deliveryCapMs: number;
  /**
   * The services connect as a role of their own limited to this many connections (PostgreSQL's
   * "too many connections for role", the same refusal as max_connections but confined to the
   * bench, so other users of a shared server are not starved). Absent: as the admin URL's user.
   */
  connectionLimit?: number;
  /**
   * Leave the nightly reconciliation on (it is off by default here): a process started after
   * reconcile.time runs yesterday's at once, and many of the bench's calls (spread over the last
   * 24 hours) are yesterday's, so it would list and compare while they are being delivered.
   */
  nightly: boolean;
}

export type { Cores };

export interface CellResult {
  settings: CellSettings;
  setup: { accountsMs: number; processesMs: number };
  load: LoadResult;
  /** Events acknowledged per second, first send to last answer. */
  ingestRate: number;
  /** Per account: calls ÷ (its last note − its first webhook), s⁻¹. */
  deliveredPerAccount: number[];
  /** Per account: its last note − its last acknowledged webhook, ms. */
  lagMs: number[];
  /** Per account: CRM requests ÷ (its last note − its first CRM request), s⁻¹. */
  requestRatePerAccount: number[];
  /** All calls ÷ (last note anywhere − first webhook). */
  deliveredTotalRate: number;
  crm: { requests: number; tooMany: number; blocked: number; notes: number };
  /** The bench database's pg_stat_database counters over ingest + delivery: commits, rows written. */
  database: { commits: number; rowsWritten: number };
  connections: { peakDatabase: number; peakServer: number; poolMax: number; maxConnections: number };
  cpu: { idle: Cores | null; ingest: Cores; whole: Cores };
  /**
   * This process's event-loop delay over ingest + delivery, ms: the sandboxes stamp a request's
   * arrival (what their 7-per-second window counts) only when this loop gets to it.
   */
  loopDelayMs: { p99: number; max: number };
  problems: string[];
  /** Reconciliation findings by kind, summed over the accounts (only a --nightly run has any). */
  findings: Record<string, number>;
  logLines: number;
  logTail: string[];
}

export interface CellContext {
  admin: postgres.Sql;
  adminUrl: string;
  /** Registers an undo step (run last-in first-out by the caller, on success, failure or Ctrl-C). */
  track(step: () => Promise<unknown>): void;
}

const DB_NAME = 'calltrail_bench_scale';
const LIMITED_ROLE = 'calltrail_bench_scale_limited';
const POLL_MS = 100;

function databaseUrl(adminUrl: string, name: string, user?: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  if (user) {
    url.username = user;
    url.password = '';
  }
  return url.toString();
}

/** A fresh bench database; with a connection limit, owned by a fresh role limited to it. */
async function freshDatabase(settings: CellSettings, context: CellContext): Promise<string> {
  const { admin } = context;
  await admin.unsafe(`drop database if exists ${DB_NAME} with (force)`);
  if (settings.connectionLimit === undefined) {
    await admin.unsafe(`create database ${DB_NAME}`);
    context.track(() => admin.unsafe(`drop database if exists ${DB_NAME} with (force)`));
    return databaseUrl(context.adminUrl, DB_NAME);
  }
  await admin.unsafe(`drop role if exists ${LIMITED_ROLE}`);
  await admin.unsafe(`create role ${LIMITED_ROLE} login nosuperuser connection limit ${settings.connectionLimit}`);
  context.track(() => admin.unsafe(`drop role if exists ${LIMITED_ROLE}`));
  await admin.unsafe(`create database ${DB_NAME} owner ${LIMITED_ROLE}`);
  context.track(() => admin.unsafe(`drop database if exists ${DB_NAME} with (force)`));
  return databaseUrl(context.adminUrl, DB_NAME, LIMITED_ROLE);
}

/** Peak connections to the bench's database and to the whole server, sampled every 200 ms. */
function connectionSampler(admin: postgres.Sql) {
  const peak = { database: 0, server: 0 };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const [row] = await admin<{ db: number; all: number }[]>`
        select count(*) filter (where datname = ${DB_NAME})::int as db, count(*) filter (where backend_type = 'client backend')::int as all
          from pg_stat_activity`;
      peak.database = Math.max(peak.database, row?.db ?? 0);
      peak.server = Math.max(peak.server, row?.all ?? 0);
      await sleep(200);
    }
  })();
  return {
    peak,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

interface Prepared {
  crms: CrmAccount[];
  plans: Plan[];
  slugs: string[];
  secrets: string[];
  token: string;
}

async function prepareCrms(settings: CellSettings, context: CellContext): Promise<Prepared> {
  const token = `bench-${randomBytes(12).toString('hex')}`;
  const crms = await startCrms(settings.accounts, { rps: settings.rps, token });
  for (const crm of crms) context.track(() => crm.stop());
  const slugs = crms.map((crm) => `bench-${String(crm.index).padStart(4, '0')}`);
  const plans = slugs.map((slug) => planCalls(slug, settings.callsPerAccount, settings.known));
  for (const [i, crm] of crms.entries()) {
    seedContacts(crm, (plans[i] as Plan).knownNumbers);
    crm.expected = settings.callsPerAccount;
  }
  const secrets = slugs.map(() => `bench-secret-${randomBytes(12).toString('hex')}`);
  return { crms, plans, slugs, secrets, token };
}

async function startCluster(settings: CellSettings, context: CellContext, prepared: Prepared) {
  const url = await freshDatabase(settings, context);
  const dataDir = await mkdtemp(join(tmpdir(), 'calltrail-bench-scale-'));
  context.track(() => rm(dataDir, { recursive: true, force: true }));
  const options: ClusterOptions = {
    databaseUrl: url,
    dataDir,
    adminToken: `bench-admin-${randomBytes(12).toString('hex')}`,
    secretsKeys: generateKeyLine('bench'),
    secret: `bench-secret-${randomBytes(12).toString('hex')}`,
    config: settings.nightly ? {} : { reconcile: { enabled: false } },
    databasePoolSize: settings.databasePoolSize,
    accountPoolSize: settings.accountPoolSize,
  };
  const track = (p: Process) => {
    context.track(() => p.stop());
    return p;
  };
  const first = track(await startProcess(options));
  let t = performance.now();
  for (const [i, crm] of prepared.crms.entries()) {
    const spec = { slug: prepared.slugs[i] as string, crmUrl: crm.url, token: prepared.token, rps: settings.rps, secret: prepared.secrets[i] as string };
    await addAccount(first, options.adminToken, { ...spec, config: { ...options.config, crm: { batch_size: settings.batch } } });
  }
  const accountsMs = performance.now() - t;
  t = performance.now();
  // One after another: each boot opens a connection per account to check its migrations, on top of the pools.
  const processes = [first];
  while (processes.length < settings.processes) {
    const started = await startProcess(options).catch((error: Error) => {
      throw new Error(`process ${processes.length + 1} of ${settings.processes}: ${error.message}`);
    });
    processes.push(track(started));
  }
  await waitForAccounts(processes, prepared.slugs, options.adminToken);
  return { processes, options, setup: { accountsMs, processesMs: performance.now() - t } };
}

interface DatabaseCounters {
  commits: number;
  rowsWritten: number;
}

async function databaseCounters(admin: postgres.Sql): Promise<DatabaseCounters> {
  const [row] = await admin<{ commits: string; rows: string }[]>`
    select xact_commit as commits, tup_inserted + tup_updated + tup_deleted as rows from pg_stat_database where datname = ${DB_NAME}`;
  return { commits: Number(row?.commits ?? 0), rowsWritten: Number(row?.rows ?? 0) };
}

/** Until every account's last call is on its CRM, or it cannot be (a block, the cap). */
async function awaitDelivery(crms: CrmAccount[], capMs: number, since: number): Promise<string | null> {
  for (;;) {
    if (crms.every((crm) => crm.doneAt !== null)) return null;
    const blocked = crms.filter((crm) => crm.sandbox.stats().blocked).length;
    if (blocked) return `${blocked} sandbox accounts blocked the service (403)`;
    if (performance.now() - since > capMs) {
      const left = crms.filter((crm) => crm.doneAt === null).length;
      return `${left} accounts not fully delivered ${capMs / 1000} s after the last webhook`;
    }
    await sleep(POLL_MS);
  }
}

/**
 * For a call on the CRM twice: its notes, whether its number was known, and every attempt the
 * ledger recorded for it — what the run leaves to explain it once the database is dropped.
 */
async function duplicateDetails(url: string, slug: string, crm: CrmAccount, plan: Plan): Promise<string[]> {
  const found = duplicates(crm, 3);
  if (!found.length) return [];
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const lines: string[] = [];
  try {
    for (const { uniq, notes } of found) {
      const call = plan.calls.find((c) => c.uniq === uniq);
      lines.push(`${slug}: ${uniq} (${call ? (call.known ? 'known number' : 'unknown number') : 'not a bench call'}) on ${notes.join('; ')}`);
      const attempts = await sql.unsafe<{ step: string; outcome: string; http_status: number | null; detail: string | null; at: Date }[]>(
        `select a.step, a.outcome, a.http_status, a.detail, a.at from "${accountSchema(slug)}".delivery_attempts a
           join "${accountSchema(slug)}".deliveries d on d.id = a.delivery_id where d.uniq = $1 order by a.at, a.id`,
        [uniq],
      );
      for (const a of attempts) lines.push(`  attempt ${a.at.toISOString()} ${a.step} ${a.outcome} ${a.http_status ?? '-'} ${(a.detail ?? '').slice(0, 160)}`);
      const rows = await sql.unsafe<{ id: string; state: string; attempts: number; delivered_at: Date | null }[]>(
        `select id, state, attempts, delivered_at from "${accountSchema(slug)}".deliveries where uniq = $1`,
        [uniq],
      );
      for (const r of rows) lines.push(`  delivery ${r.id}: ${r.state}, ${r.attempts} attempts, delivered ${r.delivered_at?.toISOString() ?? '-'}`);
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
  return lines;
}

async function reconcileFindings(url: string, slugs: string[]): Promise<Record<string, number>> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const totals: Record<string, number> = {};
  try {
    for (const slug of slugs) {
      const rows = await sql.unsafe<{ kind: string; n: number }[]>(
        `select kind, count(*)::int as n from "${accountSchema(slug)}".reconcile_findings group by kind`,
      );
      for (const r of rows) totals[r.kind] = (totals[r.kind] ?? 0) + r.n;
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
  return totals;
}

async function ledgerProblems(url: string, slugs: string[], calls: number): Promise<string[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const problems: string[] = [];
  try {
    for (const slug of slugs) {
      const rows = await sql.unsafe<{ state: string; n: number }[]>(`select state, count(*)::int as n from "${accountSchema(slug)}".deliveries group by state`);
      const states = Object.fromEntries(rows.map((r) => [r.state, r.n]));
      if ((states.delivered ?? 0) !== calls || rows.length !== 1) problems.push(`${slug}: deliveries ${JSON.stringify(states)}, expected ${calls} delivered`);
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
  return problems;
}

/**
 * Everything checked after a cell: the webhooks, every CRM's notes and contacts, every account's
 * deliveries, calls found twice (with their history), reconciliation findings, and a clean stop.
 */
async function checkCell(
  context: CellContext,
  prepared: Prepared,
  processes: Process[],
  load: LoadResult,
  stuck: string | null,
  calls: number,
): Promise<{ problems: string[]; findings: Record<string, number> }> {
  const url = databaseUrl(context.adminUrl, DB_NAME);
  const problems: string[] = [];
  if (stuck) problems.push(stuck);
  if (load.failed) problems.push(`${load.failed} webhooks not processed, e.g. ${load.failures.join(' | ')}`);
  for (const [i, crm] of prepared.crms.entries()) {
    const plan = prepared.plans[i] as Plan;
    for (const problem of verifyCrm(crm, plan.calls, { known: plan.knownNumbers, unknown: plan.unknownNumbers })) {
      problems.push(`${prepared.slugs[i]}: ${problem}`);
    }
  }
  problems.push(...(await ledgerProblems(url, prepared.slugs, calls)));
  for (const [i, crm] of prepared.crms.entries()) {
    problems.push(...(await duplicateDetails(url, prepared.slugs[i] as string, crm, prepared.plans[i] as Plan)));
  }
  const findings = await reconcileFindings(url, prepared.slugs);
  for (const [i, p] of processes.entries()) {
    const code = await p.stop();
    if (code !== 0) problems.push(`process ${i + 1} exited with ${code} on SIGTERM: ${p.log.tail.join(' / ')}`);
  }
  return { problems, findings };
}

/** The processes serving the accounts with no call arriving: what every account's tick costs. */
async function idleCores(context: CellContext, processes: Process[], seconds: number): Promise<Cores | null> {
  if (seconds <= 0) return null;
  const probe = await probeCores(
    context.admin,
    DB_NAME,
    processes.map((p) => p.pid),
  );
  await sleep(seconds * 1000);
  return probe();
}

export async function runCell(settings: CellSettings, context: CellContext): Promise<CellResult> {
  const prepared = await prepareCrms(settings, context);
  const { processes, setup } = await startCluster(settings, context, prepared);
  const idle = await idleCores(context, processes, settings.idleSeconds);
  const perAccount: Target[][] = prepared.plans.map((plan, account) =>
    plan.calls.map((call) => ({ account, slug: prepared.slugs[account] as string, secret: prepared.secrets[account] as string, call })),
  );
  const sampler = connectionSampler(context.admin);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const pids = processes.map((p) => p.pid);
  const countersBefore = await databaseCounters(context.admin);
  const wholeProbe = await probeCores(context.admin, DB_NAME, pids);
  const ingestProbe = await probeCores(context.admin, DB_NAME, pids);
  const load = await sendAll(
    processes.map((p) => p.url),
    interleave(perAccount),
    settings.concurrency,
    settings.accounts,
  );
  const ingestCores = await ingestProbe();
  // A webhook refused (an overloaded database) has no call to deliver: wait for those that were taken.
  for (const [i, crm] of prepared.crms.entries()) {
    crm.expected = load.perAccount[i]?.acknowledged ?? 0;
    if (crm.doneAt === null && crm.sandbox.stats().notesWritten >= crm.expected) crm.doneAt = crm.lastNoteAt ?? performance.now();
  }
  const stuck = await awaitDelivery(prepared.crms, settings.deliveryCapMs, load.endedAt);
  const wholeCores = await wholeProbe();
  loop.disable();
  // pg_stat_database is sent by each backend at the end of a transaction, at most every second or so.
  await sleep(1500);
  const countersAfter = await databaseCounters(context.admin);
  await sampler.stop();
  const [max] = await context.admin<{ n: number }[]>`select current_setting('max_connections')::int as n`;

  const { problems, findings } = await checkCell(context, prepared, processes, load, stuck, settings.callsPerAccount);

  const stats = prepared.crms.map((crm) => crm.sandbox.stats());
  const deliveredPerAccount = prepared.crms.map((crm, i) =>
    crm.doneAt === null ? 0 : crm.expected / ((crm.doneAt - (load.perAccount[i]?.firstSentAt ?? Number.NaN)) / 1000),
  );
  const requestRatePerAccount = prepared.crms.map((crm, i) =>
    crm.doneAt === null || crm.firstRequestAt === null ? 0 : (stats[i]?.requests ?? 0) / ((crm.doneAt - crm.firstRequestAt) / 1000),
  );
  const lastNote = Math.max(...prepared.crms.map((crm) => crm.doneAt ?? Number.NaN));
  return {
    settings,
    setup,
    load,
    ingestRate: load.acknowledged / ((load.endedAt - load.startedAt) / 1000),
    deliveredPerAccount,
    requestRatePerAccount,
    lagMs: prepared.crms.map((crm, i) => (crm.doneAt ?? Number.NaN) - (load.perAccount[i]?.lastAckAt ?? Number.NaN)),
    deliveredTotalRate: load.acknowledged / ((lastNote - load.startedAt) / 1000),
    crm: {
      requests: stats.reduce((sum, s) => sum + s.requests, 0),
      tooMany: stats.reduce((sum, s) => sum + tooMany(s), 0),
      blocked: stats.filter((s) => s.blocked).length,
      notes: stats.reduce((sum, s) => sum + s.notesWritten, 0),
    },
    database: { commits: countersAfter.commits - countersBefore.commits, rowsWritten: countersAfter.rowsWritten - countersBefore.rowsWritten },
    connections: {
      peakDatabase: sampler.peak.database,
      peakServer: sampler.peak.server,
      poolMax: poolMax(settings),
      maxConnections: max?.n ?? 0,
    },
    cpu: { idle, ingest: ingestCores, whole: wholeCores },
    loopDelayMs: { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
    problems,
    findings,
    logLines: processes.reduce((sum, p) => sum + p.log.count, 0),
    logTail: processes.flatMap((p) => p.log.tail).slice(-5),
  };
}

/** The most connections the processes' pools may open: M × (DATABASE_POOL_SIZE + ACCOUNT_POOL_SIZE × N). */
export function poolMax(s: Pick<CellSettings, 'processes' | 'accounts' | 'databasePoolSize' | 'accountPoolSize'>): number {
  return s.processes * (s.databasePoolSize + s.accountPoolSize * s.accounts);
}
