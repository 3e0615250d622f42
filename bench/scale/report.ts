/**
 * The printed summaries of the scale bench and the simulation: the run's context, one row per
 * cell, goals (MET / MISSED, never fatal) and correctness checks (fatal).
 * @module
 */
import type { CellResult, CellSettings, Cores } from './cell';
import type { RunContext } from './harness';

export const fixed = (value: number | undefined, digits = 1) => (value !== undefined && Number.isFinite(value) ? value.toFixed(digits) : '-');
export const pad = (text: string | number, width: number) => String(text).padStart(width);
export const percent = (value: number) => `${fixed(value * 100)} %`;

export function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!sorted.length) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export const worst = (values: number[]) => Math.min(...values);

/** The CRM's ceiling per account: every request a full batch, every slot of the rate used. */
export const crmLimit = (s: Pick<CellSettings, 'rps' | 'batch'>) => s.rps * s.batch;

export function contextLines(title: string, context: RunContext, s: CellSettings): string[] {
  const { machine, database } = context;
  const unknown = 1 - s.known;
  return [
    '',
    title,
    '',
    `  machine    ${machine.cpus} CPUs (${machine.model}), Linux ${machine.kernel}, Node ${machine.node}`,
    `  database   PostgreSQL ${database.version} at ${database.host}, max_connections ${database.maxConnections}`,
    `  command    ${context.command}   (from ${context.cwd === '.' ? 'the repository root' : context.cwd})`,
    `  CRM        one sandbox amoCRM per account, served by this process on a port each: ${s.rps} requests/s, a 403 block after five 429s in a minute;`,
    `             limit per account ${s.rps} requests/s × ${s.batch} calls per batch = ${crmLimit(s)} calls/s`,
    `  calls      ${percent(s.known)} from known numbers (contacts seeded, up to 1,000 per account), ${percent(unknown)} each from a number of its own` +
      ' (the service makes the contact, then the note)',
    '  service    M × `calltrail serve --role all` on one fresh PostgreSQL database, accounts added with POST /v1/accounts,' +
      ` DATABASE_POOL_SIZE=${s.databasePoolSize}, LOG_LEVEL=warn;`,
    `             ACCOUNT_POOL_SIZE per row (P): given, or with --account-pool auto the largest up to 4 that keeps M × (${s.databasePoolSize} + P × N) ≤ max_connections − 30 (1 at least)`,
    `  nightly    the nightly reconciliation ${s.nightly ? "ON (--nightly): yesterday's run starts when the processes start, while calls are delivered" : 'off (reconcile.enabled false; --nightly leaves it on)'}`,
    `  webhooks   signed generic call.ended (settles on arrival), interleaved across accounts, round-robin over the processes, ${s.concurrency} in flight`,
  ];
}

export const coreCells = (c: Cores | null) => (c ? [c.services, c.postgres, c.bench, c.rest].map((v) => pad(fixed(v, 2), 6)).join('') : pad('-', 24));

/** One cell's figures as a row: ingest, delivery, the CRM's answers, connections and CPU. */
export function cellRow(label: string, cell: CellResult, base: CellResult | null, width: number): string {
  const s = cell.settings;
  const delivered = cell.deliveredPerAccount;
  return (
    `  ${label.padEnd(width)}${pad(fixed(cell.ingestRate), 8)}${pad(base ? percent(cell.ingestRate / base.ingestRate) : '-', 9)}` +
    `${pad(fixed(cell.load.latencyMs.p50), 7)}${pad(fixed(cell.load.latencyMs.p99), 7)}` +
    `${pad(fixed(median(delivered)), 8)}${pad(fixed(worst(delivered)), 7)}${pad(percent(median(delivered) / crmLimit(s)), 8)}` +
    `${pad(fixed(median(cell.lagMs) / 1000), 7)}${pad(fixed(cell.deliveredTotalRate), 8)}` +
    `${pad(cell.crm.requests, 6)}${pad(cell.crm.tooMany, 5)}${pad(cell.crm.blocked, 5)}` +
    `${pad(`${cell.connections.peakDatabase}/${cell.connections.poolMax}`, 9)}   ${coreCells(cell.cpu.whole)}`
  );
}

export function cellHeader(width: number, first: string): string[] {
  return [
    `  ${''.padEnd(width)}${pad('ingest', 8)}${pad('', 9)}${pad('webhook', 14)}${pad('delivered per account', 23)}${pad('lag', 7)}${pad('total', 8)}` +
      `${pad('CRM', 6)}${pad('', 10)}${pad('DB conns', 9)}   ${pad('CPU, cores (ingest + delivery)', 24)}`,
    `  ${first.padEnd(width)}${pad('ev/s', 8)}${pad('vs first', 9)}${pad('p50 ms', 7)}${pad('p99 ms', 7)}` +
      `${pad('median', 8)}${pad('worst', 7)}${pad('of lim', 8)}${pad('med s', 7)}${pad('calls/s', 8)}` +
      `${pad('req', 6)}${pad('429', 5)}${pad('403', 5)}${pad('peak/max', 9)}   ${['svc', 'pg', 'bench', 'rest'].map((h) => pad(h, 6)).join('')}`,
  ];
}

export const LEGEND = [
  '  ingest ev/s: webhooks acknowledged ("processed": stored and applied) ÷ first send to last answer; vs first: against the first row of this run.',
  '  delivered per account: its calls ÷ (its last call note on the sandbox − its first webhook), the median and the worst of the accounts;',
  '  of lim: the median against the CRM limit. lag: its last note − its last acknowledged webhook (how far delivery trailed ingest).',
  '  total calls/s: all calls ÷ (the last note anywhere − the first webhook). CRM req / 429 / 403: summed over the sandboxes (403: accounts blocked).',
  '  DB conns: peak connections to the bench database (pg_stat_activity, every 200 ms) / the most the pools may open, M × (DATABASE_POOL_SIZE + ACCOUNT_POOL_SIZE × N).',
  '  CPU: average cores over ingest + delivery (/proc): the service processes, the PostgreSQL backends of the bench database, this process (sandboxes + load),',
  "  and the rest of the machine's busy time (PostgreSQL's WAL writer and checkpointer, other programs, the kernel).",
];

/** The checks of every cell: OK, or FAILED with the problems; true when all passed. */
export function checkLines(labelled: [string, CellResult][], out: string[]): boolean {
  let ok = true;
  out.push('', '  Checks (each call on exactly one note of its own account, one contact per number, every delivery delivered, clean exit):');
  for (const [label, cell] of labelled) {
    const s = cell.settings;
    const detail = `${cell.crm.notes} notes for ${s.accounts} × ${s.callsPerAccount} calls, ${cell.load.acknowledged}/${cell.load.sent} webhooks processed`;
    if (cell.problems.length === 0) {
      out.push(`    OK      ${label}: ${detail}`);
      continue;
    }
    ok = false;
    out.push(`    FAILED  ${label}: ${detail}`);
    for (const problem of cell.problems.slice(0, 30)) out.push(`            - ${problem}`);
    if (cell.problems.length > 30) out.push(`            … and ${cell.problems.length - 30} more`);
  }
  out.push('', "  The sandboxes' clock: they run in this process and stamp a request's arrival when its event loop gets to it; its delay during each row:");
  for (const [label, cell] of labelled) out.push(`    ${label}: p99 ${fixed(cell.loopDelayMs.p99)} ms, max ${fixed(cell.loopDelayMs.max)} ms`);
  for (const [label, cell] of labelled) {
    if (Object.keys(cell.findings).length) out.push(`  reconciliation findings, ${label}: ${JSON.stringify(cell.findings)}`);
  }
  for (const [label, cell] of labelled) {
    if (cell.logLines) out.push(`  note: ${label}: the services printed ${cell.logLines} lines at warn level; last: ${cell.logTail.join(' / ').slice(0, 400)}`);
  }
  return ok;
}
