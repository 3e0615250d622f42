/**
 * Delivery benchmark: the real service (node bin/calltrail.mjs serve) delivering a pre-filled
 * ledger to the sandbox amoCRM (node bin/calltrail.mjs sandbox-crm) in its own process, against a
 * bare client posting the same calls at the same pace. See README.md.
 *
 *   node --import tsx bench/delivery/run.ts [--calls 10000] [--known 0.9] [--rps 7] [--batch 50]
 *
 * Exits 1 when a correctness check fails (a call missing, on two notes, a duplicate contact,
 * a delivery not delivered); a missed performance goal is only reported.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { runBaseline } from './baseline';
import { sandboxStats, verifyCrm, type SandboxStats } from './crm';
import { REPO_ROOT } from '../ingest/service.mjs';
import { cpuProbe, machineInfo, type CpuShare } from '../ingest/sys.mjs';
import { serviceEnv, startSandbox, startService, type Sandbox } from './processes';
import { printSummary, type BaselineResult, type Check, type Cores, type ScenarioResult, type Settings } from './report';
import { deliveryStates, fillLedger, planCalls, seedContacts, type Plan } from './workload';

const { values: flags } = parseArgs({
  options: {
    calls: { type: 'string', default: '10000' },
    known: { type: 'string', default: '0.9' },
    rps: { type: 'string', default: '7' },
    batch: { type: 'string', default: '50' },
  },
});

function option(name: keyof typeof flags, min: number, max: number, integer: boolean): number {
  const raw = flags[name] as string;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} expects ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

const settings: Settings = {
  calls: option('calls', 1, 1_000_000, true),
  // At least one known call: the known contacts are what the calls are spread over.
  known: option('known', 0, 1, false),
  // The service's AMOCRM_RPS range.
  rps: option('rps', 1, 50, true),
  // The integrator config's crm.batch_size range (amoCRM accepts up to 250 per request).
  batch: option('batch', 1, 250, true),
};

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const DB_PREFIX = 'calltrail_bench_delivery';
const POLL_MS = 250;
const DELIVERY_CAP_MS = 5 * 60_000;
const CRM_TOKEN = `bench-${randomBytes(12).toString('hex')}`;
const ADMIN_TOKEN = `bench-admin-${randomBytes(12).toString('hex')}`;
const WEBHOOK_SECRET = `bench-secret-${randomBytes(12).toString('hex')}`;

/**
 * Undo steps, run last-in first-out exactly once, on success, failure or Ctrl-C. One pass at a
 * time; a step pushed while it runs (a process that was starting) gets a further pass.
 */
const cleanups: (() => Promise<unknown>)[] = [];
let cleaning: Promise<void> | null = null;
async function cleanUp(): Promise<void> {
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
// Ctrl-C: clean up at once (the stopped processes make the run fail fast), and let the run's own
// ending clean up whatever it started meanwhile and exit; if it hangs, exit 20 s later anyway.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`${signal}: stopping and cleaning up`);
    void cleanUp().finally(() => setTimeout(() => process.exit(130), 20_000).unref());
  });
}
// Last resort (a driver throwing outside any promise): still stop the child processes.
process.once('uncaughtException', (error) => {
  console.error(`benchmark failed: ${error.stack ?? error}`);
  void cleanUp().finally(() => process.exit(interrupted ? 130 : 1));
});

function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function freshDatabase(admin: postgres.Sql, name: string): Promise<string> {
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
  cleanups.push(() => admin.unsafe(`drop database if exists ${name} with (force)`));
  return databaseUrl(name);
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'calltrail-bench-delivery-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function sandbox(): Promise<Sandbox> {
  const started = await startSandbox({ token: CRM_TOKEN, rps: settings.rps });
  cleanups.push(() => started.stop());
  return started;
}

/** The service's probe and the sandbox's, as one split: "other" is then neither of them. */
function cores(main: CpuShare, sandboxShare: CpuShare): Cores {
  const sandboxCores = sandboxShare.service ?? 0;
  return {
    service: main.service ?? 0,
    sandbox: sandboxCores,
    postgres: main.postgres,
    bench: main.bench,
    other: Math.max(0, main.other - sandboxCores),
  };
}

const config = JSON.stringify({ crm: { batch_size: settings.batch } });

async function crmStatus(url: string): Promise<{ status: string; deliveries: Record<string, number> }> {
  const response = await fetch(`${url}/v1/crm`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  if (!response.ok) throw new Error(`GET /v1/crm answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { status: string; deliveries: Record<string, number> };
}

async function scenario(admin: postgres.Sql, name: 'known' | 'mixed'): Promise<ScenarioResult> {
  const share = name === 'known' ? 1 : settings.known;
  const plan: Plan = planCalls(name, settings.calls, share);
  const n = plan.calls.length;
  const crm = await sandbox();

  let t = performance.now();
  await seedContacts(crm.url, plan.knownNumbers);
  const seedMs = performance.now() - t;

  const dbUrl = await freshDatabase(admin, `${DB_PREFIX}_${name}`);
  const options = {
    databaseUrl: dbUrl,
    dataDir: await tempDir(),
    crmUrl: crm.url,
    token: CRM_TOKEN,
    rps: settings.rps,
    adminToken: ADMIN_TOKEN,
    secret: WEBHOOK_SECRET,
    config,
  };
  t = performance.now();
  const filled = await fillLedger(serviceEnv(options), plan.calls, (close) => cleanups.push(close));
  const ingestMs = performance.now() - t;
  if (filled.pending !== n) throw new Error(`${name}: the ledger holds ${filled.pending} pending deliveries for ${filled.accountId}, expected ${n}`);

  t = performance.now();
  const service = await startService(options);
  cleanups.push(() => service.stop());
  const healthyAt = performance.now();
  const startMs = healthyAt - t;
  const serviceProbe = cpuProbe(service.pid);
  const sandboxProbe = cpuProbe(crm.pid);

  // Poll until everything is delivered, or it cannot be any more (failed rows, an open circuit).
  const samples: { at: number; requests: number }[] = [];
  let requestsAtHealthy = -1;
  let endedAt = 0;
  let last = { status: 'ok', deliveries: {} as Record<string, number> };
  let stuck: string | null = null;
  for (;;) {
    const [status, stats] = await Promise.all([crmStatus(service.url), sandboxStats(crm.url)]);
    const at = performance.now();
    if (requestsAtHealthy < 0) requestsAtHealthy = stats.requests;
    samples.push({ at: at - healthyAt, requests: stats.requests });
    last = status;
    const d = status.deliveries;
    const delivered = d.delivered ?? 0;
    if (delivered === n) {
      endedAt = at;
      break;
    }
    if (delivered + (d.failed ?? 0) + (d.skipped ?? 0) === n) stuck = `finished with ${JSON.stringify(d)}`;
    else if (status.status !== 'ok') stuck = `the CRM circuit is ${status.status}`;
    else if (stats.blocked) stuck = 'the sandbox blocked the account';
    else if (at - healthyAt > DELIVERY_CAP_MS) stuck = `not all delivered after ${DELIVERY_CAP_MS / 60_000} minutes`;
    if (stuck) {
      endedAt = at;
      break;
    }
    await sleep(POLL_MS);
  }
  const cpu = cores(serviceProbe(), sandboxProbe());
  const stats: SandboxStats = await sandboxStats(crm.url);
  const seconds = (endedAt - healthyAt) / 1000;
  const exitCode = await service.stop();

  const firstSeen = samples.find((s) => s.requests > 0);
  let longestQuietMs = 0;
  for (let i = 1, since = samples[0]; i < samples.length; i++) {
    const sample = samples[i] as (typeof samples)[number];
    if (!since || !firstSeen || sample.at < firstSeen.at) {
      since = sample;
      continue;
    }
    if (sample.requests > since.requests) since = sample;
    else longestQuietMs = Math.max(longestQuietMs, Math.round(sample.at - since.at));
  }

  const checks: Check[] = [];
  const verified = await verifyCrm(crm.url, plan.calls, { known: plan.knownNumbers, unknown: plan.unknownNumbers });
  checks.push({
    name: `${name}: CRM`,
    ok: verified.problems.length === 0 && !stuck,
    detail: `${verified.callNotes} call notes for ${n} calls (each uniq once), ${verified.contacts} contacts for ${plan.knownNumbers.length} known + ${plan.unknownNumbers.length} unknown numbers`,
    problems: [...(stuck ? [`delivery did not complete: ${stuck}`] : []), ...verified.problems],
  });
  const states = await deliveryStates(dbUrl, filled.accountId);
  const ledgerProblems: string[] = [];
  if ((states.delivered ?? 0) !== n) ledgerProblems.push(`${states.delivered ?? 0} delivered, expected ${n}`);
  if (states.failed) ledgerProblems.push(`${states.failed} failed`);
  const others = Object.entries(states).filter(([state]) => state !== 'delivered' && state !== 'failed');
  if (others.length) ledgerProblems.push(`also ${others.map(([state, count]) => `${count} ${state}`).join(', ')}`);
  if (exitCode !== 0) ledgerProblems.push(`the service exited with ${exitCode} on SIGTERM`);
  checks.push({
    name: `${name}: ledger`,
    ok: ledgerProblems.length === 0,
    detail: `deliveries for ${filled.accountId}: ${JSON.stringify(states)} (last /v1/crm: ${JSON.stringify(last.deliveries)}, status ${last.status})`,
    problems: ledgerProblems,
  });

  await crm.stop();
  return {
    name,
    calls: n,
    knownCalls: plan.calls.filter((c) => c.known).length,
    unknownNumbers: plan.unknownNumbers.length,
    contactsSeeded: plan.knownNumbers.length,
    contactsCreated: verified.contacts - plan.knownNumbers.length,
    setup: { seedMs, ingestMs, startMs },
    seconds,
    stats,
    requestsAtHealthy,
    firstRequestSeenMs: firstSeen ? Math.round(firstSeen.at) : null,
    longestQuietMs,
    cpu,
    checks,
    serviceLog: service.log,
  };
}

async function baseline(): Promise<BaselineResult> {
  const plan = planCalls('baseline', settings.calls, 1);
  const crm = await sandbox();
  await seedContacts(crm.url, plan.knownNumbers);
  const probe = cpuProbe(crm.pid);
  const run = await runBaseline({ url: crm.url, token: CRM_TOKEN, rps: settings.rps, batch: settings.batch, calls: plan.calls });
  const share = probe();
  const cpu: Cores = { sandbox: share.service ?? 0, postgres: share.postgres, bench: share.bench, other: share.other };
  const stats = await sandboxStats(crm.url);
  const verified = await verifyCrm(crm.url, plan.calls);
  await crm.stop();
  return {
    calls: plan.calls.length,
    seconds: run.seconds,
    requests: run.requests,
    stats,
    cpu,
    check: {
      name: 'baseline: CRM',
      ok: verified.problems.length === 0 && run.errors.length === 0 && !run.blocked,
      detail: `${verified.callNotes} call notes for ${plan.calls.length} calls (each uniq once)`,
      problems: [...run.errors.slice(0, 5), ...verified.problems],
    },
  };
}

async function main(): Promise<boolean> {
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  cleanups.push(() => admin.end({ timeout: 5 }));
  const [{ version } = { version: '?' }] = await admin<{ version: string }[]>`select current_setting('server_version') as version`;
  const argv1 = process.argv[1] ?? 'bench/delivery/run.ts';
  const context = {
    settings,
    machine: machineInfo(),
    database: { version, host: new URL(ADMIN_URL).host },
    command: ['node', ...process.execArgv, relative(process.cwd(), argv1) || argv1, ...process.argv.slice(2)].join(' '),
    cwd: relative(REPO_ROOT, process.cwd()) || '.',
  };
  const scenarios: ScenarioResult[] = [];
  for (const name of ['known', 'mixed'] as const) {
    console.error(`${name}: seeding the sandbox, filling the ledger, delivering ${settings.calls} calls…`);
    scenarios.push(await scenario(admin, name));
  }
  console.error('baseline: bare client against a fresh sandbox…');
  const base = await baseline();
  return printSummary(context, scenarios, base);
}

let exitCode = 1;
try {
  exitCode = (await main()) ? 0 : 1;
} catch (error) {
  if (!interrupted) console.error(`benchmark failed: ${(error as Error).stack ?? error}`);
} finally {
  await cleanUp();
}
process.exit(interrupted ? 130 : exitCode);
