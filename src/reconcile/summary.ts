/**
 * A run as the CLI prints it and the API describes it: the summary table of findings, what was
 * done about them and what is still open.
 * @module
 */
import { FINDING_KINDS, type FindingKind } from '../domain/reconcile';
import type { RunRow } from './engine';

const ACTION_OF: Record<FindingKind, string> = {
  missing_in_crm: 're-pushed',
  duplicate_in_crm: 'listed (note ids in the report)',
  missing_recording: 'note updated',
  failed: 'retried',
  skipped: 'listed (reason in the report)',
  lost_webhook: 'ingested from the PBX pull',
};

export function summaryTable(run: RunRow): string {
  const rows: [string, string, string][] = [['finding', 'calls', 'action']];
  for (const kind of FINDING_KINDS) rows.push([kind, String(run.counts[kind] ?? 0), ACTION_OF[kind]]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: [string, string, string]) => `${r[0].padEnd(widths[0]!)}  ${r[1].padStart(widths[1]!)}  ${r[2]}`;
  const seconds = (run.workMs / 1000).toFixed(1);
  return [
    `run ${run.id} — ${run.status}`,
    `window      ${run.windowFrom.toISOString()} → ${run.windowTo.toISOString()}`,
    `calls       ${run.calls} in the ledger, ${run.crmNotes} CRM notes read`,
    `CRM         ${run.crmRequests} requests`,
    `work time   ${seconds} s`,
    '',
    line(rows[0]!),
    ...rows.slice(1).map(line),
    '',
    run.status === 'failed'
      ? `failed: ${run.error ?? 'unknown error'}`
      : `gaps still open: ${run.gapsRemaining ?? 'n/a'}${run.counts.resolved ? ` (resolved: ${run.counts.resolved})` : ''}`,
  ].join('\n');
}

/** The run as the JSON API gives it. */
export function runJson(run: RunRow) {
  return {
    id: run.id,
    window: { from: run.windowFrom.toISOString(), to: run.windowTo.toISOString() },
    trigger: run.trigger,
    status: run.status,
    counts: run.counts,
    calls: run.calls,
    crm_notes: run.crmNotes,
    crm_requests: run.crmRequests,
    gaps_remaining: run.gapsRemaining,
    work_ms: run.workMs,
    error: run.error,
    pull_errors: run.progress.pullErrors ?? {},
    started_at: run.startedAt.toISOString(),
    finished_at: run.finishedAt?.toISOString() ?? null,
  };
}
