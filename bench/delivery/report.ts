/**
 * The printed summary: figures, goals (MET / MISSED, never fatal) and correctness checks (fatal).
 * @module
 */
import { WINDOW_GUARD_MS } from './baseline';
import type { MachineInfo } from '../ingest/sys.mjs';
import type { SandboxStats } from './crm';

export const GOALS = { knownRequestsPerCall: 0.03, mixedOfLimit: 0.8 };

export interface Settings {
  calls: number;
  known: number;
  rps: number;
  batch: number;
}

export interface Cores {
  service?: number;
  sandbox: number;
  postgres: number;
  bench: number;
  other: number;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  problems: string[];
}

export interface ScenarioResult {
  name: 'known' | 'mixed';
  calls: number;
  knownCalls: number;
  unknownNumbers: number;
  contactsSeeded: number;
  /** Contacts in the sandbox afterwards minus those seeded: what the service created. */
  contactsCreated: number;
  setup: { seedMs: number; ingestMs: number; startMs: number };
  /** From the service answering /health to the poll that saw delivered = N. */
  seconds: number;
  stats: SandboxStats;
  /** Sandbox requests already counted when the service answered /health. */
  requestsAtHealthy: number;
  /** When the first CRM request was seen by the 250 ms poll, after healthy (ms). */
  firstRequestSeenMs: number | null;
  /** Longest run of polls without a new CRM request, during delivery (ms, 250 ms resolution). */
  longestQuietMs: number;
  cpu: Cores;
  checks: Check[];
  serviceLog: { count: number; tail: string[] };
}

export interface BaselineResult {
  calls: number;
  seconds: number;
  requests: number;
  stats: SandboxStats;
  cpu: Cores;
  check: Check;
}

export interface Context {
  settings: Settings;
  machine: MachineInfo;
  database: { version: string; host: string };
  command: string;
  cwd: string;
}

const fixed = (value: number | undefined, digits = 1) => (value !== undefined && Number.isFinite(value) ? value.toFixed(digits) : '-');
const pad = (text: string | number, width: number) => String(text).padStart(width);
const percent = (value: number) => `${fixed(value * 100)} %`;
const LABEL = 22;
const NOISY_OTHER_CORES = 0.2;

function tooMany(stats: SandboxStats): number {
  return Math.max(stats.byStatus['429'] ?? 0, stats.rateLimited);
}

export function printSummary(context: Context, scenarios: ScenarioResult[], baseline: BaselineResult | null): boolean {
  const { settings, machine, database } = context;
  const limit = settings.rps * settings.batch;
  const out: string[] = [];
  out.push('', 'calltrail delivery benchmark', '');
  out.push(`  machine    ${machine.cpus} CPUs (${machine.model}), Linux ${machine.kernel}, Node ${machine.node}`);
  out.push(`  database   PostgreSQL ${database.version} at ${database.host}`);
  out.push(`  command    ${context.command}   (from ${context.cwd === '.' ? 'the repository root' : context.cwd})`);
  const unknownShare = 1 - settings.known;
  out.push(
    `  setup      ${settings.calls} settled calls per scenario, in the ledger before the service starts;` +
      ` known: 100 % from known numbers; mixed: ${percent(settings.known)} known, ${percent(unknownShare)} from distinct unknown numbers`,
  );
  out.push(`             sandbox CRM: calltrail sandbox-crm --rps ${settings.rps} --seed none --unknown partial, a fresh process per run`);
  out.push(
    `             service: calltrail serve, AMOCRM_RPS=${settings.rps}, batch_size ${settings.batch}, unknown callers: contact (default), LOG_LEVEL=warn`,
  );
  out.push(
    `             baseline: a bare fetch loop, batches of ${settings.batch}, one in flight, starts ${fixed(1000 / settings.rps)} ms apart and` +
      ` ≥ ${1000 + WINDOW_GUARD_MS} ms after the start ${settings.rps} requests earlier`,
  );
  out.push(`             physical limit: rps × batch = ${settings.rps} × ${settings.batch} = ${limit} calls/s`);
  for (const s of scenarios) {
    out.push(
      `  ${s.name.padEnd(9)}  ${s.contactsSeeded} contacts seeded in ${fixed(s.setup.seedMs / 1000)} s, ${s.calls} calls ingested in ${fixed(s.setup.ingestMs / 1000)} s,` +
        ` service healthy ${fixed(s.setup.startMs / 1000)} s after spawn`,
    );
  }
  out.push('');

  const header = [
    `  ${''.padEnd(LABEL)}${pad('calls/s', 8)}${pad('of limit', 9)}${pad('of base', 8)}${pad('time s', 8)}${pad('CRM req', 8)}${pad('req/call', 9)}${pad('req/s', 7)}${pad('429', 5)}${pad('blocked', 8)}` +
      `   ${['service', 'sandbox', 'postgres', 'bench', 'other'].map((h) => pad(h, 9)).join('')}`,
  ];
  out.push(`  ${''.padEnd(LABEL)}${pad('', 70)}   ${pad('CPU, cores', 45)}`, ...header);
  const row = (label: string, calls: number, seconds: number, stats: SandboxStats, cpu: Cores) => {
    const rate = calls / seconds;
    const cores = [cpu.service, cpu.sandbox, cpu.postgres, cpu.bench, cpu.other].map((c) => pad(fixed(c, 2), 9)).join('');
    return (
      `  ${label.padEnd(LABEL)}${pad(fixed(rate), 8)}${pad(percent(rate / limit), 9)}` +
      `${pad(baseline ? percent(rate / (baseline.calls / baseline.seconds)) : '-', 8)}${pad(fixed(seconds), 8)}${pad(stats.requests, 8)}` +
      `${pad(fixed(stats.requests / calls, 4), 9)}${pad(fixed(stats.requests / seconds, 2), 7)}${pad(tooMany(stats), 5)}${pad(stats.blocked ? 'YES' : 'no', 8)}   ${cores}`
    );
  };
  for (const s of scenarios) out.push(row(`${s.name}: service`, s.calls, s.seconds, s.stats, s.cpu));
  if (baseline) out.push(row('baseline: bare client', baseline.calls, baseline.seconds, baseline.stats, baseline.cpu));
  out.push('', "  CRM requests by route (and answers by status), from the sandbox's counters");
  const routes = (stats: SandboxStats) =>
    `${
      Object.entries(stats.byRoute)
        .map(([route, n]) => `${route} ${n}`)
        .join(', ') || 'none'
    }` +
    `  [${Object.entries(stats.byStatus)
      .map(([status, n]) => `${status}: ${n}`)
      .join(', ')}]`;
  for (const s of scenarios) {
    const contactPosts = s.stats.byRoute['POST /api/v4/contacts'] ?? 0;
    const created = contactPosts ? `; ${s.contactsCreated} contacts created, ${fixed(s.contactsCreated / contactPosts)} per POST /api/v4/contacts` : '';
    out.push(`    ${s.name.padEnd(9)}${routes(s.stats)}${created}`);
  }
  if (baseline) out.push(`    ${'baseline'.padEnd(9)}${routes(baseline.stats)}`);

  out.push(
    '',
    '  time s: service scenarios from the service answering /health to the poll (every 250 ms) that saw',
    '  delivered = N; the service starts draining as it starts, so this approximates the window from its',
    '  first CRM request to its last. Baseline: first request start to last answer.',
  );
  for (const s of scenarios) {
    out.push(
      `    ${s.name.padEnd(9)}requests counted at healthy: ${s.requestsAtHealthy}; first request seen ${s.firstRequestSeenMs === null ? '-' : `≤ ${s.firstRequestSeenMs} ms`} after healthy;` +
        ` longest stretch without a new CRM request: ~${s.longestQuietMs} ms (250 ms polls)`,
    );
  }
  // The service spaces request starts 1000/rps ms apart plus a 3 % margin (src/crm/limiter.ts).
  const pace = settings.rps / 1.03;
  out.push(`  pacing: the service's own ceiling is ${fixed(pace, 2)} req/s (1000/rps ms between starts + 3 % margin); with the`);
  out.push('  requests it chose to make, that allows at most calls ÷ (requests ÷ ceiling) calls/s:');
  for (const s of scenarios) {
    const bound = s.calls / (s.stats.requests / pace);
    out.push(
      `    ${s.name.padEnd(9)}${fixed(s.stats.requests / s.seconds, 2)} req/s = ${percent(s.stats.requests / s.seconds / pace)} of ${fixed(pace, 2)};` +
        ` ${s.stats.requests} requests allow ≤ ${fixed(bound)} calls/s (${percent(bound / limit)} of the physical limit), reached ${fixed(s.calls / s.seconds)}`,
    );
  }
  out.push('  (bench = this process, polling every 250 ms; other = everything else on the machine.)');
  const measured = [...scenarios.map((s) => s.cpu), ...(baseline ? [baseline.cpu] : [])];
  if (measured.some((c) => c.other > NOISY_OTHER_CORES)) {
    out.push(`  WARNING: more than ${NOISY_OTHER_CORES} cores went to other work during some run; the machine was not quiet.`);
  }

  const goal = (met: boolean, text: string) => `  ${(met ? 'MET' : 'MISSED').padEnd(7)}${text}`;
  out.push('', 'goals');
  const known = scenarios.find((s) => s.name === 'known');
  const mixed = scenarios.find((s) => s.name === 'mixed');
  if (known) {
    const perCall = known.stats.requests / known.calls;
    out.push(
      goal(
        perCall <= GOALS.knownRequestsPerCall,
        `known: ≤ ${GOALS.knownRequestsPerCall} CRM requests per call: ${known.stats.requests} / ${known.calls} = ${fixed(perCall, 4)}`,
      ),
    );
  }
  if (mixed) {
    const share = mixed.calls / mixed.seconds / limit;
    out.push(
      goal(
        share >= GOALS.mixedOfLimit,
        `mixed: ≥ ${GOALS.mixedOfLimit * 100} % of the physical limit: ${fixed(mixed.calls / mixed.seconds)} / ${limit} calls/s = ${percent(share)}`,
      ),
    );
  }
  for (const s of scenarios)
    out.push(goal(tooMany(s.stats) === 0 && !s.stats.blocked, `${s.name}: no 429: ${tooMany(s.stats)} × 429${s.stats.blocked ? ', account BLOCKED' : ''}`));
  if (baseline) {
    const base = baseline.calls / baseline.seconds;
    for (const s of scenarios) {
      out.push(
        `  ${'info'.padEnd(7)}${s.name}: service ${fixed(s.calls / s.seconds)} calls/s = ${percent(s.calls / s.seconds / base)} of the baseline's ${fixed(base)} calls/s`,
      );
    }
    out.push(`  ${'info'.padEnd(7)}baseline: ${tooMany(baseline.stats)} × 429 (resent in the next slot)${baseline.stats.blocked ? ', account BLOCKED' : ''}`);
  }

  const checks = [...scenarios.flatMap((s) => s.checks), ...(baseline ? [baseline.check] : [])];
  out.push('', 'correctness (each call on exactly one call note; one contact per number; ledger all delivered)');
  for (const check of checks) {
    out.push(`  ${(check.ok ? 'OK' : 'FAILED').padEnd(7)}${check.name}: ${check.detail}`);
    for (const problem of check.problems) out.push(`           ${problem}`);
  }
  for (const s of scenarios) {
    if (s.serviceLog.count) {
      out.push(`  note   the ${s.name} service logged ${s.serviceLog.count} line(s) at warn level or above; last:`);
      for (const line of s.serviceLog.tail) out.push(`           ${line.slice(0, 300)}`);
    }
  }
  const allOk = checks.every((c) => c.ok);
  out.push('', allOk ? 'all correctness checks passed' : 'CORRECTNESS CHECKS FAILED', '');
  console.log(out.join('\n'));
  return allOk;
}
