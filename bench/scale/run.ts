/**
 * Scale-out benchmark: 20 accounts, each with its own sandbox amoCRM (7 requests/s), ingest and
 * delivery by 1, 2 and 4 `calltrail serve` processes on one PostgreSQL database, side by side in
 * one run. See bench/scale/README.md.
 *
 *   node --import tsx bench/scale/run.ts [--accounts 20] [--processes 1,2,4] [--calls 500] [--known 0.9]
 *        [--concurrency 32] [--db-pool 2] [--account-pool auto] [--rps 7] [--batch 50] [--idle 5] [--nightly]
 *
 * Exits 1 when a correctness check fails (a webhook not processed, a call missing or on two
 * notes, a contact twice, a delivery not delivered, an unclean exit); a missed goal (a 429) is
 * only reported.
 * @module
 */
import { parseArgs } from 'node:util';
import { type CellResult, type CellSettings, runCell } from './cell';
import { accountPool, cleanUp, harness, list, number, type RunContext } from './harness';
import { cellHeader, cellRow, checkLines, contextLines, crmLimit, fixed, LEGEND, median, percent, worst } from './report';

const { values: flags } = parseArgs({
  options: {
    accounts: { type: 'string', default: '20' },
    processes: { type: 'string', default: '1,2,4' },
    calls: { type: 'string', default: '500' },
    known: { type: 'string', default: '0.9' },
    concurrency: { type: 'string', default: '32' },
    'db-pool': { type: 'string', default: '2' },
    'account-pool': { type: 'string', default: 'auto' },
    rps: { type: 'string', default: '7' },
    batch: { type: 'string', default: '50' },
    idle: { type: 'string', default: '5' },
    nightly: { type: 'boolean', default: false },
  },
});

const processCounts = list('processes', flags.processes, 1, 16);
const base = {
  accounts: number('accounts', flags.accounts, 1, 500),
  callsPerAccount: number('calls', flags.calls, 1, 100_000),
  known: number('known', flags.known, 0, 1, false),
  concurrency: number('concurrency', flags.concurrency, 1, 1000),
  databasePoolSize: number('db-pool', flags['db-pool'], 1, 200),
  // The service's AMOCRM_RPS range; the integrator config's crm.batch_size range.
  rps: number('rps', flags.rps, 1, 50),
  batch: number('batch', flags.batch, 1, 250),
  idleSeconds: number('idle', flags.idle, 0, 60),
  nightly: flags.nightly,
  deliveryCapMs: 5 * 60_000,
};

function summary(context: RunContext, cells: CellResult[]): boolean {
  const s = (cells[0] as CellResult).settings;
  const out = contextLines('calltrail scale-out benchmark', context, s);
  out.push(
    `  load       ${s.accounts} accounts × ${s.callsPerAccount} calls = ${s.accounts * s.callsPerAccount} webhooks per row; a fresh database, fresh sandboxes and fresh processes per row`,
  );
  out.push('');
  const width = 12;
  out.push(...cellHeader(width, 'M /P'));
  const first = cells[0] as CellResult;
  for (const cell of cells) out.push(cellRow(`${cell.settings.processes} /${cell.settings.accountPoolSize}`, cell, first, width));
  out.push("  M /P: M processes, ACCOUNT_POOL_SIZE P (each account's connections per process).");
  out.push('', ...LEGEND, '');

  out.push('  Setup and idle cost per row (idle: the processes serving the accounts before any webhook, average cores):');
  for (const cell of cells) {
    const idle = cell.cpu.idle;
    out.push(
      `    ${cell.settings.processes} process(es): ${s.accounts} accounts added in ${fixed(cell.setup.accountsMs / 1000)} s, the other processes up and serving them in` +
        ` ${fixed(cell.setup.processesMs / 1000)} s; idle ${idle ? `${fixed(idle.services, 2)} cores in the services, ${fixed(idle.postgres, 2)} in PostgreSQL` : 'not measured'};` +
        ` peak connections ${cell.connections.peakDatabase} to the bench database, ${cell.connections.peakServer} to the server (all databases)`,
    );
  }
  out.push('', '  Work per call (ingest + delivery; commits and rows from pg_stat_database of the bench database):');
  for (const cell of cells) {
    const calls = cell.load.acknowledged;
    out.push(
      `    ${cell.settings.processes} process(es): ${fixed(cell.database.commits / calls, 1)} commits and ${fixed(cell.database.rowsWritten / calls, 1)} rows written per call;` +
        ` ${fixed(calls / Math.max(1, cell.crm.requests), 1)} calls per CRM request, ${fixed(median(cell.requestRatePerAccount), 2)} requests/s per account (median)`,
    );
  }
  out.push('');
  out.push(`  Goals (per account the CRM allows ${crmLimit(s)} calls/s; 429s must stay 0):`);
  for (const cell of cells) {
    const m = cell.settings.processes;
    const delivered = cell.deliveredPerAccount;
    out.push(
      `    ${cell.crm.tooMany === 0 && cell.crm.blocked === 0 ? 'MET   ' : 'MISSED'}  ${m} process(es): ${cell.crm.tooMany} × 429, ${cell.crm.blocked} accounts blocked;` +
        ` delivered per account median ${fixed(median(delivered))} calls/s (${percent(median(delivered) / crmLimit(s))} of ${crmLimit(s)}), worst ${fixed(worst(delivered))};` +
        ` ingest ${fixed(cell.ingestRate)} events/s = ${fixed(cell.ingestRate / s.accounts)} per account`,
    );
  }
  const ok = checkLines(
    cells.map((cell) => [`${cell.settings.processes} process(es)`, cell]),
    out,
  );
  console.log(out.join('\n'));
  return ok;
}

await harness('bench/scale/run.ts', async (context) => {
  const cells: CellResult[] = [];
  for (const processes of processCounts) {
    const accountPoolSize = accountPool(flags['account-pool'], { ...base, processes }, context.database.maxConnections);
    const settings: CellSettings = { ...base, processes, accountPoolSize };
    console.error(`${processes} process(es): ${settings.accounts} accounts × ${settings.callsPerAccount} calls…`);
    cells.push(await runCell(settings, context.cell));
    await cleanUp();
  }
  return summary(context, cells);
});
