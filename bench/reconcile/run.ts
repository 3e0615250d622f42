/**
 * Reconciliation benchmark: a day of N calls in PostgreSQL (default 100,000, through the ledger's
 * own ingest), the sandbox amoCRM in its own process (`calltrail sandbox-crm`) holding the notes
 * of all but `missing` of them, `duplicates` of those twice. calltrail's reconciliation of the
 * day (in this process, as `calltrail reconcile` runs it) is timed and compared with a baseline
 * measured in the same run: a bare client reading the same note pages at the same pace and
 * diffing their uniqs against one SQL query — the least work that answers the question.
 *
 *   node --import tsx bench/reconcile/run.ts [--calls 100000] [--missing 1000] [--duplicates 500] [--rps 7]
 *
 * Figures: wall time; calltrail's own time = wall − time waiting for the rate limiter − time
 * the CRM took to answer; CRM requests (listing, and in all) against the minimum (the note
 * pages); peak RSS and heap. Exits 1 when a correctness check fails; a missed goal is reported.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { parseEnv } from '../../src/settings/env';
import { defaultIntegratorConfig } from '../../src/settings/integrator';
import { type AcquireOptions, RateLimiter, type Slot } from '../../src/crm/limiter';
import type { AppDeps } from '../../src/deps';
import { openDatabase } from '../../src/entry/node/database';
import { createLogger } from '../../src/lib/log';
import { runToEnd, startRun } from '../../src/reconcile/runs';
import { fillLedger, planCalls, seedContacts, type PlannedCall } from '../delivery/workload';
import { startSandbox, type Sandbox } from '../delivery/processes';
import { machineInfo } from '../ingest/sys.mjs';

const { values: flags } = parseArgs({
  options: {
    calls: { type: 'string', default: '100000' },
    missing: { type: 'string', default: '1000' },
    duplicates: { type: 'string', default: '500' },
    rps: { type: 'string', default: '7' },
  },
});
const N = Number(flags.calls);
const MISSING = Number(flags.missing);
const DUPLICATES = Number(flags.duplicates);
const RPS = Number(flags.rps);
for (const [name, v, min, max] of [
  ['calls', N, 1, 1_000_000],
  ['missing', MISSING, 0, N],
  ['duplicates', DUPLICATES, 0, N - MISSING],
  ['rps', RPS, 1, 50],
] as const) {
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`--${name} expects an integer from ${min} to ${max}, got ${v}`);
}

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const TOKEN = `bench-${randomBytes(12).toString('hex')}`;
const PAGE = 250;
const NOTE_TYPES = ['contacts', 'leads', 'companies', 'customers'] as const;
/** The sandbox's own limit; seeding it goes at nearly that pace, the runs at --rps. */
const SANDBOX_RPS = 50;
// The sandbox answers 504 above 100 items per batch, as amoCRM does for large ones.
const SEED_BATCH = 100;

const cleanups: (() => Promise<unknown>)[] = [];
async function cleanUp() {
  while (cleanups.length) await (cleanups.pop() as () => Promise<unknown>)().catch((e: Error) => console.error(`cleanup: ${e.message}`));
}

// Ctrl-C: the database, the data directory and the sandbox process go too.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanUp().then(() => process.exit(130)));
}

class TimedLimiter extends RateLimiter {
  waitedMs = 0;
  override async acquire(options?: AcquireOptions): Promise<Slot> {
    const t = performance.now();
    const slot = await super.acquire(options);
    this.waitedMs += performance.now() - t;
    return slot;
  }
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Puts the calls' notes into the sandbox as amoCRM's calls API would have (the bare client's way). */
async function seedNotes(url: string, calls: PlannedCall[]): Promise<void> {
  const limiter = new RateLimiter({ rps: SANDBOX_RPS - 5 });
  const batches: PlannedCall[][] = [];
  for (let i = 0; i < calls.length; i += SEED_BATCH) batches.push(calls.slice(i, i + SEED_BATCH));
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let batch = batches.shift(); batch; batch = batches.shift()) {
        await limiter.acquire();
        const response = await fetch(`${url}/api/v4/calls`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
          body: JSON.stringify(
            batch.map((c) => ({
              direction: 'inbound',
              uniq: c.uniq,
              duration: c.durationSeconds,
              source: 'calltrail',
              phone: c.phone,
              link: `https://pbx.example/${c.callId}.mp3`,
            })),
          ),
        });
        if (response.status !== 200) throw new Error(`seeding notes: POST /api/v4/calls answered ${response.status}: ${await response.text()}`);
      }
    }),
  );
}

/** The baseline: every note page read at the same pace, uniqs diffed with one query's. */
async function baseline(url: string, databaseUrl: string, accountId: string, from: Date, to: Date) {
  const limiter = new TimedLimiter({ rps: RPS });
  const started = performance.now();
  let requests = 0;
  let crmMs = 0;
  const seen = new Map<string, number>();
  for (const type of NOTE_TYPES) {
    for (let page = 1; ; page++) {
      const query = new URLSearchParams({
        'filter[updated_at][from]': String(Math.floor(from.getTime() / 1000)),
        limit: String(PAGE),
        page: String(page),
        'order[id]': 'asc',
      });
      query.append('filter[note_type][]', 'call_in');
      query.append('filter[note_type][]', 'call_out');
      await limiter.acquire();
      const t = performance.now();
      const response = await fetch(`${url}/api/v4/${type}/notes?${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const body = response.status === 204 ? null : ((await response.json()) as { _embedded: { notes: { params?: { uniq?: string } }[] } });
      crmMs += performance.now() - t;
      requests++;
      if (!body) break;
      for (const n of body._embedded.notes) if (n.params?.uniq) seen.set(n.params.uniq, (seen.get(n.params.uniq) ?? 0) + 1);
      if (body._embedded.notes.length < PAGE) break;
    }
  }
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  let missing = 0;
  let duplicated = 0;
  try {
    const rows = await sql<{ uniq: string }[]>`
      select d.uniq from deliveries d join conversations c on c.id = d.conversation_id
       where d.crm_account_id = ${accountId} and c.started_at >= ${from} and c.started_at < ${to} and d.state = 'delivered'`;
    for (const r of rows) {
      const n = seen.get(r.uniq) ?? 0;
      if (n === 0) missing++;
      else if (n > 1) duplicated++;
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
  const wallMs = performance.now() - started;
  return { wallMs, requests, crmMs, waitMs: limiter.waitedMs, ownMs: wallMs - crmMs - limiter.waitedMs, missing, duplicated };
}

async function main() {
  const started = Date.now();
  const dbName = `calltrail_bench_reconcile_${process.pid}_${Date.now().toString(36)}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${dbName}`);
  cleanups.push(async () => {
    await admin.unsafe(`drop database if exists ${dbName} with (force)`);
    await admin.end({ timeout: 5 });
  });
  const databaseUrl = new URL(ADMIN_URL);
  databaseUrl.pathname = `/${dbName}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'calltrail-bench-reconcile-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));

  const sandbox: Sandbox = await startSandbox({ token: TOKEN, rps: SANDBOX_RPS });
  cleanups.push(() => sandbox.stop());
  const env = {
    DATABASE_URL: databaseUrl.toString(),
    DATA_DIR: dataDir,
    AMOCRM_BASE_URL: sandbox.url,
    AMOCRM_LONG_LIVED_TOKEN: TOKEN,
    AMOCRM_RPS: String(RPS),
    SETTLE_SECONDS: '0',
    CONFIG: '{}',
  };

  // The day: N calls in the ledger; in the CRM all but MISSING of them, DUPLICATES twice.
  console.error(`setting up: ${N} calls in the ledger, ${N - MISSING} in the CRM (${DUPLICATES} twice)…`);
  const plan = planCalls('reconcile', N, 1);
  await seedContacts(sandbox.url, plan.knownNumbers);
  const { accountId } = await fillLedger(env, plan.calls, (close) => cleanups.push(close));
  const missing = new Set(
    plan.calls
      .filter((_, i) => i % Math.max(1, Math.floor(N / Math.max(1, MISSING))) === 0)
      .slice(0, MISSING)
      .map((c) => c.uniq),
  );
  const inCrm = plan.calls.filter((c) => !missing.has(c.uniq));
  await seedNotes(sandbox.url, [...inCrm, ...inCrm.filter((_, i) => i % Math.floor(inCrm.length / Math.max(1, DUPLICATES)) === 0).slice(0, DUPLICATES)]);
  // Every call was delivered once (a note id each; the missing ones' notes were deleted since).
  const sql = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} });
  await sql`update deliveries set state = 'delivered', delivered_at = now() - interval '1 minute', attempts = 0, next_attempt_at = null,
              crm_refs = jsonb_build_object('note_id', id, 'entity_id', 1, 'entity_type', 'contacts')`;
  await sql.end({ timeout: 5 });
  const from = new Date(Math.min(...plan.calls.map((c) => c.startedAt.getTime())) - 1000);
  const to = new Date();
  const setupMs = Date.now() - started;

  // Baseline first (same pace, same pages), then calltrail.
  const base = await baseline(sandbox.url, env.DATABASE_URL, accountId, from, to);

  const settings = parseEnv(env);
  const opened = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir, migrate: false, poolSize: 4 });
  cleanups.push(() => opened.close());
  const limiter = new TimedLimiter({ rps: RPS });
  let crmMs = 0;
  const crmFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const t = performance.now();
    try {
      const response = await fetch(input, init);
      // The body is read by the adapter: count until it is in, as the CRM's time.
      const body = await response.arrayBuffer();
      return new Response(response.status === 204 ? null : body, { status: response.status, headers: response.headers });
    } finally {
      crmMs += performance.now() - t;
    }
  }) as typeof fetch;
  const deps: AppDeps = {
    db: opened.db,
    settings,
    config: defaultIntegratorConfig(),
    log: createLogger({ level: 'warn', write: (line) => console.error(line) }),
    limiters: new Map([[settings.crm.accountId, limiter]]),
    crmFetch,
    owner: 'bench',
  };
  // The minimum: a page per 250 call notes of each entity type, one (204) for a type with none.
  const seeded = (await (await fetch(`${sandbox.url}/__sandbox/state`)).json()) as { notes: { entity_type: string; note_type: string }[] };
  const minimum = NOTE_TYPES.reduce(
    (n, t) => n + Math.max(1, Math.ceil(seeded.notes.filter((x) => x.entity_type === t && x.note_type.startsWith('call_')).length / PAGE)),
    0,
  );
  const before = (await (await fetch(`${sandbox.url}/__sandbox/stats`)).json()) as { requests: number; byRoute: Record<string, number> };
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  sample();
  const baseRss = peakRss;
  const sampler = setInterval(sample, 50);
  const t0 = performance.now();
  const { id } = await startRun(deps, { from, to }, 'manual');
  const run = await runToEnd(deps, id, { owner: 'bench', budgetMs: 600_000 });
  const wallMs = performance.now() - t0;
  clearInterval(sampler);
  sample();
  const after = (await (await fetch(`${sandbox.url}/__sandbox/stats`)).json()) as { requests: number; byRoute: Record<string, number> };
  const listing = NOTE_TYPES.reduce((n, t) => n + (after.byRoute[`GET /api/v4/${t}/notes`] ?? 0) - (before.byRoute[`GET /api/v4/${t}/notes`] ?? 0), 0);
  const ownMs = wallMs - crmMs - limiter.waitedMs;

  // Correctness: every gap found, the missing re-pushed, every call now in the CRM.
  const state = (await (await fetch(`${sandbox.url}/__sandbox/state`)).json()) as { notes: { params: { uniq?: string } }[] };
  const inCrmNow = new Set(state.notes.map((n) => n.params.uniq));
  const stillMissing = plan.calls.filter((c) => !inCrmNow.has(c.uniq)).length;
  const checks = [
    { name: `status done`, ok: run.status === 'done', got: run.status },
    {
      name: `missing_in_crm = ${MISSING} (baseline: ${base.missing})`,
      ok: run.counts.missing_in_crm === MISSING && base.missing === MISSING,
      got: run.counts.missing_in_crm ?? 0,
    },
    {
      name: `duplicate_in_crm = ${DUPLICATES} (baseline: ${base.duplicated})`,
      ok: (run.counts.duplicate_in_crm ?? 0) === DUPLICATES && base.duplicated === DUPLICATES,
      got: run.counts.duplicate_in_crm ?? 0,
    },
    { name: 'gaps remaining = 0', ok: run.gapsRemaining === 0, got: run.gapsRemaining },
    { name: 'every call in the CRM after the run', ok: stillMissing === 0, got: `${stillMissing} missing` },
    { name: `calls judged = ${N}`, ok: run.calls === N, got: run.calls },
  ];

  const m = machineInfo();
  const info = `${m.cpus} × ${m.model}, Node ${m.node}`;
  const lines = [
    '',
    `bench/reconcile — ${new Date().toISOString()} — ${info}`,
    `command: node --import tsx bench/reconcile/run.ts --calls ${N} --missing ${MISSING} --duplicates ${DUPLICATES} --rps ${RPS}   (npm run bench:reconcile)`,
    `day: ${N} calls in PostgreSQL; CRM (sandbox-crm process) holds ${N - MISSING + DUPLICATES} call notes; pace ${RPS} req/s; setup ${s(setupMs)}`,
    '',
    '                         calltrail      baseline (bare pages + one query)',
    `wall time                ${s(wallMs).padStart(10)}     ${s(base.wallMs).padStart(10)}`,
    `  rate-limit wait        ${s(limiter.waitedMs).padStart(10)}     ${s(base.waitMs).padStart(10)}`,
    `  CRM answering          ${s(crmMs).padStart(10)}     ${s(base.crmMs).padStart(10)}`,
    `  own time               ${s(ownMs).padStart(10)}     ${s(base.ownMs).padStart(10)}    goal < 60 s: ${ownMs < 60_000 ? 'met' : 'MISSED'}`,
    `CRM requests, listing    ${String(listing).padStart(10)}     ${String(base.requests).padStart(10)}    minimum ${minimum} (note pages): ${((listing / minimum - 1) * 100).toFixed(1)} % over; goal ≤ 5 %: ${listing <= minimum * 1.05 ? 'met' : 'MISSED'}`,
    `CRM requests, all        ${String(run.crmRequests).padStart(10)}                    (listing + re-push of ${MISSING}: ${after.requests - before.requests} seen by the CRM)`,
    `peak RSS                 ${mib(peakRss).padStart(10)}                    (${mib(baseRss)} before the run; peak heap ${mib(peakHeap)})`,
    `calltrail by phase       ${Object.entries(run.progress.phaseMs ?? {})
      .map(([k, v]) => `${k} ${s(v)}`)
      .join(' · ')}   (wall time, waits included)`,
    `findings                 ${JSON.stringify(run.counts)}`,
    '',
    ...checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.ok ? '' : ` — got ${String(c.got)}`}`),
  ];
  console.log(lines.join('\n'));
  return checks.every((c) => c.ok) ? 0 : 1;
}

main()
  .then(async (code) => {
    await cleanUp();
    process.exit(code);
  })
  .catch(async (error: Error) => {
    console.error(error.stack ?? error.message);
    await cleanUp();
    process.exit(1);
  });
