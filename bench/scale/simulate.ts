/**
 * Where each limit is met: N accounts × M processes against the sandbox amoCRM, the same total
 * calls per cell split over the accounts, measured cell by cell exactly as bench/scale/run.ts
 * measures (fresh database, sandboxes and processes each time), then the limits read off them —
 * the CRM's per-account budget, ingest (PostgreSQL writes and the CPU they share), connections —
 * and what they come to at more accounts and processes, computed and marked so.
 * See bench/scale/README.md and docs/scaling.md.
 *
 *   node --import tsx bench/scale/simulate.ts [--accounts 1,4,20] [--processes 1,4] [--total 6000]
 *        [--known 0.9] [--concurrency 32] [--db-pool 2] [--account-pool auto] [--rps 7] [--batch 50]
 *        [--idle 5] [--nightly] [--overcommit-limit 22] [--overcommit-accounts 4] [--overcommit-processes 4]
 *
 * Exits 1 when a correctness check of a measured cell fails (the over-the-limit cell is expected
 * to lose webhooks: what it loses is printed, not checked).
 * @module
 */
import { parseArgs } from 'node:util';
import { type CellResult, type CellSettings, type Cores, poolMax, runCell } from './cell';
import { accountPool, cleanUp, harness, list, number, type RunContext } from './harness';
import { cellHeader, cellRow, checkLines, contextLines, crmLimit, fixed, LEGEND, median, pad, percent, worst } from './report';

const { values: flags } = parseArgs({
  options: {
    accounts: { type: 'string', default: '1,4,20' },
    processes: { type: 'string', default: '1,4' },
    total: { type: 'string', default: '6000' },
    known: { type: 'string', default: '0.9' },
    concurrency: { type: 'string', default: '32' },
    'db-pool': { type: 'string', default: '2' },
    'account-pool': { type: 'string', default: 'auto' },
    rps: { type: 'string', default: '7' },
    batch: { type: 'string', default: '50' },
    idle: { type: 'string', default: '5' },
    nightly: { type: 'boolean', default: false },
    'overcommit-limit': { type: 'string', default: '22' },
    'overcommit-accounts': { type: 'string', default: '4' },
    'overcommit-processes': { type: 'string', default: '4' },
  },
});

const accountCounts = list('accounts', flags.accounts, 1, 500);
const processCounts = list('processes', flags.processes, 1, 16);
const total = number('total', flags.total, 1, 1_000_000);
const overcommit = {
  limit: number('overcommit-limit', flags['overcommit-limit'], 0, 1000),
  accounts: number('overcommit-accounts', flags['overcommit-accounts'], 1, 500),
  processes: number('overcommit-processes', flags['overcommit-processes'], 1, 16),
};
const common = {
  known: number('known', flags.known, 0, 1, false),
  concurrency: number('concurrency', flags.concurrency, 1, 1000),
  databasePoolSize: number('db-pool', flags['db-pool'], 1, 200),
  rps: number('rps', flags.rps, 1, 50),
  batch: number('batch', flags.batch, 1, 250),
  idleSeconds: number('idle', flags.idle, 0, 60),
  nightly: flags.nightly,
  deliveryCapMs: 5 * 60_000,
};
/** The service's own pace: request starts 1000/rps ms apart plus 3 % (src/crm/limiter.ts). */
const pacedCeiling = (common.rps / 1.03) * common.batch;
/** PostgreSQL's and the service's defaults: DATABASE_POOL_SIZE 10, ACCOUNT_POOL_SIZE 2. */
const DEFAULT_POOLS = { databasePoolSize: 10, accountPoolSize: 2 };

const label = (c: CellResult) => `${c.settings.accounts} × ${c.settings.processes}`;
/** The row's label with its pool per account: "20 × 4 /1". */
const rowLabel = (c: CellResult) => `${label(c)} /${c.settings.accountPoolSize}`;

/** The service's own request pace: starts 1000/rps ms apart plus 3 % (src/crm/limiter.ts). */
const pacedRps = common.rps / 1.03;

function limitMet(cell: CellResult): string {
  const rate = median(cell.requestRatePerAccount);
  if (rate >= 0.9 * pacedRps) return `CRM budget: ${fixed(rate, 2)} requests/s per account, its pace is ${fixed(pacedRps, 2)}`;
  return `ingest: ${fixed(cell.ingestRate / cell.settings.accounts)} events/s per account reach it; the CRM took ${fixed(rate, 2)} of ${fixed(pacedRps, 2)} requests/s`;
}

function crmSection(cells: CellResult[], out: string[]): void {
  out.push('', `  1. The CRM's per-account limit (measured): ${common.rps} requests/s × ${common.batch} = ${crmLimit(common)} calls/s;`);
  out.push(
    `     the service paces at ${common.rps}/1.03 = ${fixed(pacedRps, 2)} requests/s (computed), so ${fixed(pacedCeiling)} calls/s with every batch full;` +
      ' contacts for unknown callers and part-filled batches take requests too.',
  );
  for (const cell of cells) {
    const s = cell.settings;
    out.push(
      `     ${label(cell).padEnd(9)} delivered per account ${pad(fixed(median(cell.deliveredPerAccount)), 6)} calls/s (worst ${pad(fixed(worst(cell.deliveredPerAccount)), 6)}),` +
        ` CRM ${pad(fixed(median(cell.requestRatePerAccount), 2), 5)} requests/s, ${pad(fixed((s.callsPerAccount * s.accounts) / Math.max(1, cell.crm.requests), 1), 4)} calls per request;` +
        ` last note ${pad(fixed(median(cell.lagMs) / 1000), 5)} s after the last webhook; 429s ${cell.crm.tooMany}  → ${limitMet(cell)}`,
    );
  }
}

function ingestSection(cells: CellResult[], out: string[]): void {
  out.push('', '  2. Ingest: PostgreSQL writes and the CPU they share (measured). Events/s by processes, for each number of accounts:');
  for (const n of accountCounts) {
    const row = cells.filter((c) => c.settings.accounts === n);
    const first = row[0];
    if (!first) continue;
    const rates = row
      .map(
        (c) =>
          `${c.settings.processes}: ${fixed(c.ingestRate)}${c === first ? '' : ` (${percent(c.ingestRate / first.ingestRate)})`}` +
          ` [${fixed(c.database.commits / c.load.acknowledged, 1)} commits/call]`,
      )
      .join(', ');
    const last = row.at(-1) as CellResult;
    const w = last.cpu.ingest;
    out.push(
      `     ${pad(n, 4)} accounts  ${rates};  at ${last.settings.processes} process(es) during ingest: services ${fixed(w.services, 2)}, PostgreSQL ${fixed(w.postgres, 2)},` +
        ` bench ${fixed(w.bench, 2)}, rest ${fixed(w.rest, 2)} = ${fixed(w.services + w.postgres + w.bench + w.rest, 2)} cores busy`,
    );
  }
}

type Over = CellResult | { error: string; settings: CellSettings } | null;

function connectionSection(context: RunContext, cells: CellResult[], over: Over, out: string[]): void {
  const max = context.database.maxConnections;
  out.push('', `  3. Connections: max_connections ${max}. Measured peak to the bench database against what the pools may open:`);
  for (const cell of cells) {
    out.push(
      `     ${label(cell).padEnd(9)} peak ${pad(cell.connections.peakDatabase, 3)} of ${pad(cell.connections.poolMax, 4)} possible (${pad(cell.connections.peakServer, 3)} on the whole server)`,
    );
  }
  out.push("     Computed: M × (DATABASE_POOL_SIZE + ACCOUNT_POOL_SIZE × N), the most the pools may open (the bench's pools, then the defaults 10 and 2):");
  out.push(`     ${'accounts'.padStart(9)}${[1, 2, 4, 8].map((m) => pad(`M=${m}`, 14)).join('')}`);
  for (const n of [20, 200, 2000]) {
    const cellsFor = (pools: typeof DEFAULT_POOLS) =>
      [1, 2, 4, 8].map((m) => {
        const open = poolMax({ processes: m, accounts: n, ...pools });
        return pad(`${open}${open > max ? ' OVER' : ''}`, 14);
      });
    out.push(
      `     ${pad(n, 9)}${cellsFor({ databasePoolSize: common.databasePoolSize, accountPoolSize: 1 }).join('')}   (${common.databasePoolSize} + 1 × N, the least)`,
    );
    out.push(`     ${pad('', 9)}${cellsFor(DEFAULT_POOLS).join('')}   (10 + 2 × N)`);
  }
  if (!over) return;
  const s = over.settings;
  if ('error' in over) {
    out.push(
      `     Over the limit (measured): ${s.accounts} accounts × ${s.processes} processes with the default pools (may open ${poolMax(s)}) as a role limited to` +
        ` ${s.connectionLimit} connections did not get through setup: ${over.error.slice(0, 400)}`,
    );
    return;
  }
  out.push(
    `     Over the limit (measured): ${s.accounts} accounts × ${s.processes} processes with the default pools (may open ${over.connections.poolMax}) as a role limited to` +
      ` ${s.connectionLimit} connections: peak ${over.connections.peakDatabase};`,
    `     ${over.load.failed} of ${over.load.sent} webhooks not processed (${over.load.failures.slice(0, 2).join(' | ') || 'none'});` +
      ` ${over.logLines} warn/error lines from the services (last: ${over.logTail.at(-1)?.slice(0, 240) ?? 'none'})`,
  );
  for (const problem of over.problems.slice(0, 4)) out.push(`       - ${problem}`);
}

function idleSection(cells: CellResult[], out: string[]): void {
  const measured = cells.filter((c) => c.cpu.idle);
  if (!measured.length) return;
  out.push('', '  4. Idle cost: every account runs a 1 s tick and a delivery drain in every process (measured, then computed per account-process pair):');
  const pairsOf = (c: CellResult) => c.settings.accounts * c.settings.processes;
  for (const cell of measured) {
    const idle = cell.cpu.idle as Cores;
    out.push(
      `     ${label(cell).padEnd(9)} ${fixed(idle.services, 3)} cores in the services + ${fixed(idle.postgres, 3)} in the bench database's backends` +
        ` = ${fixed(((idle.services + idle.postgres) / pairsOf(cell)) * 1000, 1)} millicores per pair`,
    );
  }
  // The cell with the most pairs: the fixed costs (account 1, the tick's own timer) weigh least there.
  const largest = measured.reduce((a, b) => (pairsOf(b) > pairsOf(a) ? b : a));
  const idle = largest.cpu.idle as Cores;
  const perPair = (idle.services + idle.postgres) / pairsOf(largest);
  const projected = [200, 2000].map((n) => `${n} accounts × 4 processes ≈ ${fixed(perPair * n * 4, 1)} cores`).join(', ');
  out.push(`     Computed from ${label(largest)} (${fixed(perPair * 1000, 1)} millicores per pair): ${projected}, before any call arrives.`);
}

function summary(context: RunContext, cells: CellResult[], over: Over): boolean {
  const first = (cells[0] as CellResult).settings;
  const out = contextLines('calltrail scale-out simulation: N accounts × M processes against the sandbox amoCRM', context, first);
  out.push(`  load       ${total} calls per cell, split evenly over its N accounts; a fresh database, fresh sandboxes and fresh processes per cell`, '');
  const width = 14;
  out.push(...cellHeader(width, 'N × M /P'));
  for (const cell of cells) out.push(cellRow(rowLabel(cell), cell, cells[0] ?? null, width));
  if (over && !('error' in over)) out.push(cellRow(`${label(over)} over`, over, cells[0] ?? null, width));
  out.push("  N × M /P: N accounts, M processes, ACCOUNT_POOL_SIZE P (each account's connections per process).");
  out.push('', ...LEGEND);
  crmSection(cells, out);
  ingestSection(cells, out);
  connectionSection(context, cells, over, out);
  idleSection(cells, out);
  const ok = checkLines(
    cells.map((c) => [label(c), c]),
    out,
  );
  console.log(out.join('\n'));
  return ok;
}

await harness('bench/scale/simulate.ts', async (context) => {
  const cells: CellResult[] = [];
  for (const accounts of accountCounts) {
    for (const processes of processCounts) {
      const accountPoolSize = accountPool(flags['account-pool'], { ...common, accounts, processes }, context.database.maxConnections);
      const settings: CellSettings = { ...common, accounts, processes, accountPoolSize, callsPerAccount: Math.max(1, Math.floor(total / accounts)) };
      console.error(`${accounts} accounts × ${processes} process(es), ${settings.callsPerAccount} calls each…`);
      cells.push(await runCell(settings, context.cell));
      await cleanUp();
    }
  }
  let over: Over = null;
  if (overcommit.limit > 0) {
    const { accounts, processes } = overcommit;
    const settings: CellSettings = {
      ...common,
      ...DEFAULT_POOLS,
      accounts,
      processes,
      callsPerAccount: Math.max(1, Math.floor(total / accounts)),
      idleSeconds: 0,
      deliveryCapMs: 60_000,
      connectionLimit: overcommit.limit,
    };
    console.error(`over the limit: ${accounts} accounts × ${processes} process(es), default pools, a role limited to ${overcommit.limit} connections…`);
    over = await runCell(settings, context.cell).catch((error: Error) => ({ error: error.message, settings }));
    await cleanUp();
  }
  return summary(context, cells, over);
});
