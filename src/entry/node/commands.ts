/**
 * The commands that do their work here and exit: migrate, tick, deliver, reconcile, config, inbox,
 * sign, import, check, ami, keys — imported by cli.ts when one of them runs.
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { inboxDeps, type AppDeps } from '../../deps';
import { runTick } from '../../jobs';
import { createDeliveryWorker } from '../../delivery/setup';
import { reprocessInbox } from '../../ledger/inbox';
import { createLogger } from '../../lib/log';
import { signatureHeader } from '../../pbx/generic/signature';
import { inboxEvents } from '../../db/schema';
import { desc, eq } from 'drizzle-orm';
import { openDatabase } from './database';
import { nodeRecordingsRuntime } from './recordings-runtime';
import { amiCommand } from './ami-listener';
import { CheckUsageError, checkCommand } from './check-command';
import { importCommand } from './import';
import { KeysUsageError, keysCommand } from './keys-command';
import { bindSealKeys } from '../../lib/seal';
import { postgresSlotStore } from '../../crm/shared-budget';
import { ReconcileUsageError, reconcileCommand } from './reconcile-command';
import { configSchemaCommand, configValidateCommand } from './config-command';
import { configPreviewCommand } from './config-preview';
import { loadSettings } from './settings';

import { sandboxOnly, UsageError } from './usage';

async function withDeps<T>(run: (deps: AppDeps) => Promise<T>, migrate = true): Promise<T> {
  const { settings, config } = loadSettings();
  // A command prints its own progress and result; its log shows warnings and errors unless LOG_LEVEL asks for more.
  const level = process.env.LOG_LEVEL ? settings.logLevel : 'warn';
  const log = createLogger({ level, write: (line) => process.stderr.write(`${line}\n`) });
  const database = await openDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir, migrate, poolSize: 2 });
  bindSealKeys(database.db, settings.secretsKeys);
  try {
    // A command beside running services (deliver, reconcile) spends the same shared CRM budget.
    const slotStore = database.kind === 'postgres' ? { slotStore: postgresSlotStore(() => database.db) } : {};
    return await run({ db: database.db, settings, config, log, recordings: nodeRecordingsRuntime(settings), limiters: new Map(), ...slotStore });
  } finally {
    await database.close();
  }
}

/** Before the database is opened (and before a run is stored): a command that needs a CRM has none in sandbox mode. */
function refuseInSandboxMode(command: string, what: string): void {
  if (loadSettings().settings.sandboxMode) throw new Error(sandboxOnly(command, what));
}

/** The commands that open the database or read files; null: no such command. */
export async function runCommand(command: string, rest: string[]): Promise<number | null> {
  switch (command) {
    case 'migrate':
      await withDeps(async () => undefined);
      console.log('migrations applied');
      return 0;
    case 'tick': {
      const result = await withDeps((deps) => runTick(deps));
      console.log(JSON.stringify(result));
      return 0;
    }
    case 'deliver': {
      const { values } = parseArgs({ args: rest, options: { budget: { type: 'string', default: '60' } } });
      const budget = Number(values.budget);
      if (!Number.isFinite(budget) || budget <= 0) throw new UsageError('--budget takes seconds');
      refuseInSandboxMode('deliver', 'delivers its calls to it by itself');
      const report = await withDeps(async (deps) => {
        const worker = createDeliveryWorker(deps, { owner: `cli:${process.pid}` });
        if (!worker) throw new Error(sandboxOnly('deliver', 'delivers its calls to it by itself'));
        return worker.drain({ budgetMs: budget * 1000 });
      });
      console.log(JSON.stringify(report));
      return report.stopped === 'blocked' || report.stopped === 'unauthorized' ? 1 : 0;
    }
    case 'reconcile':
      try {
        refuseInSandboxMode('reconcile', 'reconciles every night and on POST /v1/reconcile/runs');
        return await reconcileCommand(rest, withDeps);
      } catch (error) {
        if (error instanceof ReconcileUsageError) throw new UsageError(error.message);
        throw error;
      }
    case 'config': {
      const [sub, ...args] = rest;
      if (sub === 'validate') return configValidateCommand(args);
      if (sub === 'schema') return configSchemaCommand(args);
      if (sub === 'preview') return configPreviewCommand(args);
      throw new UsageError('config needs "validate FILE", "schema [--out FILE]" or "preview FILE --sample CALL.json"');
    }
    case 'inbox':
      return inboxCommand(rest);
    case 'sign': {
      const { values, positionals } = parseArgs({ args: rest, options: { secret: { type: 'string' } }, allowPositionals: true });
      if (!values.secret) throw new UsageError('sign needs --secret');
      // The signature is over the bytes that are sent: a Windows-1251 file is signed as it is.
      const body = new Uint8Array(readFileSync(positionals[0] ?? 0));
      console.log(await signatureHeader(values.secret, body, Date.now() / 1000));
      return 0;
    }
    case 'import':
      return importCommand(rest, withDeps);
    case 'check':
      try {
        return checkCommand(rest);
      } catch (error) {
        if (error instanceof CheckUsageError) throw new UsageError(error.message);
        throw error;
      }
    case 'ami':
      return amiCommand(rest, withDeps);
    case 'keys':
      return keysCommand(rest, withDeps).catch(asUsage(KeysUsageError));
    default:
      return null;
  }
}

async function inboxCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'list') {
    const { values } = parseArgs({ args: rest, options: { status: { type: 'string' }, limit: { type: 'string', default: '50' } } });
    const status = values.status;
    if (status !== undefined && status !== 'failed' && status !== 'processed') throw new UsageError('--status is failed or processed');
    const rows = await withDeps((deps) =>
      deps.db
        .select({
          id: inboxEvents.id,
          source: inboxEvents.source,
          status: inboxEvents.status,
          attempts: inboxEvents.attempts,
          receivedAt: inboxEvents.receivedAt,
          error: inboxEvents.error,
        })
        .from(inboxEvents)
        .where(status ? eq(inboxEvents.status, status) : undefined)
        .orderBy(desc(inboxEvents.id))
        .limit(Number(values.limit)),
    );
    for (const r of rows) {
      console.log([r.id, r.source, r.status, `attempts=${r.attempts}`, r.receivedAt.toISOString(), r.error ?? ''].join('\t'));
    }
    return 0;
  }
  if (sub === 'reprocess') {
    const { values, positionals } = parseArgs({ args: rest, options: { 'all-failed': { type: 'boolean' } }, allowPositionals: true });
    const ids = positionals.map(Number);
    if (ids.some((id) => !Number.isInteger(id) || id <= 0)) throw new UsageError('inbox ids are positive integers');
    if (!ids.length && !values['all-failed']) throw new UsageError('inbox reprocess needs ids or --all-failed');
    const result = await withDeps((deps) => reprocessInbox(inboxDeps(deps), ids.length ? { ids, limit: ids.length } : { allFailed: true, limit: 100_000 }));
    console.log(`applied: ${result.processed.length}, still failing: ${result.failed.length}`);
    for (const f of result.failed) console.log(`  ${f.id}: ${f.error}`);
    return result.failed.length ? 1 : 0;
  }
  throw new UsageError('inbox needs "list" or "reprocess"');
}

/** A command's own usage error, reported as calltrail's (with the usage text, exit 2). */
function asUsage(kind: new (message: string) => Error) {
  return (error: unknown): never => {
    if (error instanceof kind) throw new UsageError(error.message);
    throw error;
  };
}
