/**
 * Live bench: the real service (node bin/calltrail.mjs serve, PostgreSQL) between a PBX sending
 * ringing calls and a stand-in amoCRM that holds amoCRM's request limit. See README.md.
 *
 *   node --import tsx bench/live/run.ts [--calls 1000] [--rate 20] [--rps 7] [--lookup-rate 500] [--lookup-seconds 10] [--numbers 100]
 *
 * 1. Screen pops: `--calls` ringing calls at `--rate` a second through the generic webhook
 *    (`call.ringing`, each its own caller, extension 101 → user 1001); for each, the time from the
 *    ring's send to its pop event arriving at the CRM. Baseline in the same run: the same events
 *    posted straight to a stand-in CRM without a limit (the network's own floor).
 * 2. Caller lookups from the cache: `--numbers` callers looked up once (filling the cache through
 *    the CRM), then `GET /v1/lookup` at `--lookup-rate` a second for `--lookup-seconds`, latency
 *    from each request's scheduled start. Baseline: a bare Hono handler answering the same JSON.
 *
 * Exits 1 when a correctness check fails (a pop missing or sent twice, a 429, a lookup not from
 * the cache); a missed goal (p99 ≤ 300 ms for pops, ≤ 50 ms for lookups) is only reported.
 * @module
 */
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { startService } from '../delivery/processes';
import { REPO_ROOT } from '../ingest/service.mjs';
import { machineInfo } from '../ingest/sys.mjs';
import { type FakeCrm, startFakeCrm } from './crm';

const { values: flags } = parseArgs({
  options: {
    calls: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '20' },
    rps: { type: 'string', default: '7' },
    'lookup-rate': { type: 'string', default: '500' },
    'lookup-seconds': { type: 'string', default: '10' },
    numbers: { type: 'string', default: '100' },
  },
});
const num = (name: keyof typeof flags, min: number, max: number) => {
  const value = Number(flags[name]);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`--${name} expects an integer from ${min} to ${max}, got "${flags[name]}"`);
  return value;
};
const settings = {
  calls: num('calls', 1, 100_000),
  rate: num('rate', 1, 500),
  rps: num('rps', 1, 50),
  lookupRate: num('lookup-rate', 1, 5000),
  lookupSeconds: num('lookup-seconds', 1, 600),
  numbers: num('numbers', 1, 10_000),
};

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const DB = 'calltrail_bench_live';
const SECRET = `bench-secret-${randomBytes(12).toString('hex')}`;
const LOOKUP_TOKEN = `bench-lookup-${randomBytes(12).toString('hex')}`;
const POP_WAIT_MS = 15_000;

const cleanups: (() => Promise<unknown>)[] = [];
async function cleanUp() {
  while (cleanups.length) await (cleanups.pop() as () => Promise<unknown>)().catch((e: Error) => console.error(`cleanup: ${e.message}`));
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}
const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN };
};

/** Calls `send(i)` at `rate` a second, each at its scheduled time (open loop); resolves when all answered. */
async function openLoop(count: number, rate: number, send: (i: number, scheduledAt: number) => Promise<void>): Promise<void> {
  const start = performance.now() + 50;
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const at = start + (i * 1000) / rate;
    const wait = at - performance.now();
    if (wait > 1) await sleep(wait);
    pending.push(send(i, at));
  }
  await Promise.all(pending);
}

/** The generic webhook's signature (src/pbx/generic/signature.ts), computed here independently. */
function signatureHeader(secret: string, body: string): string {
  const t = Math.floor(Date.now() / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

const phoneOf = (prefix: string, i: number) => `+7${prefix}${String(i).padStart(7, '0')}`;

interface PopResult {
  latencies: number[];
  missing: number;
  errors: number;
}

async function ringThroughService(serviceUrl: string, crm: FakeCrm): Promise<PopResult> {
  const sent = new Map<string, number>();
  let errors = 0;
  await openLoop(settings.calls, settings.rate, async (i) => {
    const phone = phoneOf('916', i);
    const body = JSON.stringify({
      type: 'call.ringing',
      call_id: `bench-ring-${i}`,
      direction: 'inbound',
      from: phone,
      to: '+74950000001',
      extensions: ['101'],
      at: new Date().toISOString(),
    });
    sent.set(phone, performance.now());
    const res = await fetch(`${serviceUrl}/v1/pbx/generic/events`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-calltrail-signature': signatureHeader(SECRET, body) },
    });
    await res.arrayBuffer();
    if (res.status !== 202) errors++;
  });
  const deadline = performance.now() + POP_WAIT_MS;
  while (crm.pops.size < sent.size && performance.now() < deadline) await sleep(100);
  const latencies = [...sent].flatMap(([phone, at]) => {
    const arrived = crm.pops.get(phone);
    return arrived === undefined ? [] : [arrived - at];
  });
  return { latencies, missing: sent.size - latencies.length, errors };
}

async function ringStraight(crm: FakeCrm): Promise<PopResult> {
  const sent = new Map<string, number>();
  let errors = 0;
  await openLoop(settings.calls, settings.rate, async (i) => {
    const phone = phoneOf('917', i);
    sent.set(phone, performance.now());
    const res = await fetch(`${crm.url}/api/v2/events`, {
      method: 'POST',
      body: JSON.stringify({ add: [{ type: 'phone_call', phone_number: phone, users: [1001] }] }),
      headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
    });
    await res.arrayBuffer();
    if (!res.ok) errors++;
  });
  const latencies = [...sent].flatMap(([phone, at]) => {
    const arrived = crm.pops.get(phone);
    return arrived === undefined ? [] : [arrived - at];
  });
  return { latencies, missing: sent.size - latencies.length, errors };
}

interface LookupResult {
  latencies: number[];
  errors: number;
  notCached: number;
}

async function hammerLookups(url: string, token: string | null): Promise<LookupResult> {
  const latencies: number[] = [];
  let errors = 0;
  let notCached = 0;
  const count = settings.lookupRate * settings.lookupSeconds;
  await openLoop(count, settings.lookupRate, async (i, scheduledAt) => {
    const phone = phoneOf('916', i % settings.numbers);
    try {
      const res = await fetch(`${url}/v1/lookup?phone=${encodeURIComponent(phone)}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
      const body = (await res.json()) as { answered_from?: string; route?: string };
      latencies.push(performance.now() - scheduledAt);
      if (res.status !== 200) errors++;
      else if (body.answered_from !== 'cache' || body.route !== '101') notCached++;
    } catch {
      errors++;
    }
  });
  return { latencies, errors, notCached };
}

async function startBare(): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/live/bare.ts'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the bare server exited with ${code}`)));
  });
  const { url } = JSON.parse(line) as { url: string };
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

const ms = (v: number) => (Number.isNaN(v) ? 'n/a' : `${v.toFixed(1)} ms`);

async function main() {
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${DB} with (force)`);
  await admin.unsafe(`create database ${DB}`);
  cleanups.push(async () => {
    await admin.unsafe(`drop database if exists ${DB} with (force)`);
    await admin.end();
  });
  const dataDir = await mkdtemp(join(tmpdir(), 'calltrail-bench-live-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const crm = await startFakeCrm(settings.rps);
  cleanups.push(() => crm.close());
  const floorCrm = await startFakeCrm(1_000_000);
  cleanups.push(() => floorCrm.close());
  const databaseUrl = ADMIN_URL.replace(/\/[^/]*$/, `/${DB}`);
  const service = await startService({
    databaseUrl,
    dataDir,
    crmUrl: crm.url,
    token: 'bench-crm-token',
    rps: settings.rps,
    adminToken: `bench-admin-${randomBytes(12).toString('hex')}`,
    secret: SECRET,
    config: JSON.stringify({ extensions: { '101': 1001 }, live: { lookup: { default_route: '100' } } }),
    env: { LOOKUP_TOKEN },
  });
  cleanups.push(() => service.stop());

  console.log(`ringing ${settings.calls} calls at ${settings.rate}/s through the service (amoCRM limit ${settings.rps} requests/s)…`);
  const pops = await ringThroughService(service.url, crm);
  const eventRequests = crm.requests.get('POST /api/v2/events') ?? 0;
  const busiest = crm.busiestSecond();
  console.log('the same rings straight to a CRM without a limit (baseline)…');
  const floor = await ringStraight(floorCrm);

  console.log(`filling the caller cache with ${settings.numbers} callers…`);
  for (let i = 0; i < settings.numbers; i++) {
    const res = await fetch(`${service.url}/v1/lookup?phone=${encodeURIComponent(phoneOf('916', i))}`, {
      headers: { authorization: `Bearer ${LOOKUP_TOKEN}` },
    });
    await res.arrayBuffer();
  }
  console.log(`GET /v1/lookup at ${settings.lookupRate}/s for ${settings.lookupSeconds} s: the service, then a bare Hono handler…`);
  const lookups = await hammerLookups(service.url, LOOKUP_TOKEN);
  const bare = await startBare();
  cleanups.push(() => bare.stop());
  const bareLookups = await hammerLookups(bare.url, null);

  const p = stats(pops.latencies);
  const f = stats(floor.latencies);
  const l = stats(lookups.latencies);
  const b = stats(bareLookups.latencies);
  const m = machineInfo();
  console.log(`
calltrail live bench — ${new Date().toISOString()}
machine: ${m.cpus} × ${m.model}, Node ${m.node}, PostgreSQL at ${ADMIN_URL.replace(/\/\/[^@]*@/, '//')}
command: node --import tsx bench/live/run.ts --calls ${settings.calls} --rate ${settings.rate} --rps ${settings.rps} --lookup-rate ${settings.lookupRate} --lookup-seconds ${settings.lookupSeconds} --numbers ${settings.numbers}

screen pops (ring sent → pop event at the CRM), ${settings.calls} calls at ${settings.rate}/s
                         p50        p99        max      missing
  calltrail          ${ms(p.p50).padStart(9)} ${ms(p.p99).padStart(10)} ${ms(p.max).padStart(10)}   ${pops.missing}   (goal p99 ≤ 300 ms)
  baseline (direct)  ${ms(f.p50).padStart(9)} ${ms(f.p99).padStart(10)} ${ms(f.max).padStart(10)}   ${floor.missing}
  CRM requests for the pops: ${eventRequests} (${(settings.calls / Math.max(1, eventRequests)).toFixed(1)} events each), busiest second ${busiest} of ${settings.rps} allowed, 429s ${crm.refused}

caller lookups from the cache, ${settings.lookupRate} req/s for ${settings.lookupSeconds} s
                         p50        p99        max      errors
  calltrail          ${ms(l.p50).padStart(9)} ${ms(l.p99).padStart(10)} ${ms(l.max).padStart(10)}   ${lookups.errors}   (goal p99 ≤ 50 ms)
  bare Hono handler  ${ms(b.p50).padStart(9)} ${ms(b.p99).padStart(10)} ${ms(b.max).padStart(10)}   ${bareLookups.errors}
`);
  const failures = [
    pops.missing > 0 && `${pops.missing} pops never reached the CRM`,
    pops.errors > 0 && `${pops.errors} ring webhooks were not accepted`,
    crm.refused > 0 && `the CRM refused ${crm.refused} requests with 429`,
    lookups.errors > 0 && `${lookups.errors} lookups failed`,
    lookups.notCached > 0 && `${lookups.notCached} lookups were not answered from the cache`,
  ].filter(Boolean);
  for (const f of failures) console.error(`FAILED: ${f}`);
  return failures.length ? 1 : 0;
}

process.on('SIGINT', () => void cleanUp().then(() => process.exit(130)));
main()
  .then(async (code) => {
    await cleanUp();
    process.exit(code);
  })
  .catch(async (error: Error) => {
    console.error(error);
    await cleanUp();
    process.exit(1);
  });
