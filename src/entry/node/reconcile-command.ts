/**
 * `calltrail reconcile [--date YYYY-MM-DD | --from ISO --to ISO] [--budget SECONDS]`: runs a
 * reconciliation to its end in this process (joining a run of the same window in progress),
 * printing each phase's progress on stderr and the summary table on stdout. Exit code 0: no gap
 * left open; 1: gaps remain or the run failed; 2: bad arguments.
 * @module
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import type { AppDeps } from '../../deps';
import type { RunRow } from '../../reconcile/engine';
import { RunRequestError, runToEnd, startRun, type RunRequest } from '../../reconcile/runs';
import { summaryTable } from '../../reconcile/summary';
import { freepbxPull } from './freepbx-pull';

import { RECONCILE_USAGE } from './usage';

export { RECONCILE_USAGE };

export class ReconcileUsageError extends Error {}

export function parseReconcileArgs(args: string[]): { request: RunRequest; budgetMs: number | undefined } {
  let values: { date?: string; from?: string; to?: string; budget?: string };
  try {
    ({ values } = parseArgs({
      args,
      options: { date: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, budget: { type: 'string' } },
    }));
  } catch (error) {
    throw new ReconcileUsageError((error as Error).message);
  }
  const instant = (name: string, text: string | undefined) => {
    if (text === undefined) return undefined;
    const d = new Date(text);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(d.getTime()))
      throw new ReconcileUsageError(`--${name} takes an ISO instant, e.g. 2026-11-23T00:00:00+03:00`);
    return d;
  };
  const from = instant('from', values.from);
  const to = instant('to', values.to);
  const budget = values.budget === undefined ? undefined : Number(values.budget);
  if (budget !== undefined && (!Number.isFinite(budget) || budget <= 0)) throw new ReconcileUsageError('--budget takes seconds');
  return {
    request: { ...(values.date !== undefined ? { date: values.date } : {}), ...(from ? { from } : {}), ...(to ? { to } : {}) },
    budgetMs: budget === undefined ? undefined : budget * 1000,
  };
}

function describeProgress(run: RunRow): string {
  const p = run.progress;
  const phase = !p.crm.done ? `listing CRM notes (${run.crmNotes} so far)` : !p.compared ? 'comparing' : !p.repushed ? 're-pushing' : 'finishing';
  return `${run.status}: pulled ${p.pulled.length ? p.pulled.join(', ') : 'no PBX'}; ${phase}; ${run.crmRequests} CRM requests; ${(run.workMs / 1000).toFixed(1)} s`;
}

export async function reconcileCommand(args: string[], withDeps: <T>(run: (deps: AppDeps) => Promise<T>) => Promise<T>): Promise<number> {
  const { request, budgetMs } = parseReconcileArgs(args);
  return withDeps(async (deps) => {
    deps.pbxPulls = [...(deps.pbxPulls ?? []), freepbxPull()];
    const owner = `cli:${hostname()}:${process.pid}`;
    deps.owner = owner;
    let started;
    try {
      started = await startRun(deps, request, 'manual');
    } catch (error) {
      if (error instanceof RunRequestError) throw new ReconcileUsageError(error.message);
      throw error;
    }
    process.stderr.write(
      `${started.joined ? 'joining' : 'started'} run ${started.id}: ${started.window.from.toISOString()} → ${started.window.to.toISOString()}\n`,
    );
    const run = await runToEnd(deps, started.id, {
      owner,
      ...(budgetMs ? { budgetMs } : {}),
      onSlice: (r) => process.stderr.write(`  ${describeProgress(r)}\n`),
    });
    process.stdout.write(`${summaryTable(run)}\n`);
    return run.status === 'done' && (run.gapsRemaining ?? 0) === 0 ? 0 : 1;
  });
}
